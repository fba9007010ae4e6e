"""`np pipelines logs --follow --reconnect` says why the stream broke and opens it again."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from pathlib import Path

from nanoping.testing.cluster import wait_until
from nanoping.testing.node_process import NodeProcess


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_follow_reconnects_while_the_node_is_unreachable(tmp_path: Path) -> None:
    address = f"127.0.0.1:{free_port()}"
    command = [sys.executable, "-m", "nanoping.cli.main", "pipelines", "logs", "no-such-run",
               "--grpc", address, "--follow", "--reconnect"]  # fmt: skip
    follower = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    assert follower.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(follower.stderr or []), daemon=True)
    reader.start()
    try:
        wait_until(lambda: sum("reconnecting in" in line for line in lines) >= 2, what="retries")
        assert "no node answers there" in lines[0]
        with NodeProcess(data_dir=tmp_path / "node", up_args=("--grpc", address)):
            # Reachable again: the stream opens, and a status other than UNAVAILABLE ends it.
            assert follower.wait(timeout=30) == 1
    finally:
        follower.kill()
        follower.wait()
    reader.join(5)
    follower.stderr.close()
    assert "NOT_FOUND" in lines[-1]
