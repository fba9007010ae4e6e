"""A node killed with SIGKILL takes its runs with it; restarted, it knows how they ended and
starts its auto pipelines again; stopped gracefully, it stops its runs."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import grpc

from nanoping.testing.cluster import wait_until
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

from .harness import PipelinesApi, alive, logged, run_pid, stored_runs, traffic, wait_dead

ENDLESS = traffic(total=0, interval=2)


def test_kill_9_of_the_node_leaves_no_run_behind_and_restart_recovers(
    data_dir: Path, reference_api: ReferenceApi
) -> None:
    node = NodeProcess(data_dir=data_dir).start()
    try:
        with grpc.insecure_channel(node.grpc_address) as channel:
            api = PipelinesApi(reference_api, channel)
            auto = api.create("auto", ENDLESS, startup_policy={"auto": {}})
            manual = api.create("manual", ENDLESS)
            old_runs = [api.start(auto.id), api.start(manual.id)]
        pids = [run_pid(data_dir, run_id) for run_id in old_runs]
        assert all(alive(pid) for pid in pids)
        # Only the node's own pid: its runs must notice (PR_SET_PDEATHSIG, channel EOF).
        assert node.process is not None
        os.kill(node.process.pid, signal.SIGKILL)
        node.wait()
        for pid in pids:
            wait_dead(pid, timeout=5)
    finally:
        node.kill()

    with NodeProcess(data_dir=data_dir) as again, grpc.insecure_channel(again.grpc_address) as ch:
        api = PipelinesApi(reference_api, ch)
        wait_until(
            lambda: logged(data_dir, api.get(auto.id).current_run, "run started") is not None,
            what="the auto pipeline running again",
        )
        new_run = api.get(auto.id).current_run
        assert new_run not in old_runs
        assert not api.get(manual.id).started  # manual pipelines stay stopped
        for run_id in old_runs:
            ended = logged(data_dir, run_id, "run ended")
            assert ended is not None
            assert (ended["level"], ended["data"]["exit_code"]) == ("ERROR", 137)
        new_pid = run_pid(data_dir, new_run)
    assert not alive(new_pid)  # a graceful node stop stops its runs

    runs = stored_runs(data_dir)
    assert [run.exit_code for run in runs["auto"]] == [137, 0]
    assert [run.exit_code for run in runs["manual"]] == [137]
    assert all(run.ended_at is not None for run in runs["auto"] + runs["manual"])
