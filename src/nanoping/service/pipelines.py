"""PipelinesService: pipelines (CRUD and change stream) and their runs (start, stop, logs, telemetry).

API glue over :mod:`nanoping.pipelines` and :mod:`nanoping.runs`: requests become
:class:`PipelineSettings` (applying the create and update defaults of the reference), records
become ``Pipeline`` messages, and run operations go to the :class:`RunSupervisor`.

Run-related rules (the reference leaves codes open; these are ours):

- startPipeline / stopPipeline: NOT_FOUND for an unknown pipeline or run, FAILED_PRECONDITION
  when already started / already stopped (or the run cannot start, with its reason),
  DEADLINE_EXCEEDED when the run is not running within 10 s; INVALID_ARGUMENT without selector.
- updatePipeline of a running pipeline applies the new config live when the component graph
  allows, else FAILED_PRECONDITION unless ``force_restart`` (then it returns once the new run is
  running). deletePipeline of a running pipeline stops the run first and waits for its end.
- openLogStream: the last ``options.lines`` lines (none when unset), then new lines as they are
  written, until the caller cancels or the node stops (a run that ended keeps its log: the
  stream stays open, as for a live run). NOT_FOUND for an unknown run.
- openTelemetryStream: the latest sample at once, then one about every second; ends with
  FAILED_PRECONDITION "run ... ended: ..." when the run ends (after its final sample). NOT_FOUND
  for an unknown run, FAILED_PRECONDITION for a run that is not running.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from nanoping.api import pipelines_pb2
from nanoping.dataplane.config import SUPPORTED_VERSION, parse_json_config
from nanoping.dataplane.privileges import privilege_warnings
from nanoping.errors import (
    DeadlineExceeded,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    Unimplemented,
)
from nanoping.logs.pruning import DEFAULT_KEPT_RUNS
from nanoping.logs.rotation import LogRotation
from nanoping.logs.tail import LogTail
from nanoping.pipelines.events import PipelineCreated, PipelineDeleted, PipelineEvent
from nanoping.pipelines.feed import PipelineFeed, Subscription
from nanoping.pipelines.json_config import JsonConfig
from nanoping.pipelines.record import PipelineRecord
from nanoping.pipelines.settings import (
    CREATE_DEFAULT_LOGGING_LEVEL,
    DEFAULT_INSTRUCTIONS_TIMEOUT,
    DEFAULT_PERFORMANCE_MODE,
    LogLevel,
    PipelineSettings,
    RestartMode,
    RestartPolicy,
    StartupPolicy,
)
from nanoping.pipelines.store import PipelineStore
from nanoping.quoting import quoted
from nanoping.runs.log_entry import LogEntryReader
from nanoping.runs.supervision import RunTiming
from nanoping.runs.supervisor import RunSupervisor
from nanoping.runs.telemetry_feed import TelemetrySubscription
from nanoping.storage.database import Database

log = logging.getLogger(__name__)

SERVICE_NAME = "nanopinggrpc.pipeline.PipelinesService"
"""Key of this implementation in the method table."""


class PipelinesService:
    """Implements ``nanopinggrpc.pipeline.PipelinesService``.

    ``store`` is public: the run supervisor records runs and start/stop through it, which also
    publishes the matching update events to open streams. Runs need ``runs_dir`` (where run
    logs go); without it the run methods answer UNIMPLEMENTED. Opening the service with runs
    recovers from the previous node process (:meth:`RunSupervisor.recover`).
    """

    def __init__(
        self,
        *,
        database: Database,
        node_id: str,
        cpu_threads: int | None = None,
        clock: Callable[[], float] = time.time,
        feed: PipelineFeed | None = None,
        runs_dir: Path | None = None,
        run_timing: RunTiming | None = None,
        log_rotation: LogRotation | None = None,
        kept_runs: int = DEFAULT_KEPT_RUNS,
    ) -> None:
        self._node_id = node_id
        self._cpu_threads = cpu_threads or os.cpu_count() or 1
        self.store = PipelineStore(database, feed=feed or PipelineFeed(), clock=clock)
        self._closed = asyncio.Event()
        self.runs: RunSupervisor | None = None
        if runs_dir is not None:
            self.runs = RunSupervisor(
                store=self.store,
                runs_dir=runs_dir,
                timing=run_timing,
                rotation=log_rotation,
                kept_runs=kept_runs,
            )
            self.runs.recover()

    def start_auto_pipelines(self) -> None:
        """Start the pipelines whose startup policy is auto (in the background)."""
        if self.runs is not None:
            self.runs.start_auto()

    async def stop_runs(self) -> None:
        """Stop every run (node shutdown); their ends are recorded and published."""
        if self.runs is not None:
            await self.runs.close()

    def close(self) -> None:
        """End every open change and log stream normally (node shutdown)."""
        self._closed.set()
        self.store.feed.close()

    # ---- reads --------------------------------------------------------------------------------

    async def get_pipelines(
        self, request: pipelines_pb2.GetPipelinesRequest
    ) -> pipelines_pb2.GetPipelinesResponse:
        self._require_local(request.node_id)
        return pipelines_pb2.GetPipelinesResponse(
            pipelines=[pipeline_message(record) for record in self.store.all()]
        )

    async def get_pipeline_by_id(
        self, request: pipelines_pb2.GetPipelineByIdRequest
    ) -> pipelines_pb2.GetPipelineByIdResponse:
        self._require_local(request.node_id)
        record = self.store.get(request.id)
        return pipelines_pb2.GetPipelineByIdResponse(pipeline=pipeline_message(record))

    async def get_pipeline_by_name(
        self, request: pipelines_pb2.GetPipelineByNameRequest
    ) -> pipelines_pb2.GetPipelineByNameResponse:
        self._require_local(request.node_id)
        record = self._one_named(request.name)
        return pipelines_pb2.GetPipelineByNameResponse(pipeline=pipeline_message(record))

    async def get_pipeline_by_run_id(
        self, request: pipelines_pb2.GetPipelineByRunIdRequest
    ) -> pipelines_pb2.GetPipelineByRunIdResponse:
        self._require_local(request.node_id)
        record = self.store.by_run(request.id)
        if record is None:
            # The reference: "An unknown run fails with a timeout error".
            raise DeadlineExceeded(f"run '{request.id}' is unknown on this node")
        return pipelines_pb2.GetPipelineByRunIdResponse(pipeline=pipeline_message(record))

    # ---- changes ------------------------------------------------------------------------------

    async def create_pipeline(
        self, request: pipelines_pb2.CreatePipelineRequest
    ) -> pipelines_pb2.CreatePipelineResponse:
        self._require_local(request.node_id)
        settings = settings_from_create(request)
        settings.check(cpu_threads=self._cpu_threads)
        _refuse_newer(settings)
        record = self.store.create(settings)
        if settings.compatible:
            for warning in privilege_warnings(parse_json_config(settings.config.text)):
                log.warning("pipeline %s ('%s'): %s", record.id, settings.name, warning)
        return pipelines_pb2.CreatePipelineResponse(pipeline=pipeline_message(record))

    async def update_pipeline(
        self, request: pipelines_pb2.UpdatePipelineRequest
    ) -> pipelines_pb2.UpdatePipelineResponse:
        self._require_local(request.node_id)
        settings = settings_from_update(request)
        settings.check(cpu_threads=self._cpu_threads)
        keep_reference = not request.HasField("node_reference_id")

        def change(current: PipelineRecord) -> PipelineSettings:
            if keep_reference:
                return replace(settings, node_reference_id=current.settings.node_reference_id)
            return settings

        current = self.store.get(request.id)
        restart = False
        if self.runs is not None and current.started:
            # The live run takes the change first: a refusal leaves the stored pipeline as is.
            restart = await self.runs.update(
                current, change(current), force_restart=request.force_restart
            )
        record = self.store.update(request.id, change)
        if restart:
            assert self.runs is not None
            await self.runs.restart(record.id)
            record = self.store.get(record.id)
        return pipelines_pb2.UpdatePipelineResponse(pipeline=pipeline_message(record))

    async def delete_pipeline(
        self, request: pipelines_pb2.DeletePipelineRequest
    ) -> pipelines_pb2.DeletePipelineResponse:
        self._require_local(request.node_id)
        if self.runs is not None:
            self.store.get(request.id)  # NOT_FOUND before anything is touched
            await self.runs.discard(request.id)
        self.store.delete(request.id)
        return pipelines_pb2.DeletePipelineResponse()

    # ---- runs ---------------------------------------------------------------------------------

    async def start_pipeline(
        self, request: pipelines_pb2.StartPipelineRequest
    ) -> pipelines_pb2.StartPipelineResponse:
        self._require_local(request.node_id)
        runs = self._require_runs()
        record = self._selected(request)
        return pipelines_pb2.StartPipelineResponse(run_id=await runs.start(record.id))

    async def stop_pipeline(
        self, request: pipelines_pb2.StopPipelineRequest
    ) -> pipelines_pb2.StopPipelineResponse:
        self._require_local(request.node_id)
        runs = self._require_runs()
        if request.WhichOneof("pipeline_identifier") == "run_id":
            record = self._running(request.run_id)
        else:
            record = self._selected(request)
        runs.stop(record.id)
        return pipelines_pb2.StopPipelineResponse()

    def open_log_stream(
        self, request: pipelines_pb2.OpenLogStreamRequest
    ) -> AsyncIterator[pipelines_pb2.LogStreamMessages]:
        """Fix the split between past and new lines now, at call time; then stream.

        A plain function for the same reason as :meth:`stream_pipelines`: a client that acts
        once it sees the headers must not miss lines written after that.
        """
        self._require_local(request.node_id)
        runs = self._require_runs()
        _require_run_id(request.run_id)
        lines = request.options.lines if request.options.HasField("lines") else 0
        if lines < 0:
            raise InvalidArgument(f"options.lines must not be negative, got {lines}")
        run_id = request.run_id
        tail = LogTail(
            runs.log_path(run_id),
            backlog=lines,
            closed=self._closed,
            ended=lambda: self.store.run_has_ended(run_id),
        )
        return _log_batches(tail)

    def open_telemetry_stream(
        self, request: pipelines_pb2.OpenTelemetryStreamRequest
    ) -> AsyncIterator[pipelines_pb2.TelemetrySample]:
        """Subscribe now, at call time, to the samples of a running run; then stream."""
        self._require_local(request.node_id)
        runs = self._require_runs()
        _require_run_id(request.run_id)
        return _samples(runs.telemetry(request.run_id))

    # ---- change stream ------------------------------------------------------------------------

    def stream_pipelines(
        self, request: pipelines_pb2.StreamPipelinesRequest
    ) -> AsyncIterator[pipelines_pb2.StreamPipelinesEvent]:
        """Subscribe now, at call time, and return the stream of later changes.

        A plain function rather than an async generator on purpose: the doors call it, then send
        the response headers, then iterate. Subscribing inside a generator body would happen
        only at the first iteration, after the headers, and a client that acts as soon as it
        sees them (as the official clients do) could miss its own first change.
        """
        self._require_local(request.node_id)
        return _follow(self.store.feed.subscribe())

    # ---- helpers ------------------------------------------------------------------------------

    def _require_runs(self) -> RunSupervisor:
        if self.runs is None:
            raise Unimplemented("pipeline runs are not enabled in this service")
        return self.runs

    def _selected(
        self, request: pipelines_pb2.StartPipelineRequest | pipelines_pb2.StopPipelineRequest
    ) -> PipelineRecord:
        """The pipeline a start/stop request names by id or by (unique) name."""
        chosen = request.WhichOneof("pipeline_identifier")
        if chosen == "id":
            return self.store.get(request.id)
        if chosen == "name":
            return self._one_named(request.name)
        raise InvalidArgument("choose the pipeline: set id or name (or run_id to stop)")

    def _running(self, run_id: str) -> PipelineRecord:
        """The pipeline whose current run is ``run_id``; NOT_FOUND / FAILED_PRECONDITION else."""
        record = self.store.by_run(run_id)
        if record is None:
            raise NotFound(f"run {quoted(run_id)} is unknown on this node")
        if record.current_run != run_id:
            raise FailedPrecondition(
                f"run {run_id} of pipeline {record.id} ('{record.name}') is already stopped"
            )
        return record

    def _one_named(self, name: str) -> PipelineRecord:
        matches = self.store.named(name)
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFound(f"no pipeline named {quoted(name)} on this node")
        ids = ", ".join(record.id for record in matches)
        raise NotFound(
            f"pipeline name '{name}' is ambiguous: {len(matches)} pipelines have it ({ids}); "
            "use the id instead"
        )

    def _require_local(self, node_id: str) -> None:
        if node_id and node_id != self._node_id:
            raise NotFound(
                f"node {node_id} is unknown: this node's id is {self._node_id} and the call "
                "was not routed elsewhere"
            )


async def _follow(
    subscription: Subscription,
) -> AsyncIterator[pipelines_pb2.StreamPipelinesEvent]:
    with subscription:
        async for event in subscription:
            yield event_message(event)


async def _log_batches(tail: LogTail) -> AsyncIterator[pipelines_pb2.LogStreamMessages]:
    reader = LogEntryReader()
    async for batch in tail.batches():
        yield pipelines_pb2.LogStreamMessages(messages=[reader.message(line) for line in batch])


async def _samples(
    subscription: TelemetrySubscription,
) -> AsyncIterator[pipelines_pb2.TelemetrySample]:
    with subscription:
        async for sample in subscription:
            yield sample


def _refuse_newer(settings: PipelineSettings) -> None:
    """A new pipeline must be one this node can run (an update may still store a newer one)."""
    if not settings.compatible:
        raise InvalidArgument(
            f"json_config declares version {settings.config.declared_version}, newer than the "
            f"version {SUPPORTED_VERSION} this node reads: create it on a node that runs a newer "
            "NanoPing, or write it for this version"
        )


def _require_run_id(run_id: str) -> None:
    if not run_id:
        raise InvalidArgument("run_id is required: name the run (startPipeline returns it)")


# ---- requests -> settings ---------------------------------------------------------------------


def settings_from_create(request: pipelines_pb2.CreatePipelineRequest) -> PipelineSettings:
    """Settings of a createPipeline request, unset fields taking the create defaults."""
    level = CREATE_DEFAULT_LOGGING_LEVEL
    if request.HasField("default_logging_level"):
        level = _level(request.default_logging_level)
    return PipelineSettings(
        name=request.name,
        config=JsonConfig.parse(request.json_config),
        restart_policy=_restart_policy(request),
        startup_policy=_startup_policy(request),
        default_logging_level=level,
        instructions_timeout=_optional(
            request, "instructions_timeout", DEFAULT_INSTRUCTIONS_TIMEOUT
        ),
        cpu_pin=_optional(request, "cpu_pin", None),
        performance_mode=_optional(request, "performance_mode", DEFAULT_PERFORMANCE_MODE),
        node_reference_id=_optional(request, "node_reference_id", None),
    )


def settings_from_update(request: pipelines_pb2.UpdatePipelineRequest) -> PipelineSettings:
    """Settings of an updatePipeline request: everything replaced, with update's defaults.

    A level of 0 is STATE, and ``instructions_timeout`` has no default (0 is refused by the
    check). ``node_reference_id`` is taken as sent; the caller keeps the stored one when unset.
    """
    return PipelineSettings(
        name=request.name,
        config=JsonConfig.parse(request.json_config),
        restart_policy=_restart_policy(request),
        startup_policy=_startup_policy(request),
        default_logging_level=_level(request.default_logging_level),
        instructions_timeout=request.instructions_timeout,
        cpu_pin=_optional(request, "cpu_pin", None),
        performance_mode=_optional(request, "performance_mode", DEFAULT_PERFORMANCE_MODE),
        node_reference_id=_optional(request, "node_reference_id", None),
    )


_Request = pipelines_pb2.CreatePipelineRequest | pipelines_pb2.UpdatePipelineRequest
T = TypeVar("T")


def _optional(request: _Request, field: str, default: T) -> T:
    """The value of a presence-tracked field, or ``default`` when it is unset."""
    if request.HasField(field):
        value: T = getattr(request, field)
        return value
    return default


def _level(number: int) -> LogLevel:
    try:
        return LogLevel(number)
    except ValueError:
        allowed = ", ".join(f"{level.name} ({level.value})" for level in LogLevel)
        raise InvalidArgument(
            f"default_logging_level {number} is not a log level; allowed: {allowed}"
        ) from None


def _restart_policy(request: _Request) -> RestartPolicy:
    policy = request.restart_policy
    chosen = policy.WhichOneof("restart_policy")
    if chosen is None or chosen == "never":
        return RestartPolicy()
    max_restarts: int = getattr(policy, chosen).max_restarts
    return RestartPolicy(RestartMode(chosen), max_restarts)


def _startup_policy(request: _Request) -> StartupPolicy:
    chosen = request.startup_policy.WhichOneof("startup_policy")
    return StartupPolicy.AUTO if chosen == "auto" else StartupPolicy.MANUAL


# ---- records -> messages ----------------------------------------------------------------------


def pipeline_message(record: PipelineRecord) -> pipelines_pb2.Pipeline:
    """The API's view of a stored pipeline."""
    settings = record.settings
    message = pipelines_pb2.Pipeline(
        id=record.id,
        name=settings.name,
        started=record.started,
        json_config=settings.config.text,
        config_compatability=settings.config.compatibility.name,
        default_logging_level=settings.default_logging_level.name,
        instructions_timeout=settings.instructions_timeout,
        performance_mode=settings.performance_mode,
    )
    if record.current_run is not None:
        message.current_run = record.current_run
    if settings.cpu_pin is not None:
        message.cpu_pin = settings.cpu_pin
    if settings.node_reference_id is not None:
        message.node_reference_id = settings.node_reference_id
    _fill_restart_policy(message.restart_policy, settings.restart_policy)
    getattr(message.startup_policy, settings.startup_policy.value).SetInParent()
    return message


def _fill_restart_policy(message: pipelines_pb2.RestartPolicy, policy: RestartPolicy) -> None:
    if policy.mode is RestartMode.NEVER:
        message.never.SetInParent()
    else:
        getattr(message, policy.mode.value).max_restarts = policy.max_restarts


def event_message(event: PipelineEvent) -> pipelines_pb2.StreamPipelinesEvent:
    """The stream message for one change."""
    pipeline = pipeline_message(event.pipeline)
    if isinstance(event, PipelineCreated):
        return pipelines_pb2.StreamPipelinesEvent(
            create=pipelines_pb2.StreamPipelinesCreateEvent(pipeline=pipeline)
        )
    if isinstance(event, PipelineDeleted):
        return pipelines_pb2.StreamPipelinesEvent(
            delete=pipelines_pb2.StreamPipelinesDeleteEvent(pipeline=pipeline)
        )
    return pipelines_pb2.StreamPipelinesEvent(
        update=pipelines_pb2.StreamPipelinesUpdateEvent(pipeline=pipeline)
    )
