"""The hot paths' short cuts hold to the general code they stand in for (same outputs)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nanoping.raft import scheduler, wire
from nanoping.raft.carrier import CarrierState, WindowedMin
from nanoping.raft.endpoint import RaftEndpoint
from nanoping.raft.settings import CarrierSpec, RaftSettings, StreamSpec
from nanoping.raft.simlink import LinkProfile, SimLink, Simulation


def _reference_pick(
    carriers: Sequence[CarrierState], size: int, now: float, *, avoid: int = -1
) -> CarrierState | None:
    """The scheduler as written before its one-tier short cut: tier by tier, always."""
    usable = [c for c in carriers if c.usable and c.index != avoid]
    if not usable:
        usable = [c for c in carriers if c.usable] or [c for c in carriers if c.established]
    if not usable:
        return None
    best: CarrierState | None = None
    best_eta = 0.0
    for priority in sorted({c.priority for c in usable}, reverse=True):
        for carrier in (c for c in usable if c.priority == priority):
            eta = carrier.expected_arrival(now, size)
            if best is None or eta < best_eta:
                best, best_eta = carrier, eta
        assert best is not None
        if best.pacer.wait(now, best.estimate.rate_bps, size) <= scheduler.SATURATED_S:
            return best
    return best


_CARRIER = st.tuples(
    st.integers(0, 2),  # priority
    st.sampled_from([1e6, 5e6, 20e6]),  # rate
    st.sampled_from([0.01, 0.03, 0.08]),  # rtt
    st.integers(0, 40),  # queued bodies
    st.booleans(),  # established
)


@given(st.lists(_CARRIER, min_size=1, max_size=4), st.integers(-1, 3), st.integers(20, 1400))
def test_pick_matches_the_tier_by_tier_scheduler(
    specs: list[tuple[int, float, float, int, bool]], avoid: int, size: int
) -> None:
    carriers = []
    for index, (priority, rate, rtt, queued, established) in enumerate(specs):
        carrier = CarrierState(index=index, handle=index, priority=priority, initial_rate_bps=rate)
        carrier.established = established
        carrier.estimate.rtt.add(rtt)
        for _ in range(queued):
            carrier.pacer.push(wire.DATA, bytes(1200), 1.0)
        carriers.append(carrier)
    chosen = _reference_pick(carriers, size, 0.0, avoid=avoid)
    assert scheduler.pick(carriers, size, 0.0, avoid=avoid) is chosen
    found = scheduler.pick_eta(carriers, size, 0.0, avoid=avoid)
    if chosen is None:
        assert found is None
    else:
        assert found == (chosen, chosen.expected_arrival(0.0, size))


SETTINGS = RaftSettings(
    streams=(StreamSpec(handle=1, timeout=0.2, policy="on_ordered"),),
    carriers=(CarrierSpec(handle=10), CarrierSpec(handle=20)),
)


GARBAGE = wire.encode_header(wire.DATA, 5, 6, 0, 0) + bytes(16)
"""A DATA packet of a session nobody knows."""


def _outputs(endpoint: RaftEndpoint) -> tuple[object, ...]:
    return (
        endpoint.take_datagrams(),
        endpoint.take_delivered(),
        endpoint.stream_stats(0),
        [endpoint.carrier_stats(i) for i in range(2)],
        dict(endpoint.dropped),
    )


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), loss=st.sampled_from([0.0, 0.05, 0.2]), batch=st.integers(1, 24))
def test_batches_in_and_out_match_one_packet_at_a_time(seed: int, loss: float, batch: int) -> None:
    """Twin receivers of the same datagrams, one fed packet by packet and one by batch, say
    and deliver the same; the sender's batches leave as the same datagrams as single sends."""
    rng = random.Random(seed)
    single, batched = (RaftEndpoint(settings=SETTINGS, session_id=111, now=0.0) for _ in "ab")
    one, many = (RaftEndpoint(settings=SETTINGS, session_id=222, now=0.0) for _ in "ab")
    now = 0.0
    for step in range(150):
        now += 0.002 if step >= 20 else 0.01
        if step >= 20:
            payloads = [b"%d" % rng.randrange(10**9) * rng.randrange(1, 90) for _ in range(batch)]
            taken = sum(single.send(0, payload, now, poll=False) for payload in payloads)
            single.poll(now)
            assert batched.send_batch(0, payloads, now) == taken
        sent = single.take_datagrams()
        assert batched.take_datagrams() == sent
        kept = [(c, d) for c, d in sent if step < 20 or rng.random() >= loss]
        if rng.random() < 0.1:  # something to refuse in the middle of a batch
            kept.insert(rng.randrange(len(kept) + 1), (rng.randrange(2), GARBAGE))
        for carrier in (0, 1):
            group = [d for c, d in kept if c == carrier]
            rng.shuffle(group)
            for datagram in group:
                one.receive(carrier, datagram, now, poll=False)
            one.poll(now)
            many.receive_batch(carrier, group, now)
        answer, twin = _outputs(one), _outputs(many)
        assert twin == answer
        for carrier, datagram in answer[0]:  # type: ignore[attr-defined]
            single.receive(carrier, datagram, now)
            batched.receive(carrier, datagram, now)
    assert one.stream_stats(0)["delivered"] > 0


