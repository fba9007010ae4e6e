"""Stopping a node: the first signal waits for its runs, a second one exits at once.

A second signal within a second of the first is the same request (GNU ``timeout`` and process
managers deliver SIGTERM to the process and to its group): it must not cut the stop short.
"""

from __future__ import annotations

import signal
import time
from pathlib import Path

from nanoping.testing.cluster import wait_until
from nanoping.testing.node_process import NodeProcess

from .harness import PipelinesApi, kill_quietly, run_pid, traffic, wait_dead


def test_second_signal_a_second_later_exits_at_once(
    node: NodeProcess, pipelines: PipelinesApi, data_dir: Path
) -> None:
    pipeline = pipelines.create("endless", traffic(total=0, interval=5), instructions_timeout=60)
    run_id = pipelines.start(pipeline.id)
    pid = run_pid(data_dir, run_id)
    kill_quietly(pid, signal.SIGSTOP)  # the run cannot answer its stop: a graceful stop would wait
    node.signal(signal.SIGTERM)
    first = time.monotonic()
    # The same request, as `timeout` sends it (another signal number: two SIGTERMs this close
    # may reach the node as one).
    node.signal(signal.SIGINT)
    wait_until(
        lambda: any("the same stop request" in line for line in node.stderr_lines),
        what="the repeated signal to be taken as the same request",
    )
    assert node.process is not None
    assert node.process.poll() is None  # still waiting for the stuck run
    assert any("send the signal again" in line for line in node.stderr_lines)
    time.sleep(max(0.0, first + 1.1 - time.monotonic()))  # the scenario: a deliberate second ask
    started = time.monotonic()
    node.signal(signal.SIGTERM)
    assert node.wait(timeout=10) == 128 + signal.SIGTERM
    assert time.monotonic() - started < 5
    assert any("SIGTERM again, exiting at once" in line for line in node.stderr_lines)
    wait_dead(pid)  # the run died with its node
