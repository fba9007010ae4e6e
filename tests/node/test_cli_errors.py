"""`np` refuses bad input with one line naming what was wrong, and no traceback."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from nanoping.testing.node_process import run_np


def refuse(args: list[str]) -> str:
    """Run np, expect exit code 1 and exactly one line on stderr; return that line."""
    result = run_np(args)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("node: {nmae: x}\n", "node.nmae: unknown key (allowed here: name)"),
        ("grpcBridge: {address: true}\n", "grpcBridge.address: True is not an address"),
        (
            "http: {address: 127.0.0.1:0}\nhubServer:\n  authenticationByRequest: {timeout: soon}\n",
            "hubServer.authenticationByRequest.timeout: 'soon' is not a duration",
        ),
        ("node: {name: [\n", "(file): not valid YAML"),
    ],
)
def test_bad_config_file(tmp_path: Path, text: str, expected: str) -> None:
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    line = refuse(["-c", str(config), "up", "--data-dir", str(tmp_path / "d")])
    assert line.startswith(f"np: config file '{config}': {expected}")
    assert not (tmp_path / "d").exists()


def test_missing_config_file(tmp_path: Path) -> None:
    line = refuse(["-c", str(tmp_path / "missing.yaml"), "up", "--data-dir", str(tmp_path / "d")])
    assert line == f"np: config file '{tmp_path / 'missing.yaml'}': (file): no such file"


def test_unbindable_address_from_file(tmp_path: Path, busy_port: int) -> None:
    config = tmp_path / "node.yaml"
    config.write_text(f"grpcBridge:\n  address: 127.0.0.1:{busy_port}\n")
    line = refuse(["-c", str(config), "up", "--data-dir", str(tmp_path / "d")])
    assert line.startswith(
        f"np: grpcBridge.address in config file '{config}': cannot listen on 127.0.0.1:{busy_port}"
    )


def test_unbindable_address_from_flag(tmp_path: Path, busy_port: int) -> None:
    line = refuse(["up", "--grpc", f"127.0.0.1:{busy_port}", "--data-dir", str(tmp_path / "d")])
    assert line.startswith(f"np: --grpc: cannot listen on 127.0.0.1:{busy_port}")


def test_bad_address_flag(tmp_path: Path) -> None:
    line = refuse(["up", "--grpc", "localhost", "--data-dir", str(tmp_path / "d")])
    assert line.startswith(
        "np: command line: --grpc: 'localhost' is not an address of the form HOST:PORT"
    )


def test_data_dir_that_cannot_be_created(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    line = refuse(["up", "--grpc", "127.0.0.1:0", "--data-dir", str(blocker / "data")])
    assert line == f"np: cannot create data dir '{blocker / 'data'}': Not a directory"


def test_data_dir_that_is_a_file(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    line = refuse(["up", "--grpc", "127.0.0.1:0", "--data-dir", str(blocker)])
    assert line == f"np: data dir '{blocker}' exists but is not a directory"


def test_help_explains_every_option() -> None:
    top = run_np(["--help"])
    assert top.returncode == 0
    for option in ("-c FILE", "--log-level", "up"):
        assert option in top.stdout
    up = run_np(["up", "--help"])
    assert up.returncode == 0
    for option in (
        "--grpc HOST:PORT",
        "--rest-api HOST:PORT",
        "--data-dir DIR",
        "NANOPING_DATA_DIR",
    ):
        assert option in up.stdout


def test_unbindable_http_address(tmp_path: Path, busy_port: int) -> None:
    config = tmp_path / "hub.yaml"
    config.write_text(f"http:\n  address: 127.0.0.1:{busy_port}\nhubServer: {{}}\n")
    line = refuse(["-c", str(config), "up", "--data-dir", str(tmp_path / "d")])
    assert line == (
        f"np: http.address in config file '{config}': cannot listen on 127.0.0.1:{busy_port}: "
        "Address already in use"
    )
