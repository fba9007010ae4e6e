"""Exit codes of run processes that carry a meaning, and how an exit is told to people.

A run ends with exit code 0 (ended) or anything else (failed), and the restart policy goes by
that. A process killed by a signal has no exit code; it is recorded as 128 + the signal number,
as shells report it.
"""

from __future__ import annotations

import signal

ENDED = 0
"""The run ended: every component finished, or it was told to stop."""
FAILED = 1
"""A component failed the run."""
START_FAILED = 2
"""The run could not start: its config or its sockets were refused."""
ORPHANED = 128 + signal.SIGKILL
"""The node went away while the run ran (the run was killed with it, or noticed and left)."""


def exit_code_of(returncode: int) -> int:
    """The exit code to record for an asyncio/subprocess ``returncode`` (negative = signal)."""
    return 128 - returncode if returncode < 0 else returncode


def describe_exit(exit_code: int) -> str:
    """``exit code 1``, or ``killed by SIGKILL (exit code 137)`` for a signal's code."""
    if exit_code > 128:
        try:
            name = signal.Signals(exit_code - 128).name
        except ValueError:
            return f"exit code {exit_code}"
        return f"killed by {name} (exit code {exit_code})"
    return f"exit code {exit_code}"
