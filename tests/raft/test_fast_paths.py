"""The hot paths' short cuts hold to the general code they stand in for (same outputs)."""

from __future__ import annotations

import random
from collections.abc import Sequence

from hypothesis import given, settings
from hypothesis import strategies as st

from nanoping.raft import scheduler, wire
from nanoping.raft.carrier import CarrierState, WindowedMin
from nanoping.raft.endpoint import RaftEndpoint
from nanoping.raft.settings import CarrierSpec, RaftSettings, StreamSpec


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
