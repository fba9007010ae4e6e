"""Fans one run's telemetry samples out to its open telemetry streams.

Samples are snapshots, so a slow reader loses the oldest ones rather than holding anything
back: each subscriber keeps at most ``QUEUE_LENGTH`` samples. When the run ends, every
subscriber first receives the samples still queued (the last one holds the final counters),
then the end, as FAILED_PRECONDITION naming the run and how it ended (the reference: the
stream ends with an error when the run stops).
"""

from __future__ import annotations

import asyncio
from collections import deque
from types import TracebackType

from nanoping.api import pipelines_pb2
from nanoping.errors import FailedPrecondition

QUEUE_LENGTH = 8
"""Samples a subscriber may have unread before the oldest is dropped."""


class TelemetrySubscription:
    """One stream's samples; iterate it with ``async for``; close it when done."""

    def __init__(self, feed: TelemetryFeed) -> None:
        self._feed = feed
        self._samples: deque[pipelines_pb2.TelemetrySample] = deque(maxlen=QUEUE_LENGTH)
        self._wakeup = asyncio.Event()
        self._end: str | None = None

    def deliver(self, sample: pipelines_pb2.TelemetrySample) -> None:
        """Queue a sample (called by the feed)."""
        self._samples.append(sample)
        self._wakeup.set()

    def finish(self, reason: str) -> None:
        """No more samples will come; iteration fails with ``reason`` once the queue is read."""
        self._end = reason
        self._wakeup.set()

    def close(self) -> None:
        """Stop receiving samples."""
        self._feed.discard(self)

    def __aiter__(self) -> TelemetrySubscription:
        return self

    async def __anext__(self) -> pipelines_pb2.TelemetrySample:
        while True:
            if self._samples:
                return self._samples.popleft()
            if self._end is not None:
                raise FailedPrecondition(self._end)
            self._wakeup.clear()
            await self._wakeup.wait()

    def __enter__(self) -> TelemetrySubscription:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


class TelemetryFeed:
    """The subscribers of one run and its latest sample."""

    def __init__(self) -> None:
        self._subscribers: set[TelemetrySubscription] = set()
        self.latest: pipelines_pb2.TelemetrySample | None = None
        self._end: str | None = None

    def subscribe(self) -> TelemetrySubscription:
        """A new subscription; it starts with the latest sample, if there is one yet."""
        subscription = TelemetrySubscription(self)
        if self.latest is not None:
            subscription.deliver(self.latest)
        if self._end is not None:
            subscription.finish(self._end)
        else:
            self._subscribers.add(subscription)
        return subscription

    def publish(self, sample: pipelines_pb2.TelemetrySample) -> None:
        """Hand a new sample to every subscriber."""
        self.latest = sample
        for subscriber in self._subscribers:
            subscriber.deliver(sample)

    def end(self, reason: str) -> None:
        """The run is over: subscribers end with ``reason`` after their queued samples."""
        self._end = reason
        for subscriber in self._subscribers:
            subscriber.finish(reason)
        self._subscribers.clear()

    def discard(self, subscription: TelemetrySubscription) -> None:
        """Forget a subscription (it closed)."""
        self._subscribers.discard(subscription)

    @property
    def subscriber_count(self) -> int:
        """Subscriptions currently receiving samples."""
        return len(self._subscribers)
