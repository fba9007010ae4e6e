"""The Python walkthrough against a real controller and client, run twice, as a new user would."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from nanoping.testing.cluster import hub_url, start_controller
from nanoping.testing.node_process import NodeProcess

WALKTHROUGH = Path(__file__).resolve().parents[2] / "examples" / "python" / "walkthrough.py"
UUID = r"[0-9a-f-]{36}"


def run_walkthrough(controller: NodeProcess, client: NodeProcess) -> list[str]:
    result = subprocess.run(
        [
            sys.executable,
            str(WALKTHROUGH),
            "--client",
            client.grpc_address,
            "--controller",
            controller.grpc_address,
            "--hub",
            hub_url(controller),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def section(lines: list[str], title: str) -> list[str]:
    start = lines.index(title) + 1
    return lines[start : lines.index("", start)]


def check_crud(lines: list[str], node_name: str) -> str:
    start = lines.index(f"Doing CRUD pipeline operations on node {node_name}")
    steps = [line for line in lines[start + 1 :] if line.startswith(" ")][:4]
    created = re.fullmatch(rf" Created pipeline My First Pipeline with id ({UUID})", steps[0])
    assert created, steps
    pipeline_id = created.group(1)
    assert steps[1:] == [
        f" Updated pipeline to name My Updated Pipeline for id {pipeline_id}",
        f" Got pipeline by id {pipeline_id} with name My Updated Pipeline",
        f" Deleted pipeline with id {pipeline_id}",
    ]
    events = [line for line in lines if line.endswith(pipeline_id) and line.startswith("Received")]
    assert events == [
        f"Received {kind} event: {pipeline_id}" for kind in ("create", "update", "delete")
    ]
    return pipeline_id


def check_output(lines: list[str], client: NodeProcess, *, first_run: bool) -> None:
    states = [line for line in lines if line.startswith("Connection state:")]
    assert states == (
        ["Connection state: UNAUTHENTICATED", "Connection state: CONNECTED"]
        if first_run
        else ["Connection state: CONNECTED"]
    )
    assert f"Updated client {client.node_id} with node information" in lines
    assert "Authenticated with the Hub Server" in lines
    assert section(lines, "All nodes:") == [" Node: My Controller", " Node: My NanoPing Client"]
    assert section(lines, "Nodes with metadata type=my-type:") == [" Node: My NanoPing Client"]
    assert section(lines, "Nodes with Pipelines service enabled:") == [
        " Node: My Controller",
        " Node: My NanoPing Client",
    ]
    assert check_crud(lines, "My Controller") != check_crud(lines, "My NanoPing Client")


def test_walkthrough_twice(tmp_path: Path) -> None:
    controller = start_controller(tmp_path)
    client = NodeProcess(data_dir=tmp_path / "client-data").start()
    try:
        check_output(run_walkthrough(controller, client), client, first_run=True)
        check_output(run_walkthrough(controller, client), client, first_run=False)
    finally:
        client.stop()
        controller.stop()
