"""The node test helper fails the test when a node had to be killed: a hang cannot hide."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from nanoping.testing.node_process import NodeProcess, NodeStopFailed

STUBBORN = """
import signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("NanoPing node stubborn (Stubborn) is up", flush=True)
print("  ready", flush=True)
print("ignoring SIGTERM", file=sys.stderr, flush=True)
time.sleep(60)
"""


def test_a_node_that_ignores_sigterm_fails_the_test(tmp_path: Path) -> None:
    node = NodeProcess(data_dir=tmp_path / "unused")
    node.command = [sys.executable, "-c", STUBBORN]
    node.start()
    with pytest.raises(
        NodeStopFailed, match=r"did not stop within 0\.5 s of SIGTERM and was killed"
    ):
        node.stop(timeout=0.5)
    assert node.process is not None
    assert node.process.returncode is not None  # killed, not left behind
