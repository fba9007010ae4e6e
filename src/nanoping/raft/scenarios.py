"""The transport scenarios S1-S10 as simulated links, and how each contender runs on them.

Tests run them short; benchmarks/raft_scenarios.py runs them long with fixed seeds. Every
contender sees the same links (same profiles, same seed).
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from nanoping.raft.endpoint import RaftEndpoint
from nanoping.raft.settings import CarrierSpec, RaftSettings, StreamSpec
from nanoping.raft.simlink import UDP_IP_OVERHEAD, LinkProfile, Outcome, SimLink, Simulation

MBIT = 1e6


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    """One emulated network, one stream offered over it."""

    name: str
    """S1..S10 and a short description."""
    paths: tuple[tuple[LinkProfile, LinkProfile], ...]
    """(forward, reverse) profile of each carrier."""
    budget: float
    """Stream timeout, seconds."""
    rate_pps: float = 1000.0
    """Offered packet rate."""
    size: int = 1200
    """Payload bytes per packet."""
    policy: str = "on_ordered"
    """Delivery policy at the receiver."""
    priorities: tuple[int, ...] = ()
    """Carrier priorities (default: all equal)."""
    initial_rates: tuple[float, ...] = ()
    """Capacity each carrier's estimate starts from (default 10 Mbit/s)."""
    replicate: bool = False
    """Fixed replication."""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def settings(self, *, arq: bool = True, fec: bool = True) -> RaftSettings:
        """Endpoint settings for this scenario (both sides use the same)."""
        carriers = tuple(
            CarrierSpec(
                handle=100 + i,
                priority=self.priorities[i] if self.priorities else 0,
                initial_rate_bps=self.initial_rates[i] if self.initial_rates else 10 * MBIT,
            )
            for i in range(len(self.paths))
        )
        stream = StreamSpec(
            handle=1,
            timeout=self.budget,
            policy=self.policy,
            arq=arq,
            fec=fec,
            replicate=self.replicate,
        )
        return RaftSettings(streams=(stream,), carriers=carriers)


def symmetric(profile: LinkProfile) -> tuple[LinkProfile, LinkProfile]:
    """The same impairment both ways."""
    return profile, profile


def _bonded(offered_mbit: float) -> Scenario:
    return Scenario(
        name=f"S7 bonding 20 Mbit/s 15 ms + 5 Mbit/s 40 ms, offered {offered_mbit:g} Mbit/s",
        paths=(
            symmetric(LinkProfile(delay=0.015, rate_bps=20 * MBIT, queue_seconds=0.1)),
            symmetric(LinkProfile(delay=0.040, rate_bps=5 * MBIT, queue_seconds=0.1)),
        ),
        budget=0.2,
        rate_pps=offered_mbit * MBIT / 8 / 1200,
        initial_rates=(15 * MBIT, 4 * MBIT),
    )


