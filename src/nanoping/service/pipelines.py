"""PipelinesService: create, read, update and delete pipelines, and stream their changes.

API glue over :mod:`nanoping.pipelines`: requests become :class:`PipelineSettings` (applying the
create and update defaults of the reference), records become ``Pipeline`` messages. Starting and
stopping pipelines, run logs and telemetry are served by the run supervisor's issue; until then
those methods are left undefined here, so the method table answers UNIMPLEMENTED.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from typing import TypeVar

from nanoping.api import pipelines_pb2
from nanoping.errors import DeadlineExceeded, InvalidArgument, NotFound
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
from nanoping.storage.database import Database

SERVICE_NAME = "nanopinggrpc.pipeline.PipelinesService"
"""Key of this implementation in the method table."""


class PipelinesService:
    """Implements the CRUD and change-stream methods of ``nanopinggrpc.pipeline.PipelinesService``.

    ``store`` is public: the run supervisor records runs and start/stop through it, which also
    publishes the matching update events to open streams.
    """

    def __init__(
        self,
        *,
        database: Database,
        node_id: str,
        cpu_threads: int | None = None,
        clock: Callable[[], float] = time.time,
        feed: PipelineFeed | None = None,
    ) -> None:
        self._node_id = node_id
        self._cpu_threads = cpu_threads or os.cpu_count() or 1
        self.store = PipelineStore(database, feed=feed or PipelineFeed(), clock=clock)

    def close(self) -> None:
        """End every open change stream normally (node shutdown)."""
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
        record = self.store.create(settings)
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

        record = self.store.update(request.id, change)
        return pipelines_pb2.UpdatePipelineResponse(pipeline=pipeline_message(record))

    async def delete_pipeline(
        self, request: pipelines_pb2.DeletePipelineRequest
    ) -> pipelines_pb2.DeletePipelineResponse:
        self._require_local(request.node_id)
        self.store.delete(request.id)
        return pipelines_pb2.DeletePipelineResponse()

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

    def _one_named(self, name: str) -> PipelineRecord:
        matches = self.store.named(name)
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise NotFound(f"no pipeline named '{name}' on this node")
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
