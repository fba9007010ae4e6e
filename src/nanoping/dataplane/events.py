"""Things that happened in a run, reported by components and by the engine."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ComponentFailed:
    """A component decided the run must fail."""

    component_id: str
    """Instance id of the component."""
    reason: str
    """Human-readable cause, copied into the run outcome."""


@dataclass(frozen=True, slots=True)
class ComponentLogged:
    """A component wrote a line for the run's log (not a failure)."""

    component_id: str
    """Instance id of the component."""
    level: str
    """Log level name: STATE, DEBUG, INFO, WARNING, ERROR or FATAL."""
    message: str
    """The line's text."""


@dataclass(frozen=True, slots=True)
class ComponentFinished:
    """A component has no more work: its inputs ended and it holds no packets."""

    component_id: str
    """Instance id of the component."""
    at: float
    """Clock time at which the engine saw it finish."""


@dataclass(frozen=True, slots=True)
class RunEnded:
    """The run is over; ``exit_code`` 0 means it ended, anything else means it failed."""

    exit_code: int
    """Process exit code the run should end with."""
    reason: str
    """Why the run ended."""


Event = ComponentFailed | ComponentLogged | ComponentFinished | RunEnded
