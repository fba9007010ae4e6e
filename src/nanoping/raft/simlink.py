"""Simulated links in virtual time, and a harness that drives two Raft endpoints over them.

Everything is seeded and clock-free, so a scenario (delay, jitter, random or Gilbert-Elliott
loss, loss phases, rate limits with a bounded queue, periodic outages) replays exactly. Tests
assert on residual loss, overhead and latency quantiles; benchmarks run the same scenarios
longer.
"""

from __future__ import annotations

import heapq
import random
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from nanoping.raft.endpoint import RaftEndpoint

UDP_IP_OVERHEAD = 28
"""Bytes IPv4 + UDP add to every datagram (counted as wire bytes)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkProfile:
    """One direction of one emulated path."""

    delay: float = 0.0
    """Base one-way delay, seconds."""
    jitter: float = 0.0
    """Extra delay drawn uniformly from 0..jitter seconds (order kept unless ``reorder``)."""
    reorder: bool = False
    """Let jitter reorder datagrams."""
    loss: float = 0.0
    """Mean loss probability (iid, or the Gilbert-Elliott mean when ``burst`` > 1)."""
    burst: float = 1.0
    """Mean loss-burst length in packets; > 1 selects the Gilbert-Elliott model."""
    loss_phases: tuple[tuple[float, float], ...] = ()
    """Cycle of (duration s, loss probability) replacing ``loss`` (NanoPing's Loss Dynamic)."""
    rate_bps: float | None = None
    """Bottleneck rate, bits per second (None: unlimited)."""
    rate_steps: tuple[tuple[float, float], ...] = ()
    """(from time s, rate b/s) changes of the bottleneck rate."""
    queue_seconds: float = 0.2
    """Bottleneck queue bound, in seconds of the current rate; beyond it datagrams drop."""
    outage_period: float = 0.0
    """Seconds between outages (0: none)."""
    outage_length: float = 0.0
    """Seconds each outage drops everything."""
    outage_offset: float = 0.0
    """Time of the first outage."""


class SimLink:
    """One direction of a path: seeded loss, queueing at a rate limit, delay, jitter."""

    def __init__(self, profile: LinkProfile, rng: random.Random) -> None:
        self.profile = profile
        self._rng = rng
        self._bad = False
        self._free_at = 0.0
        self._last_arrival = 0.0
        self._heap: list[tuple[float, int, bytes]] = []
        self._count = 0
        self.sent = 0
        self.sent_bytes = 0
        self.dropped = 0

    def _rate(self, now: float) -> float | None:
        rate = self.profile.rate_bps
        for start, value in self.profile.rate_steps:
            if now >= start:
                rate = value
        return rate

    def _loss(self, now: float) -> float:
        phases = self.profile.loss_phases
        if not phases:
            return self.profile.loss
        t = now % sum(d for d, _ in phases)
        for duration, loss in phases:
            if t < duration:
                return loss
            t -= duration
        return phases[-1][1]

    def _lost(self, now: float) -> bool:
        p = self.profile
        outage = p.outage_period and now >= p.outage_offset
        if outage and (now - p.outage_offset) % p.outage_period < p.outage_length:
            return True
        loss = self._loss(now)
        if p.burst <= 1.0:
            return self._rng.random() < loss
        leave = 1.0 / p.burst
        enter = loss * leave / (1.0 - loss) if loss < 1.0 else 1.0
        self._bad = self._rng.random() >= leave if self._bad else self._rng.random() < enter
        return self._bad

    def send(self, datagram: bytes, now: float) -> None:
        """Put a datagram on the link at ``now``."""
        size = len(datagram) + UDP_IP_OVERHEAD
        self.sent += 1
        self.sent_bytes += size
        depart = now
        rate = self._rate(now)
        if rate is not None:
            start = max(now, self._free_at)
            if start - now > self.profile.queue_seconds:
                self.dropped += 1
                return
            depart = start + size * 8 / rate
            self._free_at = depart
        if self._lost(now):
            self.dropped += 1
            return
        arrival = depart + self.profile.delay + self._rng.random() * self.profile.jitter
        if not self.profile.reorder:
            arrival = max(arrival, self._last_arrival)
            self._last_arrival = arrival
        self._count += 1
        heapq.heappush(self._heap, (arrival, self._count, datagram))

    def next_time(self) -> float | None:
        """When the next datagram arrives."""
        return self._heap[0][0] if self._heap else None

    def pop_due(self, now: float) -> list[bytes]:
        """Datagrams that have arrived by ``now``."""
        out = []
        while self._heap and self._heap[0][0] <= now:
            out.append(heapq.heappop(self._heap)[2])
        return out


_TAG = struct.Struct(">Qd")


@dataclass(slots=True)
class Outcome:
    """What one simulated run measured for the stream from A to B."""

    sent: int = 0
    """Packets the application offered."""
    payload_bytes: int = 0
    """Application bytes offered."""
    latencies: list[float] = field(default_factory=list)
    """Send-to-delivery time of each delivered packet, in delivery order."""
    delivered_ids: set[int] = field(default_factory=set)
    """Ids of delivered packets."""
    duplicates: int = 0
    """Packets the application got twice (must stay 0)."""
    reordered: int = 0
    """Packets delivered after a higher id."""
    wire_bytes_forward: int = 0
    """Bytes put on the links from A to B (UDP/IP headers included)."""
    wire_bytes_reverse: int = 0
    """Bytes put on the links from B to A."""
    highest_id: int = -1
    """Highest id delivered so far."""

    @property
    def residual(self) -> float:
        """Fraction of offered packets never delivered within their budget."""
        return 1 - len(self.delivered_ids) / self.sent if self.sent else 0.0

    @property
    def overhead(self) -> float:
        """Forward wire bytes over what plain UDP would have put on the wire, minus one.

        Plain UDP pays the IP/UDP headers too, so this is what Raft adds: its headers,
        repairs, retransmissions, replicas and control packets.
        """
        plain = self.payload_bytes + UDP_IP_OVERHEAD * self.sent
        return self.wire_bytes_forward / plain - 1 if plain else 0.0

    def quantile(self, q: float) -> float:
        """Latency quantile in seconds (0 with nothing delivered)."""
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Simulation:
    """Two endpoints, A sending one stream to B, joined by pairs of simulated links."""

    def __init__(
        self,
        *,
        a: RaftEndpoint,
        b: RaftEndpoint,
        paths: list[tuple[LinkProfile, LinkProfile]],
        seed: int,
    ) -> None:
        rng = random.Random(seed)
        self.a, self.b = a, b
        self.forward = [SimLink(f, random.Random(rng.getrandbits(64))) for f, _ in paths]
        self.reverse = [SimLink(r, random.Random(rng.getrandbits(64))) for _, r in paths]
        self.now = 0.0
        self.outcome = Outcome()
        self.budget = a.settings.streams[0].timeout

    def run(
        self,
        *,
        rate_pps: float,
        size: int,
        count: int,
        warmup: float = 1.0,
        monitor: Callable[[float], None] | None = None,
    ) -> Outcome:
        """Offer ``count`` packets of ``size`` bytes at ``rate_pps`` after ``warmup`` seconds.

        ``monitor`` is called with the virtual time after every step (to sample telemetry).
        """
        end = warmup + count / rate_pps + 2 * self.budget + 1.0
        next_i = 0
        while self.now < end:
            send_at = warmup + next_i / rate_pps if next_i < count else end
            t = min(send_at, self._next_event())
            self.now = max(self.now, t)
            if next_i < count and self.now >= send_at:
                self._offer(next_i, size)
                next_i += 1
            self._step()
            if monitor is not None:
                monitor(self.now)
        return self.outcome

    def _offer(self, i: int, size: int) -> None:
        payload = _TAG.pack(i, self.now) + bytes(max(0, size - _TAG.size))
        self.outcome.sent += 1
        self.outcome.payload_bytes += len(payload)
        self.a.send(0, payload, self.now)

    def _next_event(self) -> float:
        times = [self.a.next_deadline(), self.b.next_deadline()]
        times += [link.next_time() for link in self.forward + self.reverse]
        return min((t for t in times if t is not None), default=self.now + 0.01)

    def _step(self) -> None:
        now = self.now
        for index, link in enumerate(self.forward):
            for datagram in link.pop_due(now):
                self.b.receive(index, datagram, now)
        for index, link in enumerate(self.reverse):
            for datagram in link.pop_due(now):
                self.a.receive(index, datagram, now)
        self.a.poll(now)
        self.b.poll(now)
        self._move(self.a, self.forward, forward=True)
        self._move(self.b, self.reverse, forward=False)
        self._record(self.b.take_delivered())
        self.a.take_delivered()

    def _move(self, endpoint: RaftEndpoint, links: list[SimLink], *, forward: bool) -> None:
        for index, datagram in endpoint.take_datagrams():
            size = len(datagram) + UDP_IP_OVERHEAD
            if forward:
                self.outcome.wire_bytes_forward += size
            else:
                self.outcome.wire_bytes_reverse += size
            links[index].send(datagram, self.now)

    def _record(self, delivered: list[tuple[int, bytes]]) -> None:
        out = self.outcome
        for _stream, payload in delivered:
            ident, sent_at = _TAG.unpack_from(payload)
            if ident in out.delivered_ids:
                out.duplicates += 1
                continue
            if self.now - sent_at > self.budget + 1e-9:
                continue  # delivered, but after its budget: counts as lost
            if ident < out.highest_id:
                out.reordered += 1
            out.highest_id = max(out.highest_id, ident)
            out.delivered_ids.add(ident)
            out.latencies.append(self.now - sent_at)
