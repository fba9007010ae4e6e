"""Start a real `np` node process for tests, read its banner, stop it cleanly."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType

_BANNER_ID = re.compile(r"^NanoPing node (\S+) \((.*)\) is up$")
_BANNER_ADDRESS = re.compile(r"^  ([^:]+): (\S+)$")


class NodeStartFailed(RuntimeError):
    """The process exited or stayed silent instead of printing its banner."""


class NodeStopFailed(AssertionError):
    """The node did not stop by itself after SIGTERM and had to be killed: a shutdown hang."""


class NodeProcess:
    """``np [global options] up [options]`` in a child process; use as a context manager."""

    def __init__(
        self,
        *,
        data_dir: Path,
        up_args: Sequence[str] = ("--grpc", "127.0.0.1:0"),
        global_args: Sequence[str] = (),
        env: dict[str, str] | None = None,
        command_prefix: Sequence[str] = (),
    ) -> None:
        self.data_dir = data_dir
        # command_prefix runs the node through another command, e.g. inside a namespace.
        self.command = [
            *command_prefix, sys.executable, "-m", "nanoping.cli.main", *global_args, "up",
            "--data-dir", str(data_dir), *up_args,
        ]  # fmt: skip
        self._env = {**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"}
        self.process: subprocess.Popen[str] | None = None
        self.node_id = ""
        self.name = ""
        self.addresses: dict[str, str] = {}
        self.stdout_lines: list[str] = []
        self.stderr_lines: list[str] = []
        self._readers: list[threading.Thread] = []

    @property
    def grpc_address(self) -> str:
        return self.addresses["gRPC API"]

    @property
    def rest_url(self) -> str:
        """Base URL of the node's REST API (from the banner's ``REST API`` line)."""
        return f"http://{self.addresses['REST API']}"

    def start(self, timeout: float = 20.0) -> NodeProcess:
        """Start and wait for the banner (all listeners bound)."""
        self.process = subprocess.Popen(
            self.command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self._env,
            start_new_session=True,
        )
        self._spawn_reader(self._drain_stderr)
        self._read_banner(time.monotonic() + timeout)
        self._spawn_reader(self._drain_stdout)
        return self

    def _spawn_reader(self, target: Callable[[], None]) -> None:
        reader = threading.Thread(target=target, daemon=True)
        reader.start()
        self._readers.append(reader)

    def _reap(self) -> int:
        """Wait for the exit, let the readers reach end of file, close the pipes."""
        assert self.process is not None
        code = self.process.wait()
        for reader in self._readers:
            reader.join(timeout=5)
        for pipe in (self.process.stdout, self.process.stderr):
            if pipe is not None:
                pipe.close()
        return code

    def _read_banner(self, deadline: float) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        timer = threading.Timer(max(0.0, deadline - time.monotonic()), self.process.kill)
        timer.start()
        try:
            for line in self.process.stdout:
                line = line.rstrip("\n")
                self.stdout_lines.append(line)
                if self._banner_line(line):
                    return
        finally:
            timer.cancel()
        self._reap()
        raise NodeStartFailed(
            f"node exited with {self.process.returncode} before it was up; "
            f"stderr: {' | '.join(self.stderr_lines[-5:])}"
        )

    def _banner_line(self, line: str) -> bool:
        """Record banner facts; True once the banner is complete (a line after the addresses)."""
        if match := _BANNER_ID.match(line):
            self.node_id, self.name = match.groups()
        elif match := _BANNER_ADDRESS.match(line):
            self.addresses[match.group(1)] = match.group(2)
        return line == "  ready"

    def _drain_stdout(self) -> None:
        assert self.process is not None
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.stdout_lines.append(line.rstrip("\n"))

    def _drain_stderr(self) -> None:
        assert self.process is not None
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr_lines.append(line.rstrip("\n"))

    def signal(self, number: int) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    def wait(self, timeout: float = 15.0) -> int:
        assert self.process is not None
        self.process.wait(timeout)
        return self._reap()

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; returns the exit code.

        A node still running after ``timeout`` is killed and the test fails (NodeStopFailed),
        so a shutdown that hangs can never hide behind the kill.
        """
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
                raise NodeStopFailed(
                    f"node {self.node_id or self.command} did not stop within {timeout:g} s of "
                    f"SIGTERM and was killed; last log lines: {' | '.join(self.stderr_lines[-8:])}"
                ) from None
        return self._reap()

    def kill(self) -> None:
        """SIGKILL the node's whole process group (the node and any runs it started)."""
        assert self.process is not None
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self._reap()

    def __enter__(self) -> NodeProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self.process is not None and exc_type is None:
            self.stop()
        elif self.process is not None:
            with contextlib.suppress(NodeStopFailed):  # the test's own failure comes first
                self.stop()


def run_np(args: Sequence[str], *, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    """Run ``np ARGS`` to completion (for commands that are expected to exit)."""
    return subprocess.run(
        [sys.executable, "-m", "nanoping.cli.main", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )
