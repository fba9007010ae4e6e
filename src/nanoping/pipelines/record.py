"""A stored pipeline and a stored run, as the store hands them out (immutable snapshots)."""

from __future__ import annotations

from dataclasses import dataclass

from nanoping.errors import FailedPrecondition
from nanoping.pipelines.json_config import SUPPORTED_VERSION
from nanoping.pipelines.settings import PipelineSettings


@dataclass(frozen=True, slots=True)
class PipelineRecord:
    """One pipeline at one revision: its settings and whether a run is active."""

    id: str
    """Pipeline id (a UUID made on create)."""
    settings: PipelineSettings
    """Everything create/update set."""
    started: bool
    """True between a start and the matching stop (also while waiting to restart)."""
    current_run: str | None
    """Id of the active run; None when no run is active."""
    revision: int
    """1 on create, +1 on every committed change: later snapshots have higher numbers."""

    @property
    def name(self) -> str:
        """The pipeline's display name."""
        return self.settings.name

    def require_compatible(self) -> None:
        """Refuse (FAILED_PRECONDITION) to run a config written for a newer NanoPing."""
        if not self.settings.compatible:
            raise FailedPrecondition(
                f"pipeline {self.id} ('{self.name}') cannot run on this node: its json_config "
                f"declares version {self.settings.config.declared_version}, newer than the "
                f"version {SUPPORTED_VERSION} this node reads; update the pipeline with a "
                f"config this node supports"
            )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One run of a pipeline, kept so a run id still names its pipeline after the run ended."""

    id: str
    """Run id."""
    pipeline_id: str
    """Pipeline the run belongs to."""
    started_at: float
    """Clock time (Unix seconds) at which the run was recorded."""
    ended_at: float | None
    """Clock time at which it ended; None while it runs."""
    exit_code: int | None
    """Process exit code (0 = ended, other = failed); None while running or when unknown."""
