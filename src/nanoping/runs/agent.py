"""Inside a run process: carries out the node's instructions on one data-plane engine.

The first instruction must be ``start``: the agent builds the pipeline, opens its sockets and
answers once packets can flow (that answer is what "running" means to the node). Then it
answers ``report``, ``apply_config`` and ``stop`` as they come, while the engine runs on the same
event loop. When the engine ends, the agent sends ``RunEnded`` (with final telemetry) and the
process exits with the run's exit code. End of file on the channel means the node is gone: the
run stops at once and exits with :data:`~nanoping.runs.exit_status.ORPHANED`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time

from google.protobuf.message import DecodeError

from nanoping.api import pipelines_pb2
from nanoping.dataplane import ComponentFailed, ComponentFinished, Engine, Event, RunEnded
from nanoping.dataplane.config import PipelineGraph, parse_json_config
from nanoping.dataplane.errors import PipelineConfigError
from nanoping.dataplane.events import ComponentLogged
from nanoping.internal import run_control_pb2 as control
from nanoping.logs.shared_file import SharedLogFile
from nanoping.pipelines.settings import LogLevel
from nanoping.runs.channel import ControlChannel
from nanoping.runs.exit_status import ORPHANED, START_FAILED
from nanoping.runs.live_update import changed_components, live_update_refusal
from nanoping.runs.log_file import RunLog
from nanoping.runs.telemetry_sample import telemetry_sample

STDOUT = 1
"""The run process's stdout is its log file (the node opened it for appending)."""


class RunAgent:
    """Runs one pipeline as the node instructs; :meth:`serve` returns the exit code."""

    def __init__(self, *, channel: ControlChannel, log_fd: int | SharedLogFile = STDOUT) -> None:
        self._channel = channel
        self._sink = log_fd
        self._log = RunLog(log_fd, level=LogLevel.INFO)
        self._graph: PipelineGraph | None = None
        self._orphaned = False

    async def serve(self) -> int:
        """Carry out instructions until the run ends; returns the process exit code."""
        first = await self._receive()
        if first is None:
            return ORPHANED
        if first.WhichOneof("kind") != "start":
            self._reply(first.id, error="the first instruction of a run must be start")
            return START_FAILED
        engine = await self._start(first)
        if engine is None:
            await self._channel.flush()
            return START_FAILED
        return await self._run(engine)

    # ---- start ----------------------------------------------------------------------------

    async def _start(self, instruction: control.Instruction) -> Engine | None:
        start = instruction.start
        self._log.level = _level(start.log_level)
        self._log.state(
            "run starting", run_id=start.run_id, pipeline_id=start.pipeline_id, pid=os.getpid()
        )
        try:
            graph = parse_json_config(start.json_config)
            engine = Engine(graph, on_event=self._on_event)
            await engine.start()
        except Exception as error:  # any reason the pipeline cannot start, reported as such
            reason = f"run could not start: {_describe(error)}"
            self._log.error(reason)
            self._reply(instruction.id, error=reason)
            self._send_ended(START_FAILED, reason, None)
            return None
        self._graph = graph
        self._log.info("run started", pid=os.getpid(), components=len(graph.components))
        self._reply(instruction.id)
        return engine

    # ---- running --------------------------------------------------------------------------

    async def _run(self, engine: Engine) -> int:
        follower = asyncio.ensure_future(self._follow(engine))
        try:
            outcome = await engine.wait()
        finally:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
        sample = telemetry_sample(engine.snapshot())
        engine.close()
        if self._orphaned:
            return ORPHANED
        self._send_ended(outcome.exit_code, outcome.reason, sample)
        await self._channel.flush()
        return outcome.exit_code

    async def _follow(self, engine: Engine) -> None:
        """Answer instructions until the channel ends; then the node is gone: stop the run."""
        while (instruction := await self._receive()) is not None:
            try:
                self._carry_out(instruction, engine)
            except Exception as error:  # a bug must cost one instruction, not the channel
                self._log.error("instruction failed", error=_describe(error))
                self._reply(instruction.id, error=f"instruction failed: {_describe(error)}")
        self._orphaned = True
        self._log.fatal("the node went away; the run stops with it")
        engine.stop("the node went away")

    def _carry_out(self, instruction: control.Instruction, engine: Engine) -> None:
        kind = instruction.WhichOneof("kind")
        if kind == "report":
            self._reply(instruction.id, sample=telemetry_sample(engine.snapshot()))
            if isinstance(self._sink, SharedLogFile):
                self._sink.maintain()  # follow a rotation the node made for raw output
        elif kind == "stop":
            reason = instruction.stop.reason or "stop requested"
            self._log.state("stop requested", reason=reason)
            self._reply(instruction.id)
            engine.stop(reason)
        elif kind == "apply_config":
            error = self._apply(instruction.apply_config, engine)
            self._reply(instruction.id, error=error or "")
        else:
            self._reply(instruction.id, error=f"instruction '{kind}' is not valid while running")

    def _apply(self, change: control.ApplyConfig, engine: Engine) -> str | None:
        """Apply a new config live; returns why not, leaving the run untouched, if it cannot."""
        assert self._graph is not None
        try:
            graph = parse_json_config(change.json_config)
        except PipelineConfigError as error:
            return f"the new config is invalid: {error}"
        refusal = live_update_refusal(self._graph, graph)
        if refusal is not None:
            return refusal
        changed = changed_components(self._graph, graph)
        for spec in changed:
            engine.component(spec.id).reconfigure(spec.params)
        self._graph = graph
        self._log.level = _level(change.log_level)
        self._log.info("configuration applied", components=[spec.id for spec in changed])
        return None

    def _on_event(self, event: Event) -> None:
        if isinstance(event, ComponentFailed):
            self._log.error("component failed", component=event.component_id, reason=event.reason)
        elif isinstance(event, ComponentLogged):
            level = LogLevel.__members__.get(event.level, LogLevel.INFO)
            self._log.write(level, event.message, component=event.component_id)
        elif isinstance(event, ComponentFinished):
            self._log.debug("component finished", component=event.component_id)
        elif isinstance(event, RunEnded):
            self._log.state("run ending", exit_code=event.exit_code, reason=event.reason)

    # ---- channel --------------------------------------------------------------------------

    async def _receive(self) -> control.Instruction | None:
        data = await self._channel.receive()
        if data is None:
            return None
        try:
            return control.Instruction.FromString(data)
        except DecodeError:
            self._log.fatal("the control channel sent a malformed instruction")
            return None

    def _reply(
        self,
        instruction_id: int,
        *,
        error: str = "",
        sample: pipelines_pb2.TelemetrySample | None = None,
    ) -> None:
        reply = control.Reply(instruction_id=instruction_id, error=error, sample=sample)
        self._channel.send(control.RunMessage(reply=reply))

    def _send_ended(
        self, exit_code: int, reason: str, sample: pipelines_pb2.TelemetrySample | None
    ) -> None:
        ended = control.RunEnded(
            exit_code=exit_code,
            reason=reason,
            final_sample=sample,
            cpu_seconds=time.process_time(),
        )
        self._channel.send(control.RunMessage(ended=ended))


def _level(number: int) -> LogLevel:
    try:
        return LogLevel(number)
    except ValueError:
        return LogLevel.INFO


def _describe(error: Exception) -> str:
    if isinstance(error, PipelineConfigError | OSError):
        return str(error)
    return f"{type(error).__name__}: {error}"