@given(st.lists(st.tuples(st.floats(-1.0, 1.0), st.floats(0.0, 0.5)), max_size=60))
def test_windowed_min_is_the_minimum_of_its_two_windows(steps: list[tuple[float, float]]) -> None:
    window = WindowedMin(1.0)
    assert window.value == 0.0
    now, started = 0.0, 0.0
    current: list[float] = []
    previous: list[float] = []
    for value, gap in steps:
        now += gap
        if not current or now - started >= 1.0:
            previous, current, started = current, [value], now
        else:
            current.append(value)
        assert window.add(value, now) == min(current + previous)
        assert window.value == min(current + previous)


_MEASURED = st.tuples(
    st.integers(0, 1),  # priority
    st.sampled_from([1e6, 5e6, 20e6]),  # rate
    st.sampled_from([0.01, 0.03, 0.08]),  # rtt
    st.integers(0, 20),  # queued bodies
    st.sampled_from([-1.0, 0.0, 0.004]),  # next send relative to now (-1: established only)
    st.sampled_from([None, 0.8e6, 4e6]),  # measured capacity
    st.sampled_from([0.0, 0.003, 0.02]),  # path busy after now
)


@given(
    st.lists(_MEASURED, min_size=1, max_size=3),
    st.lists(st.tuples(st.integers(0, 1400), st.integers(-1, 3)), min_size=1, max_size=40),
)
def test_schedule_of_a_batch_matches_per_packet_picks(
    specs: list[tuple[int, float, float, int, float, float | None, float]],
    packets: list[tuple[int, int]],
) -> None:
    """Packets scheduled one after the other on the queues the batch builds get the carrier and
    the arrival estimate :func:`scheduler.pick_eta` gives for each, bit for bit."""
    now = 5.0
    carriers = []
    for index, (priority, rate, rtt, queued, ahead, capacity, busy) in enumerate(specs):
        carrier = CarrierState(index=index, handle=index, priority=priority, initial_rate_bps=rate)
        carrier.established = True
        carrier.state = "excluded" if ahead < 0 else carrier.state
        carrier.estimate.rtt.add(rtt)
        carrier.estimate.rtt.add(rtt * 1.3)
        carrier.pacer.next_send = now + max(ahead, 0.0)
        if capacity is not None:
            carrier.estimate.measured, carrier.estimate.capacity = True, capacity
        carrier.path_free = now + busy
        for _ in range(queued):
            carrier.pacer.push(wire.DATA, bytes(1200), now + 1.0)
        carriers.append(carrier)
    schedule = scheduler.Schedule(carriers, now)
    for size, avoid in packets:
        expected = scheduler.pick_eta(carriers, size, now, avoid=avoid)
        assert schedule.pick_eta(size, avoid=avoid) == expected
        assert schedule.pick(size, avoid=avoid) is scheduler.pick(carriers, size, now, avoid=avoid)
        if expected is not None:
            expected[0].pacer.push(wire.REPAIR if avoid >= 0 else wire.DATA, bytes(size), now + 1)


