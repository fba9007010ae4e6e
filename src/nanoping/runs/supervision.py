"""One started pipeline, supervised: a run at a time, restarted as its policy says, until stopped.

The loop, for each run: record it in the store (the pipeline is now started with this current
run), spawn the process, send ``start`` and wait for the answer (at most ``start_timeout``, and
at most the pipeline's ``instructions_timeout``), then ask for a ``report`` about once a second
(telemetry, and the heartbeat that finds a hung run) until the process exits. Then the restart
policy and the backoff decide between ending the pipeline and starting the next run.

The first run of a start is special: whoever started the pipeline waits on :attr:`first_run`,
and if that run never reaches running the start fails and nothing is restarted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from nanoping.errors import DeadlineExceeded, FailedPrecondition, NanoPingError, Unavailable
from nanoping.internal import run_control_pb2 as control
from nanoping.logs.rotation import LogRotation
from nanoping.pipelines.record import PipelineRecord
from nanoping.pipelines.settings import PipelineSettings
from nanoping.pipelines.store import PipelineStore
from nanoping.runs.backoff import BackoffPolicy, RestartBackoff
from nanoping.runs.child import InstructionFailed, InstructionRefused, RunChild, RunHung
from nanoping.runs.events import RestartScheduled, RunEvent, RunExited, RunStarted
from nanoping.runs.log_file import run_log_path

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class RunTiming:
    """Timing of run supervision; the defaults are the node's (and the reference's)."""

    start_timeout: float = 10.0
    """Seconds a run has to reach running (startPipeline fails after that)."""
    report_interval: float = 1.0
    """Seconds between two report instructions (telemetry samples and heartbeat)."""
    stop_grace: float = 5.0
    """Seconds runs get to stop when the node stops, before they are killed."""
    backoff: BackoffPolicy = field(default_factory=BackoffPolicy)
    """Delays between restarts."""


class PipelineSupervision:
    """Supervises the runs of one pipeline from a start to the matching stop."""

    def __init__(
        self,
        *,
        record: PipelineRecord,
        store: PipelineStore,
        runs_dir: Path,
        timing: RunTiming,
        on_event: Callable[[RunEvent], None],
        rotation: LogRotation | None = None,
    ) -> None:
        self.pipeline_id = record.id
        self.settings = record.settings
        self.current: RunChild | None = None
        self.first_run: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        # Retrieve the outcome even when the starter went away, so it is never reported as lost.
        self.first_run.add_done_callback(lambda done: done.cancelled() or done.exception())
        self._store = store
        self._runs_dir = runs_dir
        self._timing = timing
        self._rotation = rotation or LogRotation()
        self._on_event = on_event
        self._stop = asyncio.Event()
        self._stop_reason = "stop requested"
        self._task = asyncio.ensure_future(self._supervise())

    @property
    def stopping(self) -> bool:
        """True once a stop was requested."""
        return self._stop.is_set()

    @property
    def done(self) -> bool:
        """True once the supervision is over (the pipeline is stopped)."""
        return self._task.done()

    def add_done_callback(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` when the supervision is over."""
        self._task.add_done_callback(lambda _: callback())

    def request_stop(self, reason: str) -> None:
        """Stop the current run (if any) and restart nothing; returns at once."""
        if not self._stop.is_set():
            self._stop_reason = reason
            self._stop.set()

    async def finished(self) -> None:
        """Wait until the supervision is over (cancelling the wait leaves it running)."""
        await asyncio.shield(self._task)

    def cancel(self) -> None:
        """Abandon the supervision (node shutdown, after the grace period)."""
        self._task.cancel()

    async def apply(self, settings: PipelineSettings) -> None:
        """Hand new settings to the current run (config and log level); refusals raise."""
        child = self.current
        if child is None:
            self.settings = settings  # between runs: the next run reads the stored settings
            return
        instruction = control.Instruction(
            apply_config=control.ApplyConfig(
                json_config=settings.config.text, log_level=settings.default_logging_level.name
            )
        )
        try:
            await child.instruct(instruction, answer_within=settings.instructions_timeout)
        except InstructionRefused as refused:
            raise FailedPrecondition(
                f"run {child.run_id} refused the new config: {refused}; set force_restart to "
                "restart it with the new config"
            ) from None
        except RunHung as hung:
            child.kill(f"run hung: {hung}")
            raise DeadlineExceeded(f"run {child.run_id} is hung: {hung}") from None
        except InstructionFailed:
            pass  # the run is ending; the next run, if any, reads the stored settings
        self.settings = settings
        child.log.level = settings.default_logging_level

    # ---- the loop -------------------------------------------------------------------------

    async def _supervise(self) -> None:
        try:
            await self._supervise_runs()
        finally:
            if not self.first_run.done():
                self.first_run.set_exception(
                    Unavailable(f"pipeline {self.pipeline_id} stopped before its run was running")
                )

    async def _supervise_runs(self) -> None:
        restarts = 0
        backoff = RestartBackoff(self._timing.backoff)
        while (record := self._store.find(self.pipeline_id)) is not None:
            exited = await self._run_once(record)
            if exited is None:
                return
            restart = self._restart_allowed(exited, restarts)
            self._store.finish_run(exited.run_id, exit_code=exited.exit_code, keep_started=restart)
            if not restart:
                return
            delay = backoff.delay_after(exited.lifetime)
            self._on_event(
                RestartScheduled(pipeline_id=self.pipeline_id, delay=delay, restarts_done=restarts)
            )
            if await _wait(self._stop, delay):
                self._mark_stopped()
                return
            restarts += 1

    def _restart_allowed(self, exited: RunExited, restarts: int) -> bool:
        if self._stop.is_set():
            return False
        record = self._store.find(self.pipeline_id)
        if record is None:
            return False
        policy = record.settings.restart_policy
        return policy.allows_restart(exit_code=exited.exit_code, restarts_done=restarts)

    async def _run_once(self, record: PipelineRecord) -> RunExited | None:
        """One run from record to exit; None when it is over without a run to judge."""
        first = not self.first_run.done()
        started_at = asyncio.get_running_loop().time()
        run_id = str(uuid.uuid4())
        self.settings = record.settings
        try:
            self._store.record_run(self.pipeline_id, run_id)
            child = await self._spawn(run_id)
        except (NanoPingError, OSError) as error:
            self._refuse_start(run_id, error, first=first)
            return None
        self.current = child
        try:
            failure = await self._start(child, deadline=started_at + self._timing.start_timeout)
            if failure is not None:
                return await self._failed_start(child, failure, first=first)
            if first:
                self.first_run.set_result(run_id)
            startup = asyncio.get_running_loop().time() - started_at
            self._on_event(
                RunStarted(
                    pipeline_id=self.pipeline_id,
                    run_id=run_id,
                    pid=child.pid,
                    startup_seconds=startup,
                )
            )
            exited = await self._watch(child)
            self._on_event(exited)
            return exited
        finally:
            self.current = None

    async def _failed_start(
        self, child: RunChild, failure: Callable[[str], NanoPingError], *, first: bool
    ) -> RunExited | None:
        """A run that never reached running: a failed run to judge, or a failed start."""
        exited = await child.wait()
        self._on_event(exited)
        if not first:
            return exited
        self._store.finish_run(child.run_id, exit_code=exited.exit_code)
        self.first_run.set_exception(failure(exited.reason))
        return None

    async def _spawn(self, run_id: str) -> RunChild:
        return await RunChild.spawn(
            run_id=run_id,
            pipeline_id=self.pipeline_id,
            log_path=run_log_path(self._runs_dir, run_id),
            level=self.settings.default_logging_level,
            cpu_pin=self.settings.cpu_pin,
            rotation=self._rotation,
        )

    def _refuse_start(self, run_id: str, error: Exception, *, first: bool) -> None:
        """The run could not even be spawned (or recorded): end it and the pipeline."""
        if isinstance(error, OSError):
            self._store.finish_run(run_id, exit_code=None)
            error = Unavailable(f"cannot start a run process: {error}")
        if first:
            self.first_run.set_exception(error)
            return
        log.warning("pipeline %s: restart failed: %s", self.pipeline_id, error)
        self._mark_stopped()

    async def _start(
        self, child: RunChild, *, deadline: float
    ) -> Callable[[str], NanoPingError] | None:
        """Send the start instruction; None once running, else how to report the failure."""
        settings = self.settings
        remaining = max(0.0, deadline - asyncio.get_running_loop().time())
        timeout = min(float(settings.instructions_timeout), remaining)
        instruction = control.Instruction(
            start=control.StartRun(
                run_id=child.run_id,
                pipeline_id=self.pipeline_id,
                json_config=settings.config.text,
                log_level=settings.default_logging_level.name,
            )
        )
        try:
            await child.instruct(instruction, answer_within=timeout)
        except RunHung:
            why = f"did not reach running within {timeout:g} s"
            child.kill(f"the run {why}")
            return lambda _: DeadlineExceeded(
                f"run {child.run_id} of pipeline {self.pipeline_id} {why}; it was killed"
            )
        except InstructionFailed:
            return lambda reason: FailedPrecondition(
                f"run {child.run_id} of pipeline {self.pipeline_id} could not start: {reason}"
            )
        return None

    async def _watch(self, child: RunChild) -> RunExited:
        """Heartbeat and stop handling while the run runs; returns once the process exited."""
        helpers = [
            asyncio.ensure_future(self._heartbeat(child)),
            asyncio.ensure_future(self._stop_when_asked(child)),
        ]
        try:
            return await child.wait()
        finally:
            for helper in helpers:
                helper.cancel()
            await asyncio.gather(*helpers, return_exceptions=True)

    async def _heartbeat(self, child: RunChild) -> None:
        """Report instructions at a steady pace; their samples feed the telemetry streams."""
        while True:
            report = control.Instruction(report=control.Report())
            try:
                reply = await child.instruct(
                    report, answer_within=self.settings.instructions_timeout
                )
            except RunHung as hung:
                child.kill(f"run hung: {hung}")
                return
            except InstructionFailed:
                return
            child.telemetry.publish(reply.sample)
            child.maintain_log()
            await asyncio.sleep(self._timing.report_interval)

    async def _stop_when_asked(self, child: RunChild) -> None:
        await self._stop.wait()
        stop = control.Instruction(stop=control.StopRun(reason=self._stop_reason))
        try:
            await child.instruct(stop, answer_within=self.settings.instructions_timeout)
        except RunHung as hung:
            child.kill(f"run hung: {hung}")
        except InstructionFailed:
            pass

    def _mark_stopped(self) -> None:
        with contextlib.suppress(NanoPingError):
            self._store.mark_stopped(self.pipeline_id)


async def _wait(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set (True) or ``seconds`` pass (False)."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
