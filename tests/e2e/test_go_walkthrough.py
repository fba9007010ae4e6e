"""The walkthrough as a Go program (grpc-go, the guide's language) against real nodes.

It opens the approver stream in a goroutine at the same moment as the join, as the guide's Go
example does, so these runs also hold the join race: the join may reach the hub first.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from nanoping.testing.cluster import controller_config, free_port, start_together
from nanoping.testing.go_walkthrough import (
    build_go_walkthrough,
    missing_go_tools,
    run_go_walkthrough,
)
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.walkthrough import check_output


@pytest.fixture(scope="module")
def go_walkthrough(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if problem := missing_go_tools():
        pytest.skip(f"the Go toolchain is missing ({problem}): run scripts/install-test-deps.sh")
    return build_go_walkthrough(tmp_path_factory.mktemp("go-walkthrough"))


def run(binary: Path, controller: NodeProcess, client: NodeProcess, **options: float) -> list[str]:
    result = run_go_walkthrough(binary, controller, client, **options)
    assert result.returncode == 0, result.stderr
    return result.stdout.splitlines()


def controller_node(tmp_path: Path, config: Path) -> NodeProcess:
    return NodeProcess(
        data_dir=tmp_path / "controller-data", global_args=["-c", str(config)], up_args=()
    )


def test_the_go_walkthrough_joins_and_runs_again(go_walkthrough: Path, tmp_path: Path) -> None:
    controller = controller_node(tmp_path, controller_config(tmp_path)).start()
    client = NodeProcess(data_dir=tmp_path / "client-data").start()
    try:
        check_output(run(go_walkthrough, controller, client), client.node_id, first_run=True)
        check_output(run(go_walkthrough, controller, client), client.node_id, first_run=False)
    finally:
        client.stop()
        controller.stop()


def test_a_late_approver_still_gets_the_join_and_a_joint_restart_relinks(
    go_walkthrough: Path, tmp_path: Path
) -> None:
    # The hub keeps its HTTP port across the restart: the client stored that address.
    config = controller_config(tmp_path, http_port=free_port())
    controller = controller_node(tmp_path, config).start()
    client = NodeProcess(data_dir=tmp_path / "client-data").start()
    try:
        lines = run(go_walkthrough, controller, client, approver_delay=1.0)
        check_output(lines, client.node_id, first_run=True)
    finally:
        client.stop()
        controller.stop()
    controller = controller_node(tmp_path, config)
    client = NodeProcess(data_dir=tmp_path / "client-data")
    start_together(controller, client)
    try:
        lines = run(go_walkthrough, controller, client)
        check_output(lines, client.node_id, first_run=False, just_restarted=True)
    finally:
        client.stop()
        controller.stop()
