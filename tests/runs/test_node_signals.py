"""Stopping a node: the first signal waits for its runs, a second one exits at once."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from nanoping.testing.cluster import wait_until
from nanoping.testing.node_process import NodeProcess

from .harness import PipelinesApi, kill_quietly, run_pid, traffic, wait_dead


def test_second_signal_exits_at_once(
    node: NodeProcess, pipelines: PipelinesApi, data_dir: Path
) -> None:
    pipeline = pipelines.create("endless", traffic(total=0, interval=5), instructions_timeout=60)
    run_id = pipelines.start(pipeline.id)
    pid = run_pid(data_dir, run_id)
    kill_quietly(pid, signal.SIGSTOP)  # the run cannot answer its stop: a graceful stop would wait
    node.signal(signal.SIGTERM)
    wait_until(
        lambda: any("send the signal again to exit at once" in line for line in node.stderr_lines),
        what="the graceful stop to begin",
    )
    assert node.process is not None
    assert node.process.poll() is None  # still waiting for the stuck run
    started = time.monotonic()
    node.signal(signal.SIGTERM)
    assert node.wait(timeout=10) == 128 + signal.SIGTERM
    assert time.monotonic() - started < 5
    assert any("SIGTERM again, exiting at once" in line for line in node.stderr_lines)
    wait_dead(pid)  # the run died with its node
