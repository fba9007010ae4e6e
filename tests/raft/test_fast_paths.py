"""The hot paths' short cuts hold to the general code they stand in for (same outputs)."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from nanoping.raft import scheduler, wire
from nanoping.raft.carrier import CarrierState


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
    assert scheduler.pick(carriers, size, 0.0, avoid=avoid) is _reference_pick(
        carriers, size, 0.0, avoid=avoid
    )
