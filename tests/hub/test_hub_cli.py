"""`np authenticate-by-request` and `np authentication-requests` against real nodes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from nanoping.testing.cluster import hub_url, start_controller
from nanoping.testing.node_process import NodeProcess, run_np


def answerer(controller: NodeProcess, *flags: str) -> subprocess.Popen[str]:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "nanoping.cli.main",
            "authentication-requests",
            "--grpc",
            controller.grpc_address,
            *flags,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    opening = [process.stderr.readline(), process.stderr.readline()]
    assert opening == [
        "no join request is pending\n",
        "waiting for authentication requests (Ctrl-C to stop)\n",
    ]
    return process


def test_join_from_the_shell(tmp_path: Path) -> None:
    controller = start_controller(tmp_path)
    client = NodeProcess(data_dir=tmp_path / "client").start()
    try:
        accepting = answerer(controller, "--accept-all", "--count", "1", "--json")
        joined = run_np(
            ["authenticate-by-request", hub_url(controller), "--grpc", client.grpc_address]
        )
        assert joined.returncode == 0, joined.stderr
        assert (
            joined.stdout.strip() == f"authenticated with the hub server at {hub_url(controller)}"
        )
        out, _ = accepting.communicate(timeout=20)
        assert accepting.returncode == 0
        assert json.loads(out) == {
            "requestId": 1,
            "nodeId": client.node_id,
            "name": client.name,
            "accepted": True,
        }
        again = run_np(
            ["authenticate-by-request", hub_url(controller), "--grpc", client.grpc_address]
        )
        assert again.returncode == 1
        assert (
            again.stderr.splitlines()[-1]
            == "np: authenticate-by-request: ALREADY_EXISTS: Client is already authenticated"
        )
    finally:
        client.stop()
        controller.stop()


def test_interactive_rejection(tmp_path: Path) -> None:
    controller = start_controller(tmp_path)
    client = NodeProcess(data_dir=tmp_path / "client").start()
    try:
        asking = answerer(controller, "--count", "1")
        joining = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nanoping.cli.main",
                "authenticate-by-request",
                hub_url(controller),
                "--grpc",
                client.grpc_address,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out, _ = asking.communicate("n\n", timeout=20)
        assert f"Node {client.name} ({client.node_id}) asks to join. Accept? [y/N]" in out
        assert f"rejected node {client.name} ({client.node_id})" in out
        _, err = joining.communicate(timeout=20)
        assert joining.returncode == 1
        assert "UNAUTHENTICATED" in err
    finally:
        client.stop()
        controller.stop()


def test_no_node_at_the_address() -> None:
    result = run_np(["authenticate-by-request", "http://127.0.0.1:1", "--grpc", "127.0.0.1:1"])
    assert result.returncode == 1
    assert result.stderr.startswith("np: authenticate-by-request: ")
    assert "Traceback" not in result.stderr
