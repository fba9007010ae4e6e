"""Connection limits on the hub's HTTP port: per listener, per source, and a request-head deadline."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from nanoping.api import hub_server_pb2
from nanoping.testing.cluster import HUB_SERVER, controller_config
from nanoping.testing.node_process import NodeProcess

LIMITS = "  maxConnections: 12\n  maxConnectionsPerSource: 5\n  headerTimeout: 3s\n"


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[NodeProcess]:
    config = controller_config(tmp_path)
    config.write_text(
        config.read_text().replace("address: 127.0.0.1:0\n", "address: 127.0.0.1:0\n" + LIMITS, 1)
    )
    node = NodeProcess(
        data_dir=tmp_path / "controller-data", global_args=["-c", str(config)], up_args=()
    ).start()
    yield node
    node.stop()


def open_from(source: str, port: int, count: int) -> list[socket.socket]:
    sockets = []
    for _ in range(count):
        sock = socket.socket()
        sock.bind((source, 0))
        sock.settimeout(20)
        sock.connect(("127.0.0.1", port))
        sockets.append(sock)
    return sockets


def fate(sock: socket.socket) -> str:
    """'refused' (a 503 at once) or 'timed out' (closed, silent, after the head deadline)."""
    data = sock.recv(4096)
    sock.close()
    if data.startswith(b"HTTP/1.1 503"):
        return "refused"
    assert data == b"", data
    return "timed out"


def get_nodes(node: NodeProcess) -> int:
    with grpc.insecure_channel(node.grpc_address) as channel:
        call = channel.unary_unary(
            HUB_SERVER + "getNodes",
            request_serializer=hub_server_pb2.GetNodesRequest.SerializeToString,
            response_deserializer=hub_server_pb2.GetNodesResponse.FromString,
        )
        return len(call(hub_server_pb2.GetNodesRequest(), timeout=10).nodes)


def test_idle_connections_are_limited_per_source_and_listener_and_time_out(
    hub: NodeProcess,
) -> None:
    """Defect 3: idle connections were never closed and had no limit; ~1,100 starved gRPC."""
    port = int(hub.addresses["HTTP (hub server)"].rsplit(":", 1)[1])
    first = open_from("127.0.0.1", port, 7)
    second = open_from("127.0.0.2", port, 5)
    third = open_from("127.0.0.3", port, 5)
    assert get_nodes(hub) == 1  # gRPC serves while the HTTP port is full
    fates = [[fate(sock) for sock in group] for group in (first, second, third)]
    assert fates[0] == ["timed out"] * 5 + ["refused"] * 2  # 5 per source
    assert fates[1] == ["timed out"] * 5
    assert fates[2] == ["timed out"] * 2 + ["refused"] * 3  # 12 in all


def test_a_slow_request_head_is_cut_off(hub: NodeProcess) -> None:
    port = int(hub.addresses["HTTP (hub server)"].rsplit(":", 1)[1])
    [slow] = open_from("127.0.0.1", port, 1)
    slow.sendall(b"GET /hub/join HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # never finished
    assert fate(slow) == "timed out"
    [prompt] = open_from("127.0.0.1", port, 1)
    prompt.sendall(b"GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    assert prompt.recv(4096).startswith(b"HTTP/1.1 404")
    prompt.close()
