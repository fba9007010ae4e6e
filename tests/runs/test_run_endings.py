"""A run's log stream ends after the run's last line, so followers and run_pipeline() return."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import nanoping_api
import pytest

from nanoping.testing.node_process import NodeProcess, run_np

from .harness import traffic


@pytest.fixture
def rest_node(tmp_path: Path) -> Iterator[NodeProcess]:
    up_args = ("--grpc", "127.0.0.1:0", "--rest-api", "127.0.0.1:0")
    with NodeProcess(data_dir=tmp_path / "node", up_args=up_args) as node:
        yield node


def create(node: NodeProcess, name: str, total: int) -> str:
    config = json.dumps(traffic(total=total, interval=1))
    with nanoping_api.NanopingClient(node.rest_url, timeout=20) as client:
        return str(client.pipelines.create_pipeline(name=name, json_config=config).pipeline.id)


def test_the_public_clients_run_pipeline_returns_when_the_run_ends(rest_node: NodeProcess) -> None:
    pipeline_id = create(rest_node, "short", total=20)
    with nanoping_api.NanopingClient(rest_node.rest_url, timeout=20) as client:
        messages = [message.message for message in client.run_pipeline("", pipeline_id)]
    assert messages[0] == "run started"
    assert messages[-1] == "run ended"


def test_logs_follow_exits_after_the_last_line_and_shows_its_data(rest_node: NodeProcess) -> None:
    pipeline_id = create(rest_node, "short", total=20)
    grpc = ("--grpc", rest_node.grpc_address)
    started = run_np(["pipelines", "start", *grpc, pipeline_id])
    assert started.returncode == 0, started.stderr
    run_id = started.stdout.split()[-1]
    followed = run_np(["pipelines", "logs", *grpc, run_id, "--follow"], timeout=60)
    assert followed.returncode == 0, followed.stderr
    last = followed.stdout.splitlines()[-1]
    assert " INFO    run ended  exit_code=0 reason=" in last
    # an ended run's stream ends at once, with the same lines
    again = run_np(["pipelines", "logs", *grpc, run_id, "--follow"], timeout=60)
    assert again.stdout == followed.stdout


def test_a_run_ends_with_a_summary_and_stats_shows_it(rest_node: NodeProcess) -> None:
    grpc = ("--grpc", rest_node.grpc_address)
    pipeline_id = create(rest_node, "counted", total=20)
    run_id = run_np(["pipelines", "start", *grpc, pipeline_id]).stdout.split()[-1]
    log = run_np(["pipelines", "logs", *grpc, run_id, "--follow"], timeout=60).stdout
    summary_at = log.splitlines().index(
        next(line for line in log.splitlines() if line.endswith(" INFO    run summary"))
    )
    sink_line = log.splitlines()[summary_at + 2]
    assert sink_line.startswith("    sink: ")
    assert "packets_received=20" in sink_line.split()
    ended = run_np(["pipelines", "stats", *grpc, run_id])
    assert ended.returncode == 0, ended.stderr
    lines = ended.stdout.splitlines()
    assert lines[0] == f"run {run_id} (ended):"
    assert f"  {sink_line.strip()}" in lines
    endless = create(rest_node, "endless", total=0)
    live_run = run_np(["pipelines", "start", *grpc, endless]).stdout.split()[-1]
    live = run_np(["pipelines", "stats", *grpc, live_run, "--json"])
    assert live.returncode == 0, live.stderr
    sample = json.loads(live.stdout)
    assert sample["live"] is True
    assert "packets_received" in sample["components"]["sink"]
    run_np(["pipelines", "stop", *grpc, endless])


def test_runs_lists_every_run_and_show_names_the_last(rest_node: NodeProcess) -> None:
    grpc = ("--grpc", rest_node.grpc_address)
    pipeline_id = create(rest_node, "twice", total=5)
    never = run_np(["pipelines", "runs", *grpc, "twice"])
    assert never.stdout == f"pipeline {pipeline_id} has not run yet\n"
    assert "last run: none yet" in run_np(["pipelines", "show", *grpc, "twice"]).stdout
    run_ids = []
    for _ in range(2):
        run_id = run_np(["pipelines", "start", *grpc, "twice"]).stdout.split()[-1]
        run_np(["pipelines", "logs", *grpc, run_id, "--follow"], timeout=60)  # until it ended
        run_ids.append(run_id)
    listed = run_np(["pipelines", "runs", *grpc, "twice"])
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert [line.split()[0] for line in lines] == run_ids
    for line in lines:
        assert " ended " in line
        assert line.endswith("exit code 0 (all components finished)")
    shown = run_np(["pipelines", "show", *grpc, pipeline_id]).stdout.splitlines()
    assert shown[1] == f"last run: {lines[-1]}"
    missing = run_np(["pipelines", "runs", *grpc, "no-such-pipeline"])
    assert missing.returncode == 1
    assert missing.stderr.startswith("np: pipelines runs: NOT_FOUND: ")
