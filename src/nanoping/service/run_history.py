"""RunHistoryService (internal): the runs of a pipeline, for `np pipelines runs` and `show`.

The store keeps every run's id, start, end and exit code; why a run ended is the ``reason`` of
the "run ended" line its log closes with, read from the end of that log.
"""

from __future__ import annotations

import json
from pathlib import Path

from nanoping.errors import NotFound
from nanoping.internal import run_history_pb2
from nanoping.pipelines.record import RunRecord
from nanoping.runs.log_file import run_log_path
from nanoping.service.pipelines import PipelinesService

LOG_TAIL_BYTES = 16 * 1024
"""How much of a run log's end is read to find its "run ended" line."""


class RunHistoryService:
    """Implements ``nanoping.internal.RunHistoryService`` from the pipelines service's store."""

    def __init__(self, *, pipelines: PipelinesService, node_id: str) -> None:
        self._pipelines = pipelines
        self._node_id = node_id

    async def get_pipeline_runs(
        self, request: run_history_pb2.GetPipelineRunsRequest
    ) -> run_history_pb2.GetPipelineRunsResponse:
        if request.node_id and request.node_id != self._node_id:
            raise NotFound(f"node {request.node_id} is unknown: this node's id is {self._node_id}")
        store = self._pipelines.store
        store.get(request.pipeline_id)  # NOT_FOUND naming the pipeline
        runs = self._pipelines.runs
        logs = runs.runs_dir if runs is not None else None
        return run_history_pb2.GetPipelineRunsResponse(
            runs=[_message(run, logs) for run in store.runs(request.pipeline_id)]
        )


def _message(run: RunRecord, logs: Path | None) -> run_history_pb2.PipelineRun:
    message = run_history_pb2.PipelineRun(run_id=run.id, started_at=run.started_at)
    if run.ended_at is not None:
        message.ended_at = run.ended_at
        message.reason = _ended_reason(run_log_path(logs, run.id)) if logs is not None else ""
    if run.exit_code is not None:
        message.exit_code = run.exit_code
    return message


def _ended_reason(path: Path) -> str:
    """The ``reason`` of the last "run ended" line of a run log ("" when there is none)."""
    try:
        with path.open("rb") as file:
            file.seek(max(0, path.stat().st_size - LOG_TAIL_BYTES))
            lines = file.read().splitlines()
    except OSError:
        return ""
    for line in reversed(lines):
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if isinstance(entry, dict) and entry.get("message") == "run ended":
            data = entry.get("data")
            return str(data.get("reason", "")) if isinstance(data, dict) else ""
    return ""
