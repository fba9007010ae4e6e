"""The node's run supervisor: starts, stops, updates and watches every pipeline's runs.

One :class:`~nanoping.runs.supervision.PipelineSupervision` per started pipeline does the
work; this class keeps them, answers the API's questions (which run is live, where its log is)
and applies the node-wide rules:

- **Start** fails with NOT_FOUND (unknown pipeline), FAILED_PRECONDITION (already started,
  config too new, or the run could not start, with the run's reason) or DEADLINE_EXCEEDED (not
  running within 10 s). A start that arrives while the previous run is still stopping waits for
  it first. The first run of a start is never restarted if it fails to reach running.
- **Stop** returns once the stop is requested; FAILED_PRECONDITION when already stopped. A
  second stop while the run is still stopping is accepted and changes nothing.
- **Update** of a started pipeline: see :meth:`RunSupervisor.update`.
- **Recovery**: a node that died left its runs open in the store; its runs died with it (see
  :mod:`nanoping.runs.parent_death`). :meth:`RunSupervisor.recover` records each of them as
  failed with exit code 137 (:data:`~nanoping.runs.exit_status.ORPHANED`), says so in the run's
  log, and stops every pipeline; then :meth:`RunSupervisor.start_auto` starts the pipelines whose
  startup policy is auto. Manual pipelines stay stopped.
- **Shutdown** (:meth:`RunSupervisor.close`): every run is told to stop, gets ``stop_grace``
  seconds, and is killed after that; each run's end is recorded.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from pathlib import Path

from nanoping.dataplane.config import parse_json_config
from nanoping.errors import (
    DeadlineExceeded,
    FailedPrecondition,
    NanoPingError,
    NotFound,
    Unavailable,
)
from nanoping.logs.pruning import DEFAULT_KEPT_RUNS, prune_run_logs
from nanoping.logs.rotation import LogRotation, remove_log
from nanoping.pipelines.json_config import ConfigCompatibility, JsonConfig
from nanoping.pipelines.record import PipelineRecord
from nanoping.pipelines.settings import PipelineSettings, StartupPolicy
from nanoping.pipelines.store import PipelineStore
from nanoping.quoting import quoted
from nanoping.runs.child import RunChild
from nanoping.runs.events import RestartScheduled, RunEvent, RunExited, RunStarted
from nanoping.runs.exit_status import ORPHANED, describe_exit
from nanoping.runs.live_update import live_update_refusal
from nanoping.runs.log_file import LOG_SUFFIX, RunLog, open_for_append, run_log_path
from nanoping.runs.supervision import PipelineSupervision, RunTiming
from nanoping.runs.telemetry_feed import TelemetrySubscription

log = logging.getLogger(__name__)


class RunSupervisor:
    """Every run of this node; one instance per node, on the node's event loop."""

    def __init__(
        self,
        *,
        store: PipelineStore,
        runs_dir: Path,
        timing: RunTiming | None = None,
        on_event: Callable[[RunEvent], None] | None = None,
        rotation: LogRotation | None = None,
        kept_runs: int = DEFAULT_KEPT_RUNS,
    ) -> None:
        runs_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.runs_dir = runs_dir
        self.rotation = rotation or LogRotation()
        self._kept_runs = kept_runs
        self._store = store
        self._timing = timing or RunTiming()
        self._on_event = _logged(on_event or _ignore)
        self._supervisions: dict[str, PipelineSupervision] = {}
        self._background: set[asyncio.Task[None]] = set()
        self._closing = False

    # ---- node lifecycle -----------------------------------------------------------------------

    def recover(self) -> list[str]:
        """Record the runs a previous node process left open as failed; returns their ids."""
        orphans: list[str] = []
        for record in self._store.all():
            if record.current_run is None:
                continue
            self._log_orphan(record, record.current_run)
            self._store.finish_run(record.current_run, exit_code=ORPHANED)
            orphans.append(record.current_run)
        self._store.reset_runs()  # pipelines left waiting for a restart
        self.prune_logs()
        return orphans

    def prune_logs(self) -> list[str]:
        """Delete the logs of old ended runs (:mod:`nanoping.logs.pruning`); never a live one's."""
        live = {record.current_run for record in self._store.all() if record.current_run}
        live.update(
            supervision.current.run_id
            for supervision in self._supervisions.values()
            if supervision.current is not None
        )
        pruned = prune_run_logs(self.runs_dir, suffix=LOG_SUFFIX, keep=self._kept_runs, live=live)
        if pruned:
            log.info("pruned the logs of %d old runs", len(pruned))
        return pruned

    def start_auto(self) -> None:
        """Start, in the background, every pipeline whose startup policy is auto."""
        for record in self._store.all():
            if record.settings.startup_policy is StartupPolicy.AUTO:
                task = asyncio.ensure_future(self._auto_start(record))
                self._background.add(task)
                task.add_done_callback(self._background.discard)

    async def close(self) -> None:
        """Stop every run (killing those that do not stop within ``stop_grace``)."""
        self._closing = True
        for task in list(self._background):
            task.cancel()
        supervisions = list(self._supervisions.values())
        for supervision in supervisions:
            supervision.request_stop("the node is stopping")
        if not await _all_finished(supervisions, self._timing.stop_grace):
            for supervision in supervisions:
                if supervision.current is not None:
                    supervision.current.kill("the node is stopping and the run did not stop")
            if not await _all_finished(supervisions, self._timing.stop_grace):
                for supervision in supervisions:
                    supervision.cancel()

    # ---- API operations -----------------------------------------------------------------------

    async def start(self, pipeline_id: str) -> str:
        """Start the pipeline; returns the run id once the run is running."""
        if self._closing:
            raise Unavailable("the node is stopping; no run can start")
        await self._settle(pipeline_id)
        record = self._store.get(pipeline_id)
        supervision = self._supervisions.get(pipeline_id)
        if supervision is not None or record.started:
            raise FailedPrecondition(_already_started(record))
        record.require_compatible()
        self.prune_logs()
        supervision = PipelineSupervision(
            record=record,
            store=self._store,
            runs_dir=self.runs_dir,
            timing=self._timing,
            on_event=self._on_event,
            rotation=self.rotation,
        )
        self._supervisions[pipeline_id] = supervision
        supervision.add_done_callback(lambda: self._forget(pipeline_id, supervision))
        return await asyncio.shield(supervision.first_run)

    def stop(self, pipeline_id: str) -> None:
        """Request the stop of the pipeline's run (and of any restart); returns at once."""
        supervision = self._supervisions.get(pipeline_id)
        if supervision is None:
            record = self._store.get(pipeline_id)
            raise FailedPrecondition(
                f"pipeline {record.id} ({quoted(record.name)}) is already stopped"
            )
        supervision.request_stop("stop requested")

    async def update(
        self, record: PipelineRecord, settings: PipelineSettings, *, force_restart: bool
    ) -> bool:
        """Bring the live run of ``record`` in line with ``settings``, before they are stored.

        A new config is applied to the running run when :func:`live_update_refusal` finds no
        reason against it (a new log level always is). Otherwise the update fails with
        FAILED_PRECONDITION, unless ``force_restart``: then this returns True and the caller
        stores the settings and calls :meth:`restart`. Settings other than the config and the
        level take effect at the next run (the restart policy at the next exit).
        """
        supervision = self._supervisions.get(record.id)
        if supervision is None or supervision.stopping:
            return False
        if supervision.current is None:
            supervision.settings = settings  # waiting to restart: the next run reads the store
            return False
        old = record.settings
        if old.config.text == settings.config.text:
            if old.default_logging_level != settings.default_logging_level:
                await supervision.apply(settings)
            supervision.settings = settings
            return False
        refusal = _refusal(old.config, settings.config)
        if refusal is None:
            await supervision.apply(settings)
            return False
        if force_restart:
            return True
        raise FailedPrecondition(
            f"pipeline {record.id} ('{record.name}') is running and the new json_config cannot "
            f"be applied to its run: {refusal}; set force_restart to restart the run with it"
        )

    async def restart(self, pipeline_id: str) -> str:
        """Stop the current run, then start a new one; returns its id once it is running."""
        supervision = self._supervisions.get(pipeline_id)
        if supervision is not None:
            supervision.request_stop("restarting with a new config")
        return await self.start(pipeline_id)

    async def discard(self, pipeline_id: str) -> None:
        """Before a delete: stop the pipeline's run, wait for its end, remove its runs' logs."""
        supervision = self._supervisions.get(pipeline_id)
        if supervision is not None:
            supervision.request_stop("the pipeline is being deleted")
            await supervision.finished()
        for run in self._store.runs(pipeline_id):
            remove_log(run_log_path(self.runs_dir, run.id))

    # ---- run access ---------------------------------------------------------------------------

    def telemetry(self, run_id: str) -> TelemetrySubscription:
        """A subscription to the samples of a live run; NOT_FOUND / FAILED_PRECONDITION else."""
        for supervision in self._supervisions.values():
            child = supervision.current
            if child is not None and child.run_id == run_id and not child.exited:
                return child.telemetry.subscribe()
        run = self._store.run(run_id)
        if run is None:
            raise NotFound(f"run {quoted(run_id)} is unknown on this node")
        if run.exit_code is not None:
            raise FailedPrecondition(f"run {run_id} has ended ({describe_exit(run.exit_code)})")
        raise FailedPrecondition(f"run {run_id} is not running")

    def log_path(self, run_id: str) -> Path:
        """The log file of a known run; NOT_FOUND for an unknown one."""
        if self._store.run(run_id) is None:
            raise NotFound(f"run {quoted(run_id)} is unknown on this node")
        return run_log_path(self.runs_dir, run_id)

    def live_children(self) -> list[RunChild]:
        """The run processes alive now (for metrics)."""
        children = (supervision.current for supervision in self._supervisions.values())
        return [child for child in children if child is not None and not child.exited]

    def live_run(self, pipeline_id: str) -> str | None:
        """Id of the pipeline's running run, if one is running now."""
        supervision = self._supervisions.get(pipeline_id)
        child = supervision.current if supervision is not None else None
        return child.run_id if child is not None else None

    # ---- helpers ------------------------------------------------------------------------------

    async def _settle(self, pipeline_id: str) -> None:
        """Wait for a stopping supervision of the pipeline to end (within the start timeout)."""
        supervision = self._supervisions.get(pipeline_id)
        if supervision is None or not supervision.stopping:
            return
        try:
            async with asyncio.timeout(self._timing.start_timeout):
                await supervision.finished()
        except TimeoutError:
            raise DeadlineExceeded(
                f"pipeline {pipeline_id}: its previous run is still stopping"
            ) from None

    def _forget(self, pipeline_id: str, supervision: PipelineSupervision) -> None:
        if self._supervisions.get(pipeline_id) is supervision:
            del self._supervisions[pipeline_id]

    async def _auto_start(self, record: PipelineRecord) -> None:
        try:
            run_id = await self.start(record.id)
        except NanoPingError as error:
            log.warning(
                "auto start of pipeline %s ('%s') failed: %s", record.id, record.name, error
            )
            return
        log.info("pipeline %s ('%s') started as run %s", record.id, record.name, run_id)

    def _log_orphan(self, record: PipelineRecord, run_id: str) -> None:
        try:
            fd = open_for_append(run_log_path(self.runs_dir, run_id))
        except OSError:
            return
        try:
            RunLog(fd, level=record.settings.default_logging_level).error(
                "run ended",
                exit_code=ORPHANED,
                reason="the node stopped without stopping the run; the run died with it",
            )
        finally:
            os.close(fd)


