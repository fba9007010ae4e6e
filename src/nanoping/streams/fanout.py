"""Fans items out to every open subscriber, each reading in order from its own bounded backlog.

A slow reader never holds back the publisher or the other readers. The owner chooses what
happens to a reader ``backlog`` items behind: with an ``overflow`` error, that reader alone is
ended with it (its backlog dropped) instead of silently skipping items; without one, the reader
keeps only the newest ``backlog`` items (for snapshots, where only the latest matter).
:meth:`Fanout.end` ends every reader after its backlog, normally or with an error.

No clock and no tasks: publishing is a plain call that wakes waiting readers through an
``asyncio.Event``, so it runs on the event loop's thread (or in a test without a loop).
Subscribers are held weakly: one dropped without being closed disappears on its own.

With a ``coalesce`` key, an item replaces the unread item of the same key in each backlog
(and moves to its end): a reader behind a storm of state changes gets the latest state of each
thing once, and its backlog is bounded by the number of things rather than of changes.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable
from types import TracebackType
from typing import Generic, TypeVar

T = TypeVar("T")


class Subscriber(Generic[T]):
    """One reader's backlog; iterate it (``async for``) to receive the items in publish order.

    Close it, or use it as a context manager, to stop receiving and leave its fanout.
    """

    def __init__(
        self,
        *,
        backlog: int | None,
        overflow: Exception | None,
        on_end: Callable[[Subscriber[T]], None],
        coalesce: Callable[[T], Hashable | None] | None = None,
    ) -> None:
        self._items: deque[T] = deque(maxlen=backlog if overflow is None else None)
        self._coalesce = coalesce
        self._newest = backlog if overflow is None else None
        self._keyed: OrderedDict[object, T] = OrderedDict()
        """The backlog when coalescing: key (or a unique token for a key of None) -> item."""
        self._limit = None if overflow is None else backlog
        self._overflow = overflow
        self._on_end = on_end
        self._wakeup = asyncio.Event()
        self._ended = False
        self._error: Exception | None = None

    def deliver(self, item: T) -> None:
        """Queue one item (called by the fanout; never blocks, never raises)."""
        if self._ended:
            return
        key = self._key(item)
        if key in self._keyed:
            del self._keyed[key]  # the newer item takes its place, at the end
        elif self._limit is not None and self.pending >= self._limit:
            self._items.clear()
            self._keyed.clear()
            self.end(self._overflow)
            return
        if key is None:
            self._items.append(item)
        else:
            self._keyed[key] = item
            if self._newest is not None and len(self._keyed) > self._newest:
                self._keyed.popitem(last=False)  # keep the newest, as the plain deque does
        self._wakeup.set()

    def _key(self, item: T) -> object:
        """Where the item goes: None for the plain deque, else its key in the keyed backlog."""
        if self._coalesce is None:
            return None
        key = self._coalesce(item)
        return object() if key is None else key

    def end(self, error: Exception | None = None) -> None:
        """Stop receiving; iteration ends once the queued items are read, raising ``error``."""
        if self._ended:
            return
        self._ended = True
        self._error = error
        self._wakeup.set()
        self._on_end(self)

    def close(self) -> None:
        """Stop receiving; iteration ends normally once the queued items are read."""
        self.end()

    @property
    def pending(self) -> int:
        """Items queued and not yet read."""
        return len(self._items) + len(self._keyed)

    def __aiter__(self) -> Subscriber[T]:
        return self

    async def __anext__(self) -> T:
        while not (self._items or self._keyed):
            if self._ended:
                if self._error is not None:
                    # The same error may end many readers, or one reader again and again.
                    raise self._error.with_traceback(None)
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        if self._keyed:
            return self._keyed.popitem(last=False)[1]
        return self._items.popleft()

    def __enter__(self) -> Subscriber[T]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class Fanout(Generic[T]):
    """The open subscribers of one stream; :meth:`publish` hands an item to each.

    ``backlog`` bounds each subscriber's unread items (None: unbounded); ``overflow`` is the
    error that ends a subscriber falling further behind (None: it drops its oldest item).
    ``coalesce`` gives an item's key (None: never coalesced); see the module docstring.
    """

    def __init__(
        self,
        *,
        backlog: int | None = None,
        overflow: Exception | None = None,
        coalesce: Callable[[T], Hashable | None] | None = None,
    ) -> None:
        self._backlog = backlog
        self._overflow = overflow
        self._coalesce = coalesce
        self._subscribers: weakref.WeakSet[Subscriber[T]] = weakref.WeakSet()
        self._ended = False
        self._error: Exception | None = None

    def subscribe(self, first: Iterable[T] = ()) -> Subscriber[T]:
        """A subscriber receiving ``first`` (say, the current value), then every later item.

        After :meth:`end` it receives ``first``, then ends as the others did.
        """
        subscriber = Subscriber(
            backlog=self._backlog,
            overflow=self._overflow,
            on_end=self._subscribers.discard,
            coalesce=self._coalesce,
        )
        for item in first:
            subscriber.deliver(item)
        if self._ended:
            subscriber.end(self._error)
        else:
            self._subscribers.add(subscriber)
        return subscriber

    def publish(self, item: T) -> None:
        """Queue ``item`` for every subscriber (synchronous, so their order is the call order)."""
        for subscriber in list(self._subscribers):
            subscriber.deliver(item)

    def end(self, error: Exception | None = None) -> None:
        """End every subscriber after its backlog, raising ``error`` if given; once only."""
        if self._ended:
            return
        self._ended = True
        self._error = error
        for subscriber in list(self._subscribers):
            subscriber.end(error)

    @property
    def subscriber_count(self) -> int:
        """Subscribers currently receiving items."""
        return len(self._subscribers)
