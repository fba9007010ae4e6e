"""Work that runs only while someone watches: a sampler or a capture, fanned out to watchers.

The first watcher starts the producer; every watcher receives what it publishes; the producer
is told to stop (its ``watched`` callable turns false) once the last watcher has left, and ends
by itself at its next look. Watchers keep only the newest items (snapshots: a slow watcher
skips to the latest one instead of holding anything back). A new watcher first receives the
latest item if the producer is running and has one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

from nanoping.errors import NanoPingError, Unavailable
from nanoping.streams.fanout import Fanout, Subscriber

T = TypeVar("T")
log = logging.getLogger(__name__)

BACKLOG = 4
"""Items a watcher may have unread before the oldest is dropped."""

Producer = Callable[[Callable[[T], None], Callable[[], bool]], Awaitable[None]]
"""``produce(publish, watched)``: publishes items until ``watched()`` is false."""


class WatchedFeed(Generic[T]):
    """One producer shared by every watcher; runs only while there is one."""

    def __init__(self, produce: Producer[T], *, name: str) -> None:
        self._produce = produce
        self._name = name
        self._fanout: Fanout[T] = Fanout(backlog=BACKLOG)
        self._task: asyncio.Task[None] | None = None
        self._latest: T | None = None

    @property
    def running(self) -> bool:
        """True while the producer runs."""
        return self._task is not None and not self._task.done()

    def watchers(self) -> int:
        """How many watchers are subscribed."""
        return self._fanout.subscriber_count

    def subscribe(self) -> Subscriber[T]:
        """A new watcher; starts the producer if it is not running."""
        first = (self._latest,) if self.running and self._latest is not None else ()
        watcher = self._fanout.subscribe(first)
        if not self.running:
            self._latest = None
            self._task = asyncio.ensure_future(self._run())
        return watcher

    async def stopped(self) -> None:
        """Wait until the producer is not running (it stops at its next look once unwatched)."""
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.shield(self._task)

    async def close(self) -> None:
        """Stop the producer and end every watcher (node shutdown)."""
        self._fanout.end()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        try:
            await self._produce(self._publish, lambda: self._fanout.subscriber_count > 0)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # the watchers learn why their stream ended
            log.exception("%s stopped", self._name)
            if not isinstance(error, NanoPingError):  # a cause the caller can read, not INTERNAL
                error = Unavailable(f"{self._name} failed: {type(error).__name__}: {error}")
            self._fanout.end(error)
            self._fanout = Fanout(backlog=BACKLOG)

    def _publish(self, item: T) -> None:
        self._latest = item
        self._fanout.publish(item)
