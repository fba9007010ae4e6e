"""Test doubles shipped with the package: a fake clock, a virtual-time runner and an
in-memory datagram link with seeded loss, duplication, reordering and delay."""

from __future__ import annotations

import heapq
import random

from nanoping.dataplane.dataflow import Dataflow
from nanoping.dataplane.events import RunEnded


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        """Current fake time in seconds."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move forward by ``seconds``."""
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds

    def set(self, now: float) -> None:
        """Jump to ``now`` (not earlier than the current time)."""
        if now < self._now:
            raise ValueError("a clock cannot go backwards")
        self._now = now


def run_virtual(
    flow: Dataflow, clock: FakeClock, *, until: float | None = None, max_steps: int = 10_000_000
) -> RunEnded | None:
    """Step ``flow`` on ``clock``, jumping straight to each deadline; no real time passes.

    Returns the outcome, or None if ``until`` was reached first. A graph with I/O components
    cannot run here (nothing would ever arrive from outside); a graph that waits forever
    ends as failed with reason "stalled".
    """
    if any(component.io for component in flow.components.values()):
        raise ValueError("run_virtual cannot drive I/O components")
    flow.start(clock.now())
    for _ in range(max_steps):
        outcome = flow.step(clock.now())
        if outcome is not None:
            return outcome
        deadline = flow.next_deadline()
        if deadline is None:
            flow.end(RunEnded(1, "stalled: no component has work left but not all finished"))
            return flow.outcome
        if until is not None and deadline > until:
            clock.set(max(clock.now(), until))
            return None
        clock.set(max(clock.now(), deadline))
    raise RuntimeError(f"run did not end within {max_steps} steps")


class FakeDatagramLink:
    """One-way in-memory datagram path; seeded, so every run of a test sees the same fate.

    Per datagram, in this order: dropped with probability ``loss``; otherwise delivered after
    ``delay`` seconds, ``reorder_delay`` more with probability ``reorder`` (so it lands behind
    its successors), and a second copy is delivered with probability ``duplication``.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        loss: float = 0.0,
        duplication: float = 0.0,
        reorder: float = 0.0,
        delay: float = 0.0,
        reorder_delay: float = 0.001,
    ) -> None:
        self._rng = random.Random(seed)
        self._loss = loss
        self._duplication = duplication
        self._reorder = reorder
        self._delay = delay
        self._reorder_delay = reorder_delay
        self._in_flight: list[tuple[float, int, bytes]] = []
        self._order = 0
        self.sent = 0
        self.lost = 0
        self.duplicated = 0
        self.reordered = 0

    def send(self, data: bytes, now: float) -> None:
        """Put one datagram on the link at time ``now``."""
        self.sent += 1
        rng = self._rng
        if rng.random() < self._loss:
            self.lost += 1
            return
        arrival = now + self._delay
        if rng.random() < self._reorder:
            self.reordered += 1
            arrival += self._reorder_delay
        self._schedule(arrival, data)
        if rng.random() < self._duplication:
            self.duplicated += 1
            self._schedule(arrival, data)

    def _schedule(self, arrival: float, data: bytes) -> None:
        self._order += 1
        heapq.heappush(self._in_flight, (arrival, self._order, data))

    def receive(self, now: float) -> list[bytes]:
        """Datagrams that have arrived by ``now``, in arrival order."""
        out = []
        while self._in_flight and self._in_flight[0][0] <= now:
            out.append(heapq.heappop(self._in_flight)[2])
        return out

    def next_deadline(self) -> float | None:
        """Arrival time of the next datagram, None when the link is empty."""
        return self._in_flight[0][0] if self._in_flight else None


def config_doc(
    pipeline: dict[str, dict[str, dict[str, object]]], version: int = 13
) -> dict[str, object]:
    """A ``json_config`` document around ``pipeline`` (instance id → {type: params})."""
    return {"version": version, "plumr_config": {"pipeline": pipeline}}


def wire(consumer: str, in_port: int, producer: str, out_port: int) -> str:
    """The wiring string of one link."""
    return f"[{consumer}|in:{in_port}]-[{producer}|out:{out_port}]"
