"""Restart delays: doubling from 0.5 s to 30 s, back to 0.5 s after a healthy run."""

from __future__ import annotations

import pytest

from nanoping.runs.backoff import BackoffPolicy, RestartBackoff


def test_delays_double_up_to_the_maximum() -> None:
    backoff = RestartBackoff(BackoffPolicy())
    delays = [backoff.delay_after(0.1) for _ in range(9)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0, 30.0]


def test_a_run_that_lived_long_enough_resets_the_delay() -> None:
    backoff = RestartBackoff(BackoffPolicy(healthy_after=10.0))
    assert [backoff.delay_after(1.0) for _ in range(3)] == [0.5, 1.0, 2.0]
    assert backoff.delay_after(10.0) == 0.5
    assert backoff.delay_after(9.9) == 1.0


def test_nonsense_policies_are_refused() -> None:
    with pytest.raises(ValueError, match="0 < initial <= maximum"):
        BackoffPolicy(initial=0)
    with pytest.raises(ValueError, match="factor >= 1"):
        BackoffPolicy(factor=0.5)
