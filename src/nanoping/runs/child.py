"""The node's handle on one run process: spawn it, instruct it, watch it exit, kill it.

Every instruction waits for its reply at most ``timeout`` seconds; a run that lets one pass
unanswered is *hung* (:class:`RunHung`), and whoever sent the instruction kills it. The handle
writes the node's own lines into the run's log (hung, killed, and the final "run ended" line
with the exit code), relays telemetry to the run's :class:`TelemetryFeed`, and ends that feed
when the process is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import socket
import sys
import time
from pathlib import Path

from google.protobuf.message import DecodeError

from nanoping.internal import run_control_pb2 as control
from nanoping.logs.rotation import LogRotation
from nanoping.logs.shared_file import SharedLogFile
from nanoping.pipelines.settings import LogLevel
from nanoping.runs.channel import ControlChannel
from nanoping.runs.events import RunExited
from nanoping.runs.exit_status import ENDED, describe_exit, exit_code_of
from nanoping.runs.log_file import RunLog, open_for_append
from nanoping.runs.run_summary import summary
from nanoping.runs.spawned_process import SpawnedProcess
from nanoping.runs.telemetry_feed import TelemetryFeed

log = logging.getLogger(__name__)

RUN_MODULE = "nanoping.runs.process"
"""Module the run process executes."""
EOF_GRACE = 2.0
"""Seconds to wait for the channel's end of file once the process has exited."""


class InstructionFailed(Exception):
    """An instruction was not carried out; the message says why."""


class InstructionRefused(InstructionFailed):
    """The run answered that it cannot carry out the instruction."""


class RunHung(InstructionFailed):
    """The run did not answer within the timeout."""


class RunGone(InstructionFailed):
    """The run's channel closed before it answered (the process is exiting)."""


