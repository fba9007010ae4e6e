"""Fans one run's telemetry samples out to its open telemetry streams.

Samples are snapshots, so a slow reader loses the oldest ones rather than holding anything
back: each subscriber keeps at most ``QUEUE_LENGTH`` samples. When the run ends, every
subscriber first receives the samples still queued (the last one holds the final counters),
then the end, as FAILED_PRECONDITION naming the run and how it ended (the reference: the
stream ends with an error when the run stops).
"""

from __future__ import annotations

from typing import TypeAlias

from nanoping.api import pipelines_pb2
from nanoping.errors import FailedPrecondition
from nanoping.streams.fanout import Fanout, Subscriber

QUEUE_LENGTH = 8
"""Samples a subscriber may have unread before the oldest is dropped."""

TelemetrySubscription: TypeAlias = Subscriber[pipelines_pb2.TelemetrySample]
"""One stream's samples; iterate it with ``async for``; close it when done."""


class TelemetryFeed:
    """The subscribers of one run and its latest sample."""

    def __init__(self) -> None:
        self._fanout: Fanout[pipelines_pb2.TelemetrySample] = Fanout(backlog=QUEUE_LENGTH)
        self.latest: pipelines_pb2.TelemetrySample | None = None

    def subscribe(self) -> TelemetrySubscription:
        """A new subscription; it starts with the latest sample, if there is one yet."""
        return self._fanout.subscribe(() if self.latest is None else (self.latest,))

    def publish(self, sample: pipelines_pb2.TelemetrySample) -> None:
        """Hand a new sample to every subscriber."""
        self.latest = sample
        self._fanout.publish(sample)

    def end(self, reason: str) -> None:
        """The run is over: subscribers end with ``reason`` after their queued samples."""
        self._fanout.end(FailedPrecondition(reason))

    @property
    def subscriber_count(self) -> int:
        """Subscriptions currently receiving samples."""
        return self._fanout.subscriber_count
