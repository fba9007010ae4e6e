"""The README's shell quick start: two nodes, a join, node lists and a pipeline, with `np` only."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from nanoping.testing.cluster import hub_url, start_controller, wait_until
from nanoping.testing.node_process import NodeProcess, run_np

SEED_PIPELINE = Path(__file__).resolve().parents[2] / "examples" / "python" / "pipeline_config.json"


def np_ok(*args: str) -> str:
    result = run_np(list(args))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_shell_quick_start(tmp_path: Path) -> None:
    controller = start_controller(tmp_path)
    client = NodeProcess(data_dir=tmp_path / "client-data").start()
    on_client, on_hub = ("--grpc", client.grpc_address), ("--grpc", controller.grpc_address)
    try:
        answering = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "nanoping.cli.main",
                "authentication-requests",
                *on_hub,
                "--accept-all",
                "--count",
                "1",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        # No wait for the approver to open: pasted together, either may reach the hub first.
        np_ok("authenticate-by-request", hub_url(controller), *on_client)
        answered, _ = answering.communicate(timeout=20)
        assert answering.returncode == 0
        assert answered == f"accepted node {client.name} ({client.node_id})\n"
        np_ok("set-node", *on_client, "--name", "My NanoPing Client", "--metadata", "type=my-type")

        listed = np_ok("nodes", *on_client).splitlines()
        assert [line.split("  ")[1] for line in listed] == ["My Controller", "My NanoPing Client"]
        assert all("[online]" in line for line in listed)
        typed = json.loads(np_ok("nodes", *on_client, "--metadata", "type=my-type", "--json"))
        assert [node["name"] for node in typed] == ["My NanoPing Client"]
        hubs = json.loads(
            np_ok(
                "nodes", *on_client, "--service", "hub-server", "--service", "pipelines", "--json"
            )
        )
        assert [node["id"] for node in hubs] == [controller.node_id]

        on_controller = (*on_client, "--node", "My Controller")
        created = json.loads(
            np_ok(
                "pipelines",
                "create",
                *on_controller,
                "--name",
                "demo",
                "--config",
                str(SEED_PIPELINE),
                "--json",
            )
        )
        assert created["name"] == "demo"
        listing = np_ok("pipelines", "list", *on_controller)
        assert listing.strip() == f"{created['id']}  demo  [stopped]"
        shown = np_ok("pipelines", "show", *on_controller, created["id"])
        assert '"total_packets": 5000' in shown
        started = np_ok("pipelines", "start", *on_controller, created["id"]).strip()
        run_id = started.rsplit(" ", 1)[1]
        assert started == f"pipeline {created['id']} is running as run {run_id}"
        running = np_ok("pipelines", "list", *on_controller).strip()
        assert running == f"{created['id']}  demo  [running (run {run_id})]"
        np_ok("pipelines", "stop", *on_controller, created["id"])
        wait_until(
            lambda: "[stopped]" in np_ok("pipelines", "list", *on_controller),
            what="the run to stop",
        )
        log = np_ok("pipelines", "logs", *on_controller, run_id)
        assert "run started" in log
        assert "run ended" in log
        assert (
            np_ok("pipelines", "delete", *on_controller, created["id"]).strip()
            == f"deleted pipeline {created['id']}"
        )
        assert np_ok("pipelines", "list", *on_controller) == ""
        missing = run_np(["pipelines", "show", *on_controller, created["id"]])
        assert missing.returncode == 1
        assert missing.stderr.startswith("np: pipelines show: NOT_FOUND: ")
    finally:
        client.stop()
        controller.stop()


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
