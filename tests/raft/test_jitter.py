"""The jitter buffer on a fake clock: release times, order, holes, late packets, duplicates."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoping.raft.jitter import ON_ORDERED, ON_TIMEOUT, TRANSIT, JitterBuffer


def test_on_timeout_releases_at_send_time_plus_playout_keeping_the_spacing() -> None:
    buf = JitterBuffer(policy=ON_TIMEOUT, timeout=0.1, playout=0.05)
    buf.insert(0, 1.000, b"a", now=1.020)
    buf.insert(1, 1.010, b"b", now=1.021)
    assert buf.release(1.049) == []
    assert buf.next_deadline() == 1.050
    assert buf.release(1.050) == [(0, b"a")]
    assert buf.release(1.059) == []
    assert buf.release(1.060) == [(1, b"b")]


def test_on_timeout_skips_a_hole_when_the_next_packet_is_due_and_counts_it_lost() -> None:
    buf = JitterBuffer(policy=ON_TIMEOUT, timeout=0.1, playout=0.05)
    buf.insert(0, 1.000, b"a", now=1.01)
    buf.insert(2, 1.020, b"c", now=1.03)
    assert buf.release(1.060) == [(0, b"a")]
    assert buf.release(1.070) == [(2, b"c")]
    assert buf.counters.lost == 1
    buf.insert(1, 1.010, b"b", now=1.071)  # the hole's packet shows up after its turn
    assert buf.counters.late == 1
    assert buf.release(2.0) == []


def test_a_packet_arriving_after_its_deadline_is_late_and_never_delivered() -> None:
    buf = JitterBuffer(policy=ON_TIMEOUT, timeout=0.1, playout=0.05)
    assert buf.insert(0, 1.0, b"a", now=1.2) == []
    assert buf.counters.late == 1
    assert buf.release(5.0) == []


def test_on_ordered_releases_at_once_in_order_and_waits_for_a_hole_until_it_expires() -> None:
    buf = JitterBuffer(policy=ON_ORDERED, timeout=0.1, playout=0.1)
    buf.insert(0, 1.000, b"a", now=1.01)
    assert buf.release(1.01) == [(0, b"a")]
    buf.insert(2, 1.020, b"c", now=1.03)
    assert buf.release(1.03) == []
    # The hole (seq 1, sent about 1.010) expires at about 1.110.
    deadline = buf.next_deadline()
    assert deadline == pytest.approx(1.110)
    buf.insert(1, 1.010, b"b", now=1.05)
    assert buf.release(1.05) == [(1, b"b"), (2, b"c")]
    assert buf.counters.lost == 0


def test_on_ordered_gives_up_on_a_hole_at_its_deadline() -> None:
    buf = JitterBuffer(policy=ON_ORDERED, timeout=0.1, playout=0.1)
    buf.insert(0, 1.000, b"a", now=1.01)
    buf.insert(2, 1.020, b"c", now=1.03)
    assert buf.release(1.109) == [(0, b"a")]
    assert buf.release(1.110) == [(2, b"c")]
    assert buf.counters.lost == 1


def test_duplicates_are_counted_and_dropped() -> None:
    buf = JitterBuffer(policy=ON_ORDERED, timeout=0.1, playout=0.1)
    buf.insert(0, 1.0, b"a", now=1.0)
    buf.insert(0, 1.0, b"a", now=1.0)
    assert buf.release(1.0) == [(0, b"a")]
    buf.insert(0, 1.0, b"a", now=1.01)
    assert buf.counters.duplicates == 2
    assert buf.counters.delivered == 1


def test_transit_delivers_on_arrival_once() -> None:
    buf = JitterBuffer(policy=TRANSIT, timeout=0.1, playout=0.1)
    assert buf.insert(3, 1.0, b"d", now=1.0) == [b"d"]
    assert buf.insert(1, 1.0, b"b", now=1.0) == [b"b"]
    assert buf.insert(3, 1.0, b"d", now=1.0) == []
    assert buf.counters.duplicates == 1


@given(
    policy=st.sampled_from([ON_TIMEOUT, ON_ORDERED]),
    arrivals=st.lists(st.tuples(st.integers(0, 60), st.floats(0.0, 0.15)), min_size=1, max_size=80),
)
def test_never_out_of_order_never_twice_never_past_the_timeout(
    policy: str, arrivals: list[tuple[int, float]]
) -> None:
    timeout = 0.1
    buf = JitterBuffer(policy=policy, timeout=timeout, playout=0.05)
    events = sorted((seq * 0.01 + delay, seq) for seq, delay in arrivals)
    released: list[tuple[int, float]] = []

    def release_until(t: float) -> None:
        while (due := buf.next_deadline()) is not None and due <= t:
            released.extend((s, max(due, 0.0)) for s, _ in buf.release(max(due, 0.0)))
            if buf.next_deadline() == due:
                break

    for now, seq in events:
        release_until(now)
        buf.insert(seq, seq * 0.01, bytes([seq]), now)
        released.extend((s, now) for s, _ in buf.release(now))
    release_until(10.0)
    seqs = [s for s, _ in released]
    assert seqs == sorted(set(seqs))
    first_arrival = {seq: now for now, seq in reversed(events)}
    for seq, at in released:
        assert at <= max(seq * 0.01 + timeout, first_arrival[seq]) + 1e-9
    c = buf.counters
    assert c.delivered == len(released)
    assert c.delivered + c.late + c.duplicates == len(events)


def test_on_ordered_releases_at_once_past_holes_the_sender_abandoned() -> None:
    buf = JitterBuffer(policy=ON_ORDERED, timeout=0.2, playout=0.2)
    buf.insert(0, 1.00, b"a", now=1.01)
    buf.insert(3, 1.03, b"d", now=1.04)
    assert buf.release(1.04) == [(0, b"a")]
    buf.abandon(1, 1)
    assert buf.release(1.05) == []  # 2 is still missing and may come
    buf.abandon(2, 1)
    assert buf.next_deadline() == 0.0
    assert buf.release(1.05) == [(3, b"d")]
    assert buf.counters.lost == 2
    buf.abandon(0, 10**9)  # a huge range costs a bounded amount of memory
    assert buf.release(1.06) == []
