"""What the hub counts for ``/metrics``: join answers, links, calls routed with their latency.

Kept with ``prometheus_client`` metric objects in a registry of the hub's own, so several hubs
in one process (tests) never share counts.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Upper bounds in seconds of the routed-call latency histogram."""


class HubStatistics:
    """Counters of one hub server."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._joins = Counter(
            "nanoping_hub_joins",
            "Join requests the hub answered, by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self._routed = Counter(
            "nanoping_hub_routed_calls",
            "Calls the hub carried from one member to another, by final status",
            ["status"],
            registry=self.registry,
        )
        self._served = Counter(
            "nanoping_hub_served_calls",
            "Calls members sent through their link that the hub node served itself",
            registry=self.registry,
        )
        self._links = Counter(
            "nanoping_hub_links",
            "Links at the hub's link door, by outcome: authenticated, failed (a Hello refused "
            "or none said), or refused before upgrading (backing_off, rate_per_source, rate, busy)",
            ["outcome"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "nanoping_hub_routed_call_latency_seconds",
            "Time from a routed call's start to its first answer (or its end)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def joined(self, accepted: bool | None) -> None:
        """Count one join answer (None: nobody answered in time)."""
        outcome = "timed_out" if accepted is None else "accepted" if accepted else "rejected"
        self._joins.labels(outcome=outcome).inc()

    def link_settled(self, authenticated: bool) -> None:
        """Count one link that authenticated, or failed to."""
        self._links.labels(outcome="authenticated" if authenticated else "failed").inc()

    def link_refused(self, outcome: str) -> None:
        """Count one link refused before its upgrade."""
        self._links.labels(outcome=outcome).inc()

    def served_call(self) -> None:
        """Count one call a member sent for the hub node itself."""
        self._served.inc()

    @contextmanager
    def routed_call(self) -> Iterator[RoutedCall]:
        """Time one routed call; the caller marks its first answer and its status."""
        call = RoutedCall(started=time.monotonic())
        try:
            yield call
        finally:
            first = call.first_answer if call.first_answer is not None else time.monotonic()
            self._latency.observe(first - call.started)
            self._routed.labels(status=call.status).inc()


class RoutedCall:
    """One routed call being timed."""

    def __init__(self, *, started: float) -> None:
        self.started = started
        self.first_answer: float | None = None
        self.status = "OK"

    def answered(self) -> None:
        """The target sent its first message back."""
        if self.first_answer is None:
            self.first_answer = time.monotonic()
