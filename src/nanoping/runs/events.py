"""What happened to runs, as the supervisor reports it to an observer (benchmarks, tests)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class RunStarted:
    """A run process answered its start instruction: the run is running."""

    pipeline_id: str
    """Pipeline the run belongs to."""
    run_id: str
    """The run."""
    pid: int
    """Process id of the run process."""
    startup_seconds: float
    """From the supervisor deciding to start the run to the run running."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunExited:
    """A run process exited (on its own, stopped, crashed, or killed as hung)."""

    pipeline_id: str
    """Pipeline the run belonged to."""
    run_id: str
    """The run."""
    exit_code: int
    """0 = ended, anything else = failed; 128 + N for a process killed by signal N."""
    reason: str
    """Why it ended, as written to the run log."""
    lifetime: float
    """Seconds from spawning the process to its exit."""
    cpu_seconds: float | None
    """CPU time the run reported using; None when it could not say (crash, kill)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RestartScheduled:
    """A run ended and the restart policy asked for another after a delay."""

    pipeline_id: str
    """Pipeline to restart."""
    delay: float
    """Seconds until the restart."""
    restarts_done: int
    """Restarts made since the pipeline was started, not counting this one."""


RunEvent = RunStarted | RunExited | RestartScheduled
