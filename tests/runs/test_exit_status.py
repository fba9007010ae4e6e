"""Exit codes as recorded and as told."""

from __future__ import annotations

from nanoping.runs.exit_status import ORPHANED, describe_exit, exit_code_of


def test_signals_are_recorded_as_128_plus_the_signal() -> None:
    assert exit_code_of(-9) == 137 == ORPHANED
    assert exit_code_of(0) == 0
    assert exit_code_of(3) == 3


def test_descriptions() -> None:
    assert describe_exit(1) == "exit code 1"
    assert describe_exit(137) == "killed by SIGKILL (exit code 137)"
    assert describe_exit(255) == "exit code 255"
