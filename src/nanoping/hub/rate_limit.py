"""Per-source rate limiting of join requests (sans-IO: the caller passes ``now``)."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """A token bucket per source: ``burst`` requests at once, then ``per_minute`` on average.

    At most ``max_sources`` buckets are kept; the least recently seen source is forgotten first,
    so a flood from many addresses cannot grow the hub's memory without bound.
    """

    def __init__(
        self, *, burst: int = 10, per_minute: float = 30.0, max_sources: int = 10_000
    ) -> None:
        self._burst = float(burst)
        self._rate = per_minute / 60.0
        self._max_sources = max_sources
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def allow(self, source: str, now: float) -> bool:
        """Take one token for ``source``; False when it has none left."""
        bucket = self._buckets.pop(source, None) or _Bucket(tokens=self._burst, updated=now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        self._buckets[source] = bucket
        if len(self._buckets) > self._max_sources:
            self._buckets.popitem(last=False)
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True
