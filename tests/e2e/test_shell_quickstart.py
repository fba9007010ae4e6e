"""The README's shell quick start, its blocks pasted into bash one after the other, no pauses.

The test reads the blocks from README.md itself, so the README cannot drift from what works;
the README's fixed ports are swapped for free ones.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from pathlib import Path

from nanoping.testing.cluster import wait_until
from nanoping.testing.node_process import run_np

SEED_PIPELINE = Path(__file__).resolve().parents[2] / "examples" / "python" / "pipeline_config.json"


README = Path(__file__).resolve().parents[2] / "README.md"
README_PORTS = ("8769", "10564", "10432")
"""The fixed ports of the README's quick start; the test gives each a free port instead."""


def quick_start_blocks() -> list[str]:
    """The code blocks of the README's quick start section, in order."""
    text = README.read_text()
    section = text[text.index("## Quick start") :]
    section = section[: section.index("\n## ", 1)]
    return [body for _, body in re.findall(r"```(sh|yaml)\n(.*?)```", section, re.S)]


def free_ports(count: int) -> list[str]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [str(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def workspace(tmp_path: Path) -> Path:
    """A directory laid out like the README assumes: .venv/bin/np and the example config."""
    np_command = tmp_path / ".venv" / "bin" / "np"
    np_command.parent.mkdir(parents=True)
    np_command.write_text(f'#!/bin/sh\nexec {sys.executable} -m nanoping.cli.main "$@"\n')
    np_command.chmod(0o755)
    (tmp_path / "examples" / "python").mkdir(parents=True)
    shutil.copy(SEED_PIPELINE, tmp_path / "examples" / "python" / "pipeline_config.json")
    return tmp_path


class ShellNode:
    """A README block that starts a node, run in the background until its banner says ready."""

    def __init__(self, block: str, cwd: Path) -> None:
        self.process = subprocess.Popen(
            ["bash", "-c", f"exec {block.strip()}"], cwd=cwd, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, text=True, start_new_session=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            wait_until(lambda: "  ready" in self.lines, what=f"the node of {block.strip()!r}")
        except AssertionError:
            self.stopped_by_itself()  # kills it: it never came up
            raise

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    def stopped_by_itself(self) -> bool:
        """True once the process ended; else kill it (and its group) and return False."""
        try:
            self.process.wait(timeout=15)
            return True
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            return False
        finally:
            self._reader.join(timeout=5)
            if self.process.stdout is not None:
                self.process.stdout.close()


def paste(block: str, cwd: Path) -> str:
    """Run a README block as pasted into bash (stopping at the first failing command)."""
    result = subprocess.run(
        ["bash", "-e", "-c", block], cwd=cwd, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items() if k != "NANOPING_GRPC"},
    )  # fmt: skip
    assert result.returncode == 0, f"{block}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    assert "Traceback" not in result.stderr
    return result.stdout + result.stderr


def test_the_readme_quick_start_pasted_block_by_block(tmp_path: Path) -> None:
    cwd = workspace(tmp_path)
    ports = free_ports(len(README_PORTS))
    blocks = quick_start_blocks()
    for fixed, free in zip(README_PORTS, ports, strict=True):
        blocks = [block.replace(fixed, free) for block in blocks]
    config, controller_up, client_up, join_block, tour = blocks
    hub_http, _, client_grpc = ports
    (cwd / "controller.yaml").write_text(config)
    nodes: list[ShellNode] = []
    try:
        nodes.append(ShellNode(controller_up, cwd))
        nodes.append(ShellNode(client_up, cwd))
        joined = paste(join_block, cwd)
        assert f"waiting for the hub at http://127.0.0.1:{hub_http} to answer" in joined
        assert f"authenticated with the hub server at http://127.0.0.1:{hub_http}\n" in joined
        assert "accepted node " in joined
        out = paste(tour, cwd)
        assert "My Controller" in out
        assert "My NanoPing Client" in out
        assert re.search(r"created pipeline demo with id \S+\n", out)
        assert re.search(r"pipeline \S+ is running as run \S+\n", out) is None  # captured by $RUN
        assert re.search(r"run \S+ \(running\):\n  traffic_sink-1: ", out)
        assert re.search(r"asked pipeline \S+ to stop\n", out)
        log = [line.split(" ", 2)[-1].strip() for line in out.splitlines() if " INFO " in line]
        assert log[0].startswith("run started")
        assert "run summary" in log
        assert log[-1].startswith('run ended  exit_code=0 reason="stop requested"')
        assert re.search(r"\S+  started \S+  ended \S+  exit code 0 \(stop requested\)\n", out)
        assert re.search(r"deleted pipeline \S+\n", out)
        assert paste(f".venv/bin/np pipelines list --grpc 127.0.0.1:{client_grpc}", cwd) == ""
    finally:
        for data_dir in ("./client-data", "./controller-data"):
            subprocess.run(
                [str(cwd / ".venv" / "bin" / "np"), "down", "--data-dir", data_dir],
                cwd=cwd, capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        hung = [node for node in nodes if not node.stopped_by_itself()]
    assert not hung, "a quick start node did not stop after np down"


def test_bad_config_file_for_create(tmp_path: Path) -> None:
    result = run_np(
        [
            "pipelines",
            "create",
            "--grpc",
            "127.0.0.1:1",
            "--name",
            "x",
            "--config",
            str(tmp_path / "none.json"),
        ]
    )
    assert result.returncode == 1
    assert (
        result.stderr.strip()
        == f"np: pipelines create: --config {tmp_path / 'none.json'}: No such file or directory"
    )
