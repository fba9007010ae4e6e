"""Fans pipeline events out to every open stream, in commit order, without losing any silently.

Each subscriber has its own bounded queue, so a slow reader never holds back the writer or the
other readers. A reader that falls ``backlog`` events behind is cut off: its iteration raises
RESOURCE_EXHAUSTED instead of skipping events, so a client never holds a view that quietly
diverged from the store.

Everything here runs on the node's event loop thread (publishing wakes readers through
``asyncio.Event``), as the store's callers do. The feed holds subscribers weakly: a subscription whose reader was dropped without closing it
(for example a stream whose caller vanished before the first read) disappears on its own.
"""

from __future__ import annotations

import asyncio
import weakref
from collections import deque
from collections.abc import Callable
from types import TracebackType

from nanoping.errors import ResourceExhausted
from nanoping.pipelines.events import PipelineEvent

DEFAULT_BACKLOG = 1024
"""Events a subscriber may have queued before it is cut off."""


class Subscription:
    """One reader's queue of events; iterate it (``async for``) to receive them in order."""

    def __init__(self, *, backlog: int, on_close: Callable[[Subscription], None]) -> None:
        self._events: deque[PipelineEvent] = deque()
        self._backlog = backlog
        self._on_close = on_close
        self._wakeup = asyncio.Event()
        self._ended = False
        self._overflowed = False

    def deliver(self, event: PipelineEvent) -> None:
        """Queue one event (called by the feed; never blocks, never raises)."""
        if self._ended:
            return
        if len(self._events) >= self._backlog:
            self._overflowed = True
            self._events.clear()
            self._end()
            return
        self._events.append(event)
        self._wakeup.set()

    def close(self) -> None:
        """Stop receiving; iteration ends normally once the queued events are read."""
        self._end()

    def _end(self) -> None:
        if not self._ended:
            self._ended = True
            self._wakeup.set()
            self._on_close(self)

    @property
    def pending(self) -> int:
        """Events queued and not yet read."""
        return len(self._events)

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> PipelineEvent:
        while True:
            if self._overflowed:
                raise ResourceExhausted(
                    f"pipeline stream closed: this reader fell {self._backlog} events behind, "
                    "so the stream ends instead of skipping changes; reopen it and call "
                    "getPipelines to catch up"
                )
            if self._events:
                return self._events.popleft()
            if self._ended:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class PipelineFeed:
    """The set of open subscriptions; :meth:`publish` hands an event to each."""

    def __init__(self, *, backlog: int = DEFAULT_BACKLOG) -> None:
        self._backlog = backlog
        self._subscribers: weakref.WeakSet[Subscription] = weakref.WeakSet()
        self._closed = False

    def subscribe(self) -> Subscription:
        """A new subscription; it receives every event published from now on."""
        subscription = Subscription(backlog=self._backlog, on_close=self._subscribers.discard)
        if self._closed:
            subscription.close()
        else:
            self._subscribers.add(subscription)
        return subscription

    def publish(self, event: PipelineEvent) -> None:
        """Queue ``event`` for every subscriber (synchronous, so order = call order)."""
        for subscriber in list(self._subscribers):
            subscriber.deliver(event)

    @property
    def subscriber_count(self) -> int:
        """Subscriptions currently receiving events."""
        return len(self._subscribers)

    def close(self) -> None:
        """End every subscription normally (node shutdown); later ones end at once."""
        self._closed = True
        for subscriber in list(self._subscribers):
            subscriber.close()
