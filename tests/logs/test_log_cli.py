"""`np logs` and `np top` against a real node."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from nanoping.testing.node_process import NodeProcess


def np(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nanoping.cli.main", *arguments],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_np_logs_prints_and_downloads_the_app_log_and_np_top_shows_resources(
    tmp_path: Path,
) -> None:
    with NodeProcess(data_dir=tmp_path / "data") as node:
        grpc_address = node.grpc_address
        printed = np("logs", "--grpc", grpc_address, "--lines", "20", "--json")
        assert printed.returncode == 0, printed.stderr
        entries = [json.loads(line) for line in printed.stdout.splitlines()]
        assert any("started, data dir" in entry["message"] for entry in entries)
        target = tmp_path / "node-copy.log"
        downloaded = np("logs", "--grpc", grpc_address, "--download", str(target))
        assert downloaded.returncode == 0, downloaded.stderr
        assert target.read_bytes().startswith((tmp_path / "data" / "node.log").read_bytes()[:200])
        unknown = np("logs", "--grpc", grpc_address, "--run", "no-such-run")
        assert unknown.returncode == 1
        assert (
            unknown.stderr.strip()
            == "np: logs: NOT_FOUND: run 'no-such-run' is unknown on this node"
        )
        negative = np("logs", "--grpc", grpc_address, "--lines", "-3")
        assert negative.stderr.strip() == "np: logs: --lines must not be negative"
        top = np("top", "--grpc", grpc_address, "--once")
        assert top.returncode == 0, top.stderr
        for heading in ("node resources", "CPU", "memory", "interfaces", "lo", "pipelines"):
            assert heading in top.stdout
