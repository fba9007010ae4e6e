"""Which new links the hub lets in, and when (sans-IO: the caller passes ``now``).

A link asking to upgrade is admitted (it takes one of ``max_handshakes`` slots until it has
authenticated or closed), queued (it waits for a slot, first come first served) or refused:

- 429 while its address backs off: once it has failed to authenticate ``failures_per_source``
  times it waits ``failure_backoff``, and each further failure doubles the wait (up to 60 s);
  failures are forgotten after 10 quiet minutes. Forged credentials thus cost the hub a refusal, not a WebSocket handshake.
- 429 / 503 when the new-link token bucket of its address / of all addresses is empty;
- 503 when ``max_waiting`` links already wait for a slot.

Members reconnecting after a hub restart are let through by concurrency: they wait in line
instead of being refused, and each takes its slot only for the few milliseconds of its Hello.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from http import HTTPStatus

from nanoping.config import LinkAdmissionLimits
from nanoping.hub.rate_limit import RateLimiter
from nanoping.net.upgrade_gate import Peer, Refusal

MAX_BACKOFF = 60.0
"""Longest back-off of an address whose links keep failing to authenticate (seconds)."""
FAILURE_MEMORY = 600.0
"""Seconds without a failed authentication after which an address starts afresh."""
MAX_SOURCES = 10_000
"""Addresses remembered at most (per bucket and for failures); the oldest are forgotten first."""
_EVERYONE = ""


@dataclass
class _Failures:
    count: int
    last: float
    blocked_until: float


class LinkAdmission:
    """The link door's policy: handshake slots, a waiting line, rate limits, failure back-off."""

    def __init__(self, limits: LinkAdmissionLimits, *, max_sources: int = MAX_SOURCES) -> None:
        self.limits = limits
        self._max_sources = max_sources
        self._per_source = RateLimiter(
            burst=limits.burst_per_source,
            per_minute=limits.rate_per_source * 60.0,
            max_sources=max_sources,
        )
        self._overall = RateLimiter(burst=limits.burst, per_minute=limits.rate * 60.0)
        self._failures: OrderedDict[str, _Failures] = OrderedDict()
        self._handshaking: set[Peer] = set()
        self._waiting: OrderedDict[Peer, None] = OrderedDict()

    @property
    def handshaking(self) -> int:
        """Links admitted that have not yet authenticated or closed."""
        return len(self._handshaking)

    @property
    def waiting(self) -> int:
        """Links waiting for a handshake slot."""
        return len(self._waiting)

    def arrive(self, peer: Peer, now: float) -> Refusal | bool:
        """A link asks to upgrade: True = admitted, False = queued, else why it is refused."""
        refusal = self._backing_off(peer[0], now) or self._rate_limited(peer[0], now)
        if refusal is not None:
            return refusal
        if len(self._handshaking) < self.limits.max_handshakes:
            self._handshaking.add(peer)
            return True
        if len(self._waiting) >= self.limits.max_waiting:
            return Refusal(
                HTTPStatus.SERVICE_UNAVAILABLE,
                1.0,
                f"{self.limits.max_waiting} links already wait for their handshake",
                "busy",
            )
        self._waiting[peer] = None
        return False

    def settled(
        self, peer: Peer, *, authenticated: bool, now: float
    ) -> list[tuple[Peer, Refusal | None]]:
        """The link of ``peer`` authenticated or failed to; the queued links that move on."""
        if not authenticated:
            self._failed(peer[0], now)
        return self.left(peer, now)

    def left(self, peer: Peer, now: float) -> list[tuple[Peer, Refusal | None]]:
        """The link of ``peer`` closed or stopped waiting; the queued links that move on.

        Each comes with None (admitted: it takes a slot) or the refusal its address earned
        while it waited.
        """
        self._waiting.pop(peer, None)
        self._handshaking.discard(peer)
        moved: list[tuple[Peer, Refusal | None]] = []
        while self._waiting and len(self._handshaking) < self.limits.max_handshakes:
            next_peer, _ = self._waiting.popitem(last=False)
            refusal = self._backing_off(next_peer[0], now)
            if refusal is None:
                self._handshaking.add(next_peer)
            moved.append((next_peer, refusal))
        return moved

    def _backing_off(self, source: str, now: float) -> Refusal | None:
        failures = self._failures.get(source)
        if failures is None or now >= failures.blocked_until:
            return None
        return Refusal(
            HTTPStatus.TOO_MANY_REQUESTS,
            failures.blocked_until - now,
            f"{failures.count} links from this address failed to authenticate; try again later",
            "backing_off",
        )

    def _rate_limited(self, source: str, now: float) -> Refusal | None:
        if not self._per_source.allow(source, now):
            return Refusal(
                HTTPStatus.TOO_MANY_REQUESTS,
                1.0,
                f"more than {self.limits.burst_per_source} new links from this address at once",
                "rate_per_source",
            )
        if not self._overall.allow(_EVERYONE, now):
            return Refusal(
                HTTPStatus.SERVICE_UNAVAILABLE,
                1.0,
                f"more than {self.limits.burst} new links at once",
                "rate",
            )
        return None

    def _failed(self, source: str, now: float) -> None:
        failures = self._failures.pop(source, None)
        if failures is None or now - failures.last >= FAILURE_MEMORY:
            failures = _Failures(count=0, last=now, blocked_until=now)
        failures.count += 1
        failures.last = now
        excess = failures.count - self.limits.failures_per_source
        if excess >= 0:
            backoff = min(MAX_BACKOFF, self.limits.failure_backoff * 2.0 ** min(excess, 32))
            failures.blocked_until = max(failures.blocked_until, now + backoff)
        self._failures[source] = failures
        if len(self._failures) > self._max_sources:
            self._failures.popitem(last=False)
