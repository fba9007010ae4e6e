"""The Python walkthrough against a real controller and client, run twice, as a new user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from nanoping.testing.cluster import hub_url, start_controller
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.walkthrough import check_output

WALKTHROUGH = Path(__file__).resolve().parents[2] / "examples" / "python" / "walkthrough.py"


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


def test_walkthrough_twice(tmp_path: Path) -> None:
    controller = start_controller(tmp_path)
    client = NodeProcess(data_dir=tmp_path / "client-data").start()
    try:
        check_output(run_walkthrough(controller, client), client.node_id, first_run=True)
        check_output(run_walkthrough(controller, client), client.node_id, first_run=False)
    finally:
        client.stop()
        controller.stop()
