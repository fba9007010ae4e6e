"""Reconnection timing of the joining node: jittered exponential backoff and its state machine."""

from __future__ import annotations

import random
import re

import pytest

from nanoping.link import Backoff, InvalidStateError, LinkPhase, Reconnector
from nanoping.link.reconnector import retry_after


def delays(seed: int, count: int) -> list[float]:
    backoff = Backoff(base=0.5, cap=30.0, rng=random.Random(seed))
    return [backoff.next_delay() for _ in range(count)]


def test_seeded_backoff_is_deterministic() -> None:
    assert delays(7, 20) == delays(7, 20)
    assert delays(7, 20) != delays(8, 20)


def test_each_delay_lies_within_a_doubling_window_bounded_by_the_cap() -> None:
    backoff = Backoff(base=0.5, cap=30.0, rng=random.Random(1))
    ceilings = []
    for _ in range(50):
        ceilings.append(backoff.ceiling())
        assert 0.0 <= backoff.next_delay() <= ceilings[-1]
    assert ceilings[:8] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert max(delays(3, 2000)) <= 30.0


def test_full_jitter_spreads_delays_over_the_whole_window() -> None:
    backoff = Backoff(base=10.0, cap=10.0, rng=random.Random(5))
    samples = [backoff.next_delay() for _ in range(1000)]
    assert min(samples) < 1.0
    assert max(samples) > 9.0


def test_backoff_rejects_a_cap_below_the_base() -> None:
    with pytest.raises(ValueError, match=re.escape("0 < base <= cap, got base=2.0, cap=1.0")):
        Backoff(base=2.0, cap=1.0, rng=random.Random(0))


def failing_reconnector(seed: int) -> tuple[Reconnector, list[float]]:
    """A joined reconnector whose first five attempts fail; returns it and the waits seen."""
    reconnector = Reconnector(
        rng=random.Random(seed), base_delay=1.0, max_delay=8.0, first_delays=()
    )
    reconnector.joined(now=100.0)
    assert reconnector.next_attempt_at(100.0) == 100.0  # a fresh join dials at once
    now, waits = 100.0, []
    for _ in range(5):
        reconnector.attempt_started(now)
        reconnector.disconnected(now)
        attempt_at = reconnector.next_attempt_at(now)
        assert attempt_at is not None
        waits.append(attempt_at - now)
        now = attempt_at
    return reconnector, waits


def test_failed_attempts_back_off_deterministically_up_to_the_cap() -> None:
    _, waits = failing_reconnector(seed=42)
    assert waits == failing_reconnector(seed=42)[1]
    for wait, ceiling in zip(waits, [1.0, 2.0, 4.0, 8.0, 8.0], strict=True):
        assert 0.0 <= wait <= ceiling


def test_next_attempt_is_never_in_the_past() -> None:
    reconnector, _ = failing_reconnector(seed=1)
    assert reconnector.next_attempt_at(10_000.0) == 10_000.0


def test_a_stable_connection_resets_the_backoff() -> None:
    reconnector = Reconnector(
        rng=random.Random(3), base_delay=1.0, max_delay=60.0, stable_after=30.0, first_delays=()
    )
    reconnector.joined(now=0.0)
    for _ in range(6):  # widen the window to 60 s
        reconnector.attempt_started(0.0)
        reconnector.disconnected(0.0)
    reconnector.attempt_started(0.0)
    reconnector.connected(0.0)
    assert reconnector.phase is LinkPhase.CONNECTED
    assert reconnector.next_attempt_at(0.0) is None
    reconnector.disconnected(30.0)
    attempt_at = reconnector.next_attempt_at(30.0)
    assert attempt_at is not None
    assert 30.0 <= attempt_at <= 31.0  # back to the first window


