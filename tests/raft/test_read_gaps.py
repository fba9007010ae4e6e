"""Two carriers whose datagrams are read in bursts: a hole is a loss only once every carrier
in use has delivered something sent after it (false NACKs cost a storm of resends)."""

from __future__ import annotations

import random

import pytest

from nanoping.raft import wire
from nanoping.raft.arq import RENACK_FLOOR, NackPlanner
from nanoping.raft.events import CarrierExcluded
from nanoping.raft.settings import CarrierSpec, RaftSettings, StreamSpec
from tests.raft.test_endpoint import Bench, _data_seq

CARRIERS = (
    CarrierSpec(handle=10, initial_rate_bps=100e6),
    CarrierSpec(handle=20, initial_rate_bps=100e6),
)
SETTINGS = RaftSettings(
    streams=(StreamSpec(handle=1, timeout=0.2, policy="on_ordered"),), carriers=CARRIERS
)
ARQ_ONLY = RaftSettings(
    streams=(StreamSpec(handle=1, timeout=0.2, policy="on_ordered", fec=False),),
    carriers=CARRIERS,
)


class BurstyReads(Bench):
    """Receiver b reads each carrier only at its own instants, up to ``max_gap`` apart (sockets
    the event loop gets to late), so one carrier's datagrams come in bursts up to that much
    after the other's, as on a busy host."""

    def __init__(self, *, max_gap: float, seed: int, settings: RaftSettings = SETTINGS) -> None:
        super().__init__(delay=0.001, settings=settings)
        rng = random.Random(seed)
        self.reads: list[list[float]] = []
        for _ in SETTINGS.carriers:
            reads = [0.0]
            while reads[-1] < 10.0:
                reads.append(reads[-1] + rng.uniform(0.0, max_gap))
            self.reads.append(reads)

    def _collect(self) -> None:
        before = len(self.flight)
        super()._collect()
        for i in range(before, len(self.flight)):
            at, side, carrier, datagram = self.flight[i]
            if side == "b":
                read = next(r for r in self.reads[carrier] if r >= at)
                self.flight[i] = (read, side, carrier, datagram)


def _stream(bench: Bench, *, packets: int, per_ms: int, settle: float = 0.5) -> None:
    """Send ``packets`` from a, ``per_ms`` at a time every millisecond, and settle."""
    for i in range(0, packets, per_ms):
        for j in range(i, min(i + per_ms, packets)):
            bench.a.send(0, b"%d" % j + b"." * 1000, bench.now, poll=False)
        bench.a.poll(bench.now)
        bench.run(bench.now + 0.001)
    bench.run(bench.now + settle)


def _used_carriers(bench: Bench) -> set[int]:
    return {c.index for c in bench.a.carriers if c.sent_datagrams > 100}


def test_carrier_datagrams_read_up_to_100ms_late_in_bursts_cause_no_nack() -> None:
    bench = BurstyReads(max_gap=0.1, seed=7)
    bench.run(0.5)
    _stream(bench, packets=4000, per_ms=4)
    a, b = bench.a.stream_stats(0), bench.b.stream_stats(0)
    assert _used_carriers(bench) == {0, 1}
    assert len(bench.got_b) == 4000
    assert b["nacks_sent"] == 0
    assert a["retransmitted"] == 0
    events = bench.a.take_events() + bench.b.take_events()
    assert not [e for e in events if isinstance(e, CarrierExcluded)]


def test_a_packet_really_lost_on_a_late_carrier_is_still_recovered_in_time() -> None:
    bench = BurstyReads(max_gap=0.1, seed=7, settings=ARQ_ONLY)  # no code to rebuild it
    bench.run(0.5)
    lost: list[int] = []

    def drop(side: str, datagram: bytes) -> bool:
        seq = _data_seq(datagram)
        if side != "b" or seq is None or seq < 1000 or lost:
            return False
        first = not datagram[32] & wire.DATA_RETRANSMIT
        if first and bench.a.streams[0].history.packets[seq].carrier == 1:
            lost.append(seq)
            return True
        return False

    bench.drop = drop
    _stream(bench, packets=3000, per_ms=4)
    a, b = bench.a.stream_stats(0), bench.b.stream_stats(0)
    assert lost
    assert len(bench.got_b) == 3000  # each once, in order: the resend came before the deadline
    assert b["late"] == b["lost"] == 0
    assert 1 <= a["retransmitted"] <= 2  # the resend, and its copy if it was the last chance


def test_a_hole_waits_for_a_carrier_that_may_hold_it_but_not_past_the_last_round() -> None:
    def planner() -> NackPlanner:
        made = NackPlanner()
        made.on_arrival(0, 1.000, 1.010, wait=0.0, timeout=0.2)
        made.on_arrival(2, 1.002, 1.012, wait=0.0, timeout=0.2)  # hole 1, handed over by 1.002
        return made

    waits = {"until": 1.05}
    late = planner()
    assert late.due(1.012, 0.05, 0.0, behind=lambda sent: waits["until"]) == []
    assert late.next_deadline() == 1.05
    waits["until"] = 1.02  # the carrier delivered past the hole, or its lateness fell
    assert late.due(1.015, 0.05, 0.0, behind=lambda sent: waits["until"]) == []
    assert late.due(1.020, 0.05, 0.0, behind=lambda sent: waits["until"]) == [1]
    dark = planner()
    assert dark.due(1.012, 0.05, 0.0, behind=lambda sent: 9.0) == []
    last_round = 1.001 + 0.2 - 0.05 - RENACK_FLOOR  # deadline minus one round trip
    assert dark.next_deadline() == pytest.approx(last_round)
    assert dark.due(last_round - 0.001, 0.05, 0.0, behind=lambda sent: 9.0) == []
    assert dark.due(last_round, 0.05, 0.0, behind=lambda sent: 9.0) == [1]
    alone = planner()  # one carrier in use: nothing to wait for
    assert alone.due(1.012, 0.05, 0.0, behind=None) == [1]


class StalledPeer(Bench):
    """Everything b sends on any carrier between ``start`` and ``end`` reaches a only at
    ``end``: b's process (or a's reading of every socket) stalled, not a carrier."""

    def __init__(self, *, start: float, end: float) -> None:
        super().__init__(delay=0.001, settings=SETTINGS)
        self.start, self.end = start, end

    def _collect(self) -> None:
        before = len(self.flight)
        super()._collect()
        for i in range(before, len(self.flight)):
            at, side, carrier, datagram = self.flight[i]
            if side == "a" and self.start <= at < self.end:
                self.flight[i] = (self.end, side, carrier, datagram)


def test_a_peer_silent_on_every_carrier_at_once_takes_no_carrier_for_dark() -> None:
    bench = StalledPeer(start=1.0, end=1.15)
    bench.run(0.5)
    _stream(bench, packets=1000, per_ms=1)
    events = bench.a.take_events()
    assert not [e for e in events if isinstance(e, CarrierExcluded)]
    assert len(bench.got_b) == 1000
