"""Changes to the stored pipelines, in the order they were committed."""

from __future__ import annotations

from dataclasses import dataclass

from nanoping.pipelines.record import PipelineRecord


@dataclass(frozen=True, slots=True)
class PipelineCreated:
    """A pipeline was created."""

    pipeline: PipelineRecord
    """The new pipeline."""


@dataclass(frozen=True, slots=True)
class PipelineUpdated:
    """A pipeline's settings changed, or it was started or stopped."""

    pipeline: PipelineRecord
    """The pipeline after the change."""


@dataclass(frozen=True, slots=True)
class PipelineDeleted:
    """A pipeline was deleted."""

    pipeline: PipelineRecord
    """The pipeline as it was just before deletion."""


PipelineEvent = PipelineCreated | PipelineUpdated | PipelineDeleted