@pytest.mark.parametrize("measured", [False, True])
def test_schedule_takes_the_first_of_equally_good_carriers(measured: bool) -> None:
    """Twin carriers tie: the first takes a packet, then the second (its queue is shorter)."""
    carriers = []
    for index in range(3):
        carrier = CarrierState(index=index, handle=index, priority=0, initial_rate_bps=5e6)
        carrier.established = True
        carrier.estimate.rtt.add(0.02)
        carrier.estimate.measured = measured
        carriers.append(carrier)
    schedule = scheduler.Schedule(carriers, 1.0)
    for expected in (0, 1, 2, 0):
        found = schedule.pick_eta(1000, avoid=5)
        assert found == scheduler.pick_eta(carriers, 1000, 1.0, avoid=5)
        assert found is not None
        assert found[0].index == expected
        found[0].pacer.push(wire.DATA, bytes(1000), 2.0)


class _PerPacketSchedule:
    """The scheduler consulted afresh for every packet, as before batches were scheduled."""

    def __init__(self, carriers: Sequence[CarrierState], now: float) -> None:
        self.carriers, self.now = carriers, now

    def pick(self, size: int, *, avoid: int = -1) -> CarrierState | None:
        return scheduler.pick(self.carriers, size, self.now, avoid=avoid)

    def pick_eta(self, size: int, *, avoid: int = -1) -> tuple[CarrierState, float] | None:
        return scheduler.pick_eta(self.carriers, size, self.now, avoid=avoid)


class _BatchSimulation(Simulation):
    """Offers the stream in input batches and keeps every datagram the sender emits."""

    batch = 8

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.emitted: list[tuple[float, int, bytes]] = []

    def _offer(self, i: int, size: int) -> None:
        if i % self.batch == 0:
            payloads = [b"%d:%d" % (i, k) + bytes(size) for k in range(self.batch)]
            self.outcome.sent += len(payloads)
            self.a.send_batch(0, payloads, self.now)

    def _move(self, endpoint: RaftEndpoint, links: list[SimLink], *, forward: bool) -> None:
        if not forward:
            super()._move(endpoint, links, forward=forward)
            return
        taken = endpoint.take_datagrams()
        self.emitted += [(self.now, c, d) for c, d in taken]
        for index, datagram in taken:
            links[index].send(datagram, self.now)


def _batched_run(seed: int) -> tuple[list[tuple[float, int, bytes]], list[bool]]:
    """Datagrams a sender emits over a fast lossy carrier and a slower, narrow one."""
    settings = RaftSettings(
        streams=(StreamSpec(handle=1, timeout=0.2, policy="on_ordered"),),
        carriers=(CarrierSpec(handle=10), CarrierSpec(handle=20)),
    )
    a, b = (RaftEndpoint(settings=settings, session_id=s, now=0.0) for s in (111, 222))
    paths = [
        (LinkProfile(delay=0.01, loss=0.03, rate_bps=3e6), LinkProfile(delay=0.01)),
        (LinkProfile(delay=0.03, loss=0.01, rate_bps=1.5e6), LinkProfile(delay=0.03)),
    ]
    sim = _BatchSimulation(a=a, b=b, paths=paths, seed=seed)
    sim.run(rate_pps=500, size=1000, count=1600, warmup=0.5)
    return sim.emitted, [c.estimate.measured for c in a.carriers]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_batch_schedule_sends_the_datagrams_of_per_packet_scheduling(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sender overloading two carriers (queues, capacity measured, FEC repairs kept off the
    data's carrier, NACKed resends) emits the same datagrams at the same times whether its
    input batches are scheduled at once or packet by packet."""
    batched, measured = _batched_run(seed)
    monkeypatch.setattr(scheduler, "Schedule", _PerPacketSchedule)
    per_packet, _ = _batched_run(seed)
    assert any(measured)
    assert {c for _, c, _ in batched} == {0, 1}
    assert batched == per_packet
