"""Every `--follow` command says why its stream broke and, with --reconnect, opens it again."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest

from nanoping.testing.cluster import free_port, wait_until
from nanoping.testing.node_process import NodeProcess


class Follower:
    """An `np ... --follow --reconnect` process whose stdout and stderr lines are collected."""

    def __init__(self, args: list[str]) -> None:
        command = [sys.executable, "-m", "nanoping.cli.main", *args]
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        self.out: list[str] = []
        self.err: list[str] = []
        self._readers = [
            threading.Thread(target=self._collect, args=(stream, lines), daemon=True)
            for stream, lines in ((self.process.stdout, self.out), (self.process.stderr, self.err))
        ]
        for reader in self._readers:
            reader.start()

    @staticmethod
    def _collect(stream: IO[str], lines: list[str]) -> None:
        lines.extend(stream)

    def retries(self) -> int:
        return sum("reconnecting in" in line for line in self.err)

    def close(self) -> None:
        self.process.kill()
        self.process.wait()
        for reader in self._readers:
            reader.join(5)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()


@pytest.mark.parametrize(
    "command", [["logs"], ["pipelines", "stats", "no-such-run"]], ids=["logs", "pipelines stats"]
)
def test_an_unreachable_node_is_retried_until_it_answers(
    command: list[str], tmp_path: Path
) -> None:
    address = f"127.0.0.1:{free_port()}"
    follower = Follower([*command, "--grpc", address, "--follow", "--reconnect"])
    try:
        wait_until(lambda: follower.retries() >= 2, what="two reconnect attempts")
        assert "no node answers there" in follower.err[0]
        with NodeProcess(data_dir=tmp_path / "node", up_args=("--grpc", address)):
            if command == ["logs"]:  # the node's own log streams once it answers
                wait_until(
                    lambda: any("started, data dir" in line for line in follower.out), what="log"
                )
                assert follower.process.poll() is None  # still following
            else:  # reachable again: a status other than UNAVAILABLE ends the command
                assert follower.process.wait(timeout=30) == 1
                wait_until(lambda: any("NOT_FOUND" in line for line in follower.err), what="end")
    finally:
        follower.close()


def test_without_reconnect_an_unreachable_node_ends_the_command() -> None:
    address = f"127.0.0.1:{free_port()}"
    follower = Follower(["logs", "--grpc", address, "--follow"])
    try:
        assert follower.process.wait(timeout=30) == 1
        wait_until(lambda: bool(follower.err), what="the error line")
        assert "no node answers there" in follower.err[0]
        assert follower.retries() == 0
    finally:
        follower.close()
