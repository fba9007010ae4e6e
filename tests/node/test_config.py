"""The YAML config loader and the values it validates."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanoping.config import (
    DEFAULT_JOIN_TIMEOUT,
    ListenAddress,
    load_config_file,
    parse_address,
    parse_duration,
)
from nanoping.errors import ConfigError

SEED_CONTROLLER = """\
node:
  name: My Controller
http:
  address: 127.0.0.1:8769
hubServer:
  authenticationByRequest:
    timeout: 5m
grpcBridge:
  address: 127.0.0.1:10564
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "node.yaml"
    path.write_text(text)
    return path


def test_seed_controller_config(tmp_path: Path) -> None:
    path = write(tmp_path, SEED_CONTROLLER)
    config = load_config_file(path)
    assert config.name == "My Controller"
    assert config.http_address == ListenAddress(
        "127.0.0.1", 8769, f"http.address in config file '{path}'"
    )
    assert config.hub_server is not None
    assert config.hub_server.join_timeout == 300.0
    assert config.grpc_address is not None
    assert str(config.grpc_address) == "127.0.0.1:10564"
    assert config.rest_address is None
    assert config.pipelines_enabled is True
    assert config.config_file == path


def test_all_keys(tmp_path: Path) -> None:
    config = load_config_file(
        write(
            tmp_path,
            "http: {address: '[::1]:8769'}\nhubServer: {authenticationByRequest: {}}\n"
            "restApi: {address: 127.0.0.1:10566}\npipelines: {enabled: false}\n",
        )
    )
    assert config.http_address is not None
    assert (config.http_address.host, config.http_address.port) == ("::1", 8769)
    assert str(config.http_address) == "[::1]:8769"
    assert config.hub_server is not None
    assert config.hub_server.join_timeout == DEFAULT_JOIN_TIMEOUT
    assert config.rest_address is not None
    assert config.rest_address.port == 10566
    assert config.pipelines_enabled is False
    assert config.name is None


def test_hub_server_without_join_by_request(tmp_path: Path) -> None:
    config = load_config_file(write(tmp_path, "http: {address: 127.0.0.1:0}\nhubServer: {}\n"))
    assert config.hub_server is not None
    assert config.hub_server.join_timeout is None


def test_empty_file_is_an_empty_config(tmp_path: Path) -> None:
    config = load_config_file(write(tmp_path, ""))
    assert config.grpc_address is None
    assert config.pipelines_enabled is True


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("5m", 300.0), ("30s", 30.0), ("1h30m", 5400.0), ("500ms", 0.5), ("1.5h", 5400.0), (45, 45.0)],
)
def test_durations(text: object, seconds: float) -> None:
    assert parse_duration(text, source="s", key="k") == seconds


@pytest.mark.parametrize("text", ["5x", "", "m5", "5m 3", "-5s", "0s", True, [1]])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_duration(
            text, source="config file 'x'", key="hubServer.authenticationByRequest.timeout"
        )
    assert str(raised.value).startswith(
        "config file 'x': hubServer.authenticationByRequest.timeout: "
    )


@pytest.mark.parametrize("text", ["127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", 8769, None])
def test_bad_addresses(text: object) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_address(text, origin="--grpc", source="command line", key="--grpc")
    assert "is not an address of the form HOST:PORT" in str(raised.value)


BAD_FILES = [
    (
        "nodes: {name: x}\n",
        "nodes: unknown key (allowed here: node, http, hubServer, grpcBridge, restApi, pipelines, networks, logs)",
    ),
    ("node: {nme: x}\n", "node.nme: unknown key (allowed here: name)"),
    ("node: [a, b]\n", "node: must be a mapping of keys (name), got a list"),
    ("node: {name: 12}\n", "node.name: must be text, got int 12"),
    ("grpcBridge: {address: 10564}\n", "grpcBridge.address: 10564 is not an address"),
    (
        "http: {address: 127.0.0.1:1}\nhubServer: {authenticationByRequest: {timeout: 5 minutes}}\n",
        "hubServer.authenticationByRequest.timeout: '5 minutes' is not a duration",
    ),
    ("hubServer: {}\n", "http.address: is required when hubServer is set"),
    ("pipelines: {enabled: yes please}\n", "pipelines.enabled: must be true or false"),
    (
        "logs: {maxFileBytes: 100}\n",
        "logs.maxFileBytes: must be a whole number from 4096 up, got int 100",
    ),
    ("logs: {files: 0}\n", "logs.files: must be a whole number from 1 to 100, got int 0"),
    ("logs: {keptRuns: lots}\n", "logs.keptRuns: must be a whole number from 0 up, got str 'lots'"),
    ("logs: {size: 1}\n", "logs.size: unknown key (allowed here: maxFileBytes, files, keptRuns)"),
    ("- just\n- a list\n", "(top level): must be a mapping of keys"),
    ("node: {name: [unclosed\n", "(file): not valid YAML at line 2, column 1"),
]


@pytest.mark.parametrize(("text", "message"), BAD_FILES)
def test_bad_files_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_config_file(path)
    assert str(raised.value).startswith(f"config file '{path}': {message}")
    assert "\n" not in str(raised.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"config file '.*nope.yaml': \(file\): no such file"):
        load_config_file(tmp_path / "nope.yaml")


def test_directory_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\(file\): is a directory"):
        load_config_file(tmp_path)


def test_unreadable_bytes(tmp_path: Path) -> None:
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match=r"\(file\): cannot read"):
        load_config_file(path)


def test_log_keys_set_rotation_and_pruning(tmp_path: Path) -> None:
    path = write(tmp_path, "logs: {maxFileBytes: 65536, files: 2, keptRuns: 7}\n")
    config = load_config_file(path)
    assert (config.log_rotation.max_bytes, config.log_rotation.backups) == (65536, 2)
    assert config.kept_runs == 7
