"""What a new user meets first: start-up hints, address checks, health endpoints, names."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import PlainTextResponse
from starlette.types import Message, Receive, Scope, Send

from nanoping.node.health import HealthFront
from nanoping.testing.cluster import start_controller, wait_until
from nanoping.testing.node_process import NodeProcess, run_np


def get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def one_error_line(args: list[str]) -> str:
    result = run_np(args)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    return result.stderr.strip().splitlines()[-1]


def test_a_node_without_an_api_says_which_flag_to_add(tmp_path: Path) -> None:
    with NodeProcess(data_dir=tmp_path / "d", up_args=()) as node:
        wait_until(
            lambda: any(
                "serves no API" in line and "--grpc 127.0.0.1:10432" in line
                for line in node.stderr_lines
            ),
            what="the warning naming --grpc",
        )


def test_a_node_with_an_api_gives_no_such_warning(tmp_path: Path) -> None:
    with NodeProcess(data_dir=tmp_path / "d") as node:
        assert node.grpc_address
    assert not any("serves no API" in line for line in node.stderr_lines)


def test_config_and_log_level_are_accepted_after_up(tmp_path: Path) -> None:
    config = tmp_path / "node.yaml"
    config.write_text("node:\n  name: After Up\ngrpcBridge:\n  address: 127.0.0.1:0\n")
    with NodeProcess(
        data_dir=tmp_path / "d", up_args=("-c", str(config), "--log-level", "warning")
    ) as node:
        assert node.name == "After Up"
    assert not any(" INFO " in line for line in node.stderr_lines)


def test_an_empty_node_name_says_so(tmp_path: Path) -> None:
    config = tmp_path / "node.yaml"
    config.write_text('node:\n  name: ""\n')
    line = one_error_line(["-c", str(config), "up", "--data-dir", str(tmp_path / "d")])
    assert line == (
        f"np: config file '{config}': node.name: must not be empty "
        "(leave the key out to keep the stored name)"
    )


def test_two_listeners_on_one_address_name_both(tmp_path: Path) -> None:
    config = tmp_path / "node.yaml"
    config.write_text("http:\n  address: 0.0.0.0:18433\n")
    line = one_error_line(
        ["-c", str(config), "up", "--grpc", "127.0.0.1:18433", "--data-dir", str(tmp_path / "d")]
    )
    assert line == (
        f"np: http.address in config file '{config}' and --grpc both ask for 127.0.0.1:18433: "
        "give each listener a port of its own"
    )
    assert not (tmp_path / "d").exists()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://127.0.0.1:10432", "'http://127.0.0.1:10432' is a URL; --grpc takes HOST:PORT"),
        ("10432", "'10432' is not HOST:PORT (e.g. 127.0.0.1:10432); give the host too"),
        ("127.0.0.1:99999", "the port must be a number from 1 to 65535, got '99999'"),
    ],
)
def test_a_malformed_grpc_address_is_refused_before_any_call(value: str, expected: str) -> None:
    line = one_error_line(["nodes", "--grpc", value])
    assert line.startswith("np nodes: error: argument --grpc: ")
    assert expected in line


def test_no_node_at_the_address_names_the_flag() -> None:
    line = one_error_line(["nodes", "--grpc", "127.0.0.1:1"])
    assert line.startswith("np: nodes: no node answers there; start one with `np up --grpc")


def test_health_on_every_listener_and_a_home_page_on_the_hub_port(tmp_path: Path) -> None:
    controller = start_controller(tmp_path, extra="restApi:\n  address: 127.0.0.1:0\n")
    try:
        expected = {"id": controller.node_id, "name": controller.name, "state": "up"}
        hub = f"http://{controller.addresses['HTTP (hub server)']}"
        assert get(f"{hub}/healthz") == (200, expected)
        assert get(f"{controller.rest_url}/healthz") == (200, expected)
        status, home = get(f"{hub}/")
        assert status == 200
        assert home["id"] == controller.node_id
        assert home["grpcApi"] == controller.grpc_address
        assert home["restApi"] == controller.addresses["REST API"]
        assert home["hubServer"] is True
        # the REST API's own answers are untouched
        status, nodes = get(f"{controller.rest_url}/v1/nodes")
        assert status == 200
        assert [node["id"] for node in nodes["nodes"]] == [controller.node_id]
        # uvicorn's own complaints come through the node's logging, in its format
        host, port = controller.addresses["HTTP (hub server)"].rsplit(":", 1)
        with socket.create_connection((host, int(port)), timeout=10) as raw:
            raw.sendall(b"NOT HTTP AT ALL\r\n\r\n")
            raw.recv(1024)
        wait_until(
            lambda: any(
                " WARNING uvicorn.error: Invalid HTTP request received." in line
                for line in controller.stderr_lines
            ),
            what="uvicorn's warning in the node's log format",
        )
        # an HTTP port given as --grpc is named for what it is
        line = one_error_line(["nodes", "--grpc", controller.addresses["REST API"]])
        assert "that is an HTTP/1 server, such as a node's REST or hub (HTTP) port" in line
    finally:
        controller.stop()


def test_set_node_takes_a_node_name(tmp_path: Path) -> None:
    with NodeProcess(data_dir=tmp_path / "d") as node:
        renamed = run_np(
            ["set-node", "--grpc", node.grpc_address, "--node", node.name, "--name", "Renamed"]
        )
        assert renamed.returncode == 0, renamed.stderr
        assert renamed.stdout.startswith(f"{node.node_id}  Renamed  ")


async def answer(app: HealthFront, path: str) -> tuple[int, bytes]:
    """One GET through the ASGI app: its status and body."""
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "http", "method": "GET", "path": path, "headers": []}, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


@pytest.mark.parametrize(("state", "code"), [("starting", 503), ("up", 200), ("stopping", 503)])
async def test_health_answers_503_unless_the_node_is_up(state: str, code: int) -> None:
    status = {"id": "n-1", "name": "edge", "state": state}

    async def elsewhere(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("not health", status_code=404)(scope, receive, send)

    front = HealthFront(elsewhere, lambda: status)
    code_and_body = await answer(front, "/healthz")
    assert (code_and_body[0], json.loads(code_and_body[1])) == (code, status)
    assert await answer(front, "/other") == (404, b"not health")