class RunChild:
    """One run process, from spawn to exit; create it with :meth:`spawn`."""

    def __init__(
        self,
        *,
        run_id: str,
        pipeline_id: str,
        process: SpawnedProcess,
        channel: ControlChannel,
        log_file: SharedLogFile,
        level: LogLevel,
    ) -> None:
        self.run_id = run_id
        self.pipeline_id = pipeline_id
        self.telemetry = TelemetryFeed()
        self.log = RunLog(log_file, level=level)
        self.ended: control.RunEnded | None = None
        self._process = process
        self._channel = channel
        self._log_file = log_file
        self._spawned_at = time.monotonic()
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[control.Reply]] = {}
        self._channel_open = True
        self._kill_reason: str | None = None
        self._reader = asyncio.ensure_future(self._read())
        self._exit = asyncio.ensure_future(self._wait())

    @classmethod
    async def spawn(
        cls,
        *,
        run_id: str,
        pipeline_id: str,
        log_path: Path,
        level: LogLevel,
        cpu_pin: int | None = None,
        rotation: LogRotation | None = None,
    ) -> RunChild:
        """Start the process with the run's log as its stdout/stderr and a control channel."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        rotation = rotation or LogRotation()
        log_fd = open_for_append(log_path)
        try:
            process = SpawnedProcess.spawn(
                _command(theirs.fileno(), log_path, rotation),
                stdout=log_fd,
                inherit=(theirs.fileno(),),
            )
        except BaseException:
            ours.close()
            os.close(log_fd)
            raise
        finally:
            theirs.close()
        _pin(process.pid, cpu_pin)
        channel = await ControlChannel.open(ours)
        return cls(
            run_id=run_id,
            pipeline_id=pipeline_id,
            process=process,
            channel=channel,
            log_file=SharedLogFile(log_path, rotation=rotation, fd=log_fd),
            level=level,
        )

    def maintain_log(self) -> None:
        """Keep the run log within its size limit (see :meth:`SharedLogFile.maintain`)."""
        self._log_file.maintain()

    @property
    def pid(self) -> int:
        """Process id of the run process."""
        return self._process.pid

    @property
    def exited(self) -> bool:
        """True once the process has exited and been reaped."""
        return self._exit.done()

    async def instruct(
        self, instruction: control.Instruction, *, answer_within: float
    ) -> control.Reply:
        """Send ``instruction``; returns the reply, or raises an :class:`InstructionFailed`.

        No reply within ``answer_within`` seconds raises :class:`RunHung`.
        """
        kind = instruction.WhichOneof("kind")
        if not self._channel_open:
            raise RunGone(f"{kind} instruction not sent: the run's channel is closed")
        instruction.id = next(self._ids)
        reply: asyncio.Future[control.Reply] = asyncio.get_running_loop().create_future()
        self._pending[instruction.id] = reply
        self._channel.send(instruction)
        try:
            async with asyncio.timeout(answer_within):
                answer = await reply
        except TimeoutError:
            raise RunHung(f"{kind} instruction unanswered after {answer_within:g} s") from None
        finally:
            self._pending.pop(instruction.id, None)
        if answer.error:
            raise InstructionRefused(answer.error)
        return answer

    def kill(self, reason: str) -> None:
        """SIGKILL the process (it cannot refuse); ``reason`` goes into the log and the exit."""
        if self._process.returncode is not None or self._kill_reason is not None:
            return
        self._kill_reason = reason
        self.log.warning("killing the run process", reason=reason, pid=self.pid)
        self._process.kill()

    async def wait(self) -> RunExited:
        """Wait for the process to exit (cancelling the wait does not affect the process)."""
        return await asyncio.shield(self._exit)

    # ---- internals ------------------------------------------------------------------------

    async def _read(self) -> None:
        while (data := await self._channel.receive()) is not None:
            try:
                message = control.RunMessage.FromString(data)
            except DecodeError:
                self.kill("the run sent a malformed message on its control channel")
                break
            self._take(message)
        self._channel_open = False
        for reply in self._pending.values():
            if not reply.done():
                reply.set_exception(RunGone("the run's channel closed before it answered"))

    def _take(self, message: control.RunMessage) -> None:
        kind = message.WhichOneof("kind")
        if kind == "reply":
            reply = self._pending.get(message.reply.instruction_id)
            if reply is not None and not reply.done():
                reply.set_result(message.reply)
        elif kind == "ended":
            self.ended = message.ended

    async def _wait(self) -> RunExited:
        returncode = await self._process.wait()
        lifetime = time.monotonic() - self._spawned_at
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(EOF_GRACE):
                await asyncio.shield(self._reader)
        self._reader.cancel()
        self._channel.close()
        exited = self._exited(exit_code_of(returncode), lifetime)
        self._report_end(exited)
        self._log_file.close()
        return exited

    def _exited(self, exit_code: int, lifetime: float) -> RunExited:
        ended = self.ended if self.ended is not None and self.ended.exit_code == exit_code else None
        if self._kill_reason is not None:
            reason = f"{self._kill_reason}; {describe_exit(exit_code)}"
        elif ended is not None:
            reason = ended.reason
        else:
            reason = f"the run process died: {describe_exit(exit_code)}"
        return RunExited(
            pipeline_id=self.pipeline_id,
            run_id=self.run_id,
            exit_code=exit_code,
            reason=reason,
            lifetime=lifetime,
            cpu_seconds=ended.cpu_seconds if ended is not None else None,
        )

    def _report_end(self, exited: RunExited) -> None:
        if self.ended is not None and self.ended.HasField("final_sample"):
            self.telemetry.publish(self.ended.final_sample)
            counted = summary(self.ended.final_sample)
            if counted:
                self.log.write(LogLevel.INFO, "run summary", components=counted)
        self.telemetry.end(f"run {self.run_id} ended: {exited.reason}")
        level = LogLevel.INFO if exited.exit_code == ENDED else LogLevel.ERROR
        data: dict[str, object] = {"exit_code": exited.exit_code, "reason": exited.reason}
        if exited.cpu_seconds is not None:
            data["cpu_seconds"] = round(exited.cpu_seconds, 6)
        self.log.write(level, "run ended", **data)


def _command(control_fd: int, log_path: Path, rotation: LogRotation) -> list[str]:
    return [
        sys.executable, "-m", RUN_MODULE,
        "--control-fd", str(control_fd), "--parent-pid", str(os.getpid()),
        "--log-path", str(log_path), "--log-max-bytes", str(rotation.max_bytes),
        "--log-backups", str(rotation.backups),
    ]  # fmt: skip


def _pin(pid: int, cpu: int | None) -> None:
    """Restrict the run to one CPU thread (the pipeline's ``cpu_pin``), where the OS allows."""
    if cpu is None or not hasattr(os, "sched_setaffinity"):
        return
    try:
        os.sched_setaffinity(pid, {cpu})
    except OSError as error:
        log.warning("cannot pin run process %d to CPU %d: %s", pid, cpu, error)