SCENARIOS: dict[str, Scenario] = {
    "S1": Scenario(
        name="S1 demo: 50 ms one-way, 5 % loss, 300 ms budget",
        paths=(symmetric(LinkProfile(delay=0.05, loss=0.05)),),
        budget=0.3,
    ),
    "S2": Scenario(
        name="S2 UDPspeeder's test: 100 ms RTT, 10 % loss, 300 ms budget",
        paths=(symmetric(LinkProfile(delay=0.05, loss=0.10)),),
        budget=0.3,
    ),
    "S3": Scenario(
        name="S3 tight budget: 100 ms RTT, 10 % loss, 150 ms budget",
        paths=(symmetric(LinkProfile(delay=0.05, loss=0.10)),),
        budget=0.15,
    ),
    "S4": Scenario(
        name="S4 bursty: Gilbert-Elliott mean 5 % burst 4, RTT 50 ms, 150 ms budget",
        paths=(symmetric(LinkProfile(delay=0.025, loss=0.05, burst=4)),),
        budget=0.15,
    ),
    "S5": Scenario(
        name="S5 harsh bursts: Gilbert-Elliott mean 10 % burst 8, RTT 80 ms, 300 ms budget",
        paths=(symmetric(LinkProfile(delay=0.04, loss=0.10, burst=8)),),
        budget=0.3,
    ),
    "S6": Scenario(
        name="S6 loss phases 1 % / 10 % / 3 % x 5 s, RTT 60 ms, 200 ms budget",
        paths=(symmetric(LinkProfile(delay=0.03, loss_phases=((5, 0.01), (5, 0.10), (5, 0.03)))),),
        budget=0.2,
    ),
    "S7a": _bonded(10),
    "S7b": _bonded(22),
    "S7c": _bonded(24),
    "S8": Scenario(
        name="S8 blackout: 20 ms + 35 ms one-way, A dark 500 ms every 10 s, 200 ms budget",
        paths=(
            symmetric(
                LinkProfile(delay=0.02, outage_period=10.0, outage_length=0.5, outage_offset=3.0)
            ),
            symmetric(LinkProfile(delay=0.035)),
        ),
        budget=0.2,
    ),
    "S9": Scenario(
        name="S9 capacity drop: S7 at 20 Mbit/s offered, B falls 5 -> 2 Mbit/s at 4 s",
        paths=(
            symmetric(LinkProfile(delay=0.015, rate_bps=20 * MBIT, queue_seconds=0.5)),
            symmetric(
                LinkProfile(
                    delay=0.040, rate_bps=5 * MBIT, rate_steps=((4.0, 2 * MBIT),), queue_seconds=0.5
                )
            ),
        ),
        budget=0.3,
        rate_pps=20 * MBIT / 8 / 1200,
        initial_rates=(15 * MBIT, 4 * MBIT),
    ),
}


def run_raft(
    scenario: Scenario,
    *,
    count: int,
    seed: int,
    arq: bool = True,
    fec: bool = True,
    monitor: Callable[[float, RaftEndpoint, RaftEndpoint], None] | None = None,
) -> tuple[Outcome, RaftEndpoint, RaftEndpoint]:
    """Offer ``count`` packets over Raft; the outcome and both endpoints (for telemetry).

    ``monitor(now, a, b)`` is called after every simulation step when given.
    """
    settings = scenario.settings(arq=arq, fec=fec)
    rng = random.Random(seed)
    a = RaftEndpoint(settings=settings, session_id=rng.randrange(1, 2**32), now=0.0)
    b = RaftEndpoint(settings=settings, session_id=rng.randrange(1, 2**32), now=0.0)
    sim = Simulation(a=a, b=b, paths=list(scenario.paths), seed=seed)
    watch = None if monitor is None else (lambda now: monitor(now, a, b))
    outcome = sim.run(rate_pps=scenario.rate_pps, size=scenario.size, count=count, monitor=watch)
    return outcome, a, b


_TAG = struct.Struct(">Qd")


def run_plain(scenario: Scenario, *, count: int, seed: int) -> Outcome:
    """Offer ``count`` packets as plain UDP on the first path (no recovery, no bonding)."""
    link = SimLink(scenario.paths[0][0], random.Random(random.Random(seed).getrandbits(64)))
    out = Outcome()
    warmup = 1.0
    for i in range(count):
        now = warmup + i / scenario.rate_pps
        payload = _TAG.pack(i, now) + bytes(max(0, scenario.size - _TAG.size))
        out.sent += 1
        out.payload_bytes += len(payload)
        out.wire_bytes_forward += len(payload) + UDP_IP_OVERHEAD
        link.send(payload, now)
    while (arrival := link.next_time()) is not None:
        for datagram in link.pop_due(arrival):
            ident, sent_at = _TAG.unpack_from(datagram)
            if arrival - sent_at <= scenario.budget:
                out.delivered_ids.add(ident)
                out.latencies.append(arrival - sent_at)
    return out