def test_a_short_connection_keeps_widening_the_backoff() -> None:
    seeds_with_long_waits = 0
    for seed in range(20):
        reconnector = Reconnector(
            rng=random.Random(seed),
            base_delay=1.0,
            max_delay=60.0,
            stable_after=30.0,
            first_delays=(),
        )
        reconnector.joined(now=0.0)
        for _ in range(6):
            reconnector.attempt_started(0.0)
            reconnector.disconnected(0.0)
        reconnector.attempt_started(0.0)
        reconnector.connected(0.0)
        reconnector.disconnected(29.0)
        attempt_at = reconnector.next_attempt_at(29.0)
        assert attempt_at is not None
        assert attempt_at <= 29.0 + 60.0
        seeds_with_long_waits += attempt_at > 30.0
    assert seeds_with_long_waits > 10


def test_lost_credential_stops_dialing() -> None:
    reconnector, _ = failing_reconnector(seed=9)
    reconnector.credential_lost()
    assert reconnector.phase is LinkPhase.UNAUTHENTICATED
    assert reconnector.next_attempt_at(0.0) is None
    with pytest.raises(InvalidStateError, match="attempt_started while unauthenticated"):
        reconnector.attempt_started(0.0)


def test_first_attempts_after_start_up_are_quick_then_back_off() -> None:
    reconnector = Reconnector(rng=random.Random(5), base_delay=1.0, max_delay=8.0)
    reconnector.joined(now=0.0)
    now, waits = 0.0, []
    for _ in range(7):
        reconnector.attempt_started(now)
        reconnector.disconnected(now)
        attempt_at = reconnector.next_attempt_at(now)
        assert attempt_at is not None
        waits.append(attempt_at - now)
        now = attempt_at
    assert waits[:5] == pytest.approx([0.02, 0.04, 0.08, 0.16, 0.32])
    # the jittered backoff from there
    assert 0.0 <= waits[5] <= 1.0
    assert 0.0 <= waits[6] <= 2.0


def test_a_drop_after_a_link_was_up_is_never_retried_quickly() -> None:
    reconnector = Reconnector(rng=random.Random(5), base_delay=1.0, max_delay=8.0)
    reconnector.joined(now=0.0)
    reconnector.attempt_started(0.0)
    reconnector.connected(0.0)
    waits = []
    for now in (10.0, 20.0, 30.0):
        reconnector.disconnected(now)
        attempt_at = reconnector.next_attempt_at(now)
        assert attempt_at is not None
        waits.append(attempt_at - now)
        reconnector.attempt_started(attempt_at)
    assert waits != [0.02, 0.04, 0.08]
    assert waits == pytest.approx(backoff_waits())


def backoff_waits() -> list[float]:
    """The waits a plain seeded backoff hands out, for comparison."""
    backoff = Backoff(base=1.0, cap=8.0, rng=random.Random(5))
    return [backoff.next_delay() for _ in range(3)]


def test_a_hub_retry_after_comes_first_and_the_jittered_backoff_is_added_on_top() -> None:
    waits = []
    for seed in range(200):
        reconnector = Reconnector(rng=random.Random(seed), base_delay=1.0, max_delay=8.0)
        reconnector.joined(now=0.0)  # quick first retries pending, yet a busy hub overrides them
        reconnector.attempt_started(0.0)
        reconnector.disconnected(0.0, retry_after=5.0)
        attempt_at = reconnector.next_attempt_at(0.0)
        assert attempt_at is not None
        waits.append(attempt_at)
    assert all(5.0 <= wait <= 6.0 for wait in waits)
    # nodes told the same Retry-After still come back spread over the backoff window
    assert min(waits) < 5.1
    assert max(waits) > 5.9


def test_a_retry_after_longer_than_the_cap_is_cut_to_the_cap() -> None:
    reconnector = Reconnector(rng=random.Random(1), base_delay=1.0, max_delay=8.0)
    reconnector.joined(now=0.0)
    reconnector.attempt_started(0.0)
    reconnector.disconnected(0.0, retry_after=1e9)
    attempt_at = reconnector.next_attempt_at(0.0)
    assert attempt_at is not None
    assert 8.0 <= attempt_at <= 9.0


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("120", 120.0),
        (" 2 ", 2.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (None, None),
        ("", None),
        ("-3", None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("Wed, 21 Oct 2026 07:28:00 GMT", None),
    ],
)
def test_retry_after_reads_plain_seconds_only(header: str | None, seconds: float | None) -> None:
    assert retry_after(header) == seconds