def _already_started(record: PipelineRecord) -> str:
    run = f" (run {record.current_run})" if record.current_run else ""
    return f"pipeline {record.id} ('{record.name}') is already started{run}"


def _refusal(old: JsonConfig, new: JsonConfig) -> str | None:
    if new.compatibility is not ConfigCompatibility.COMPATIBLE:
        return "the new config was written for a newer NanoPing than this node"
    return live_update_refusal(parse_json_config(old.text), parse_json_config(new.text))


async def _all_finished(supervisions: list[PipelineSupervision], seconds: float) -> bool:
    if not supervisions:
        return True
    waits = [asyncio.ensure_future(_finished(supervision)) for supervision in supervisions]
    _, pending = await asyncio.wait(waits, timeout=seconds)
    for wait in pending:
        wait.cancel()
    return not pending


async def _finished(supervision: PipelineSupervision) -> None:
    """Wait for the end of a supervision, whatever it ended with (a failure is logged)."""
    try:
        await supervision.finished()
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("supervision of pipeline %s failed", supervision.pipeline_id)


def _ignore(event: RunEvent) -> None:
    """The default observer."""


def _logged(observer: Callable[[RunEvent], None]) -> Callable[[RunEvent], None]:
    """``observer``, after writing each run start, end and restart into the node's log."""

    def observe(event: RunEvent) -> None:
        if isinstance(event, RunStarted):
            log.info("run %s of pipeline %s started (pid %d)", event.run_id, event.pipeline_id,
                     event.pid)  # fmt: skip
        elif isinstance(event, RunExited):
            level = logging.INFO if event.exit_code == 0 else logging.WARNING
            log.log(level, "run %s of pipeline %s ended: %s", event.run_id, event.pipeline_id,
                    event.reason)  # fmt: skip
        elif isinstance(event, RestartScheduled):
            log.info("pipeline %s restarts in %.1f s", event.pipeline_id, event.delay)
        observer(event)

    return observe
