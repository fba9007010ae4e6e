"""Hostile input at a real controller and a real member: each reproduces one reported defect."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from websockets.sync.client import connect

from nanoping.api import hub_client_pb2, hub_node_pb2, hub_server_pb2
from nanoping.internal import join_pb2, link_pb2
from nanoping.limits import MAX_METADATA_ITEMS
from nanoping.link import LINK_PROTOCOL_VERSION, decode_frame, encode_frame
from nanoping.link.batch import pack, unpack
from nanoping.testing.cluster import HUB_CLIENT, HUB_SERVER, hub_url, join, start_controller
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

INVALID, NOT_FOUND, EXISTS = (
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS,
)


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    tmp_path = tmp_path_factory.mktemp("doors")
    controller = start_controller(tmp_path)
    member = NodeProcess(data_dir=tmp_path / "member-data").start()
    try:
        join(
            ReferenceApi(Path(__file__).parent.parent / "data" / "nanoping.fds"), controller, member
        )
        yield controller, member
    finally:
        member.stop()
        controller.stop()


def raw_call(address: str, path: str, data: bytes, *, stream: str = "unary") -> grpc.RpcError:
    identity = lambda b: b  # noqa: E731 - bytes in, bytes out
    with grpc.insecure_channel(address) as channel:
        if stream == "unary":
            call = channel.unary_unary(
                path, request_serializer=identity, response_deserializer=identity
            )
            with pytest.raises(grpc.RpcError) as raised:
                call(data, timeout=10)
        elif stream == "server":
            responses = channel.unary_stream(
                path, request_serializer=identity, response_deserializer=identity
            )(data, timeout=10)
            with pytest.raises(grpc.RpcError) as raised:
                list(responses)
        else:
            responses = channel.stream_stream(
                path, request_serializer=identity, response_deserializer=identity
            )(iter([data]), timeout=10)
            with pytest.raises(grpc.RpcError) as raised:
                list(responses)
    return raised.value


@pytest.mark.parametrize(
    ("path", "stream"),
    [
        (HUB_CLIENT + "getNode", "unary"),
        (HUB_SERVER + "streamNodes", "server"),
        (HUB_SERVER + "authenticationByRequests", "bidi"),
    ],
)
def test_undecodable_grpc_requests_are_invalid_argument_without_a_traceback(
    cluster: tuple[NodeProcess, NodeProcess], path: str, stream: str
) -> None:
    """Defect 8: was UNKNOWN naming a Python class (INTERNAL on the bidi), with a traceback."""
    controller, _ = cluster
    for _ in range(5):
        error = raw_call(controller.grpc_address, path, b"\xff", stream=stream)
        assert error.code() is INVALID
        assert "malformed request" in (error.details() or "")
    log = "\n".join(controller.stderr_lines)
    assert "Traceback" not in log
    assert sum(path in line and "malformed" in line for line in controller.stderr_lines) == 1


def test_a_huge_or_control_character_id_is_quoted_short(
    cluster: tuple[NodeProcess, NodeProcess],
) -> None:
    """Defect 11: a 64 KB id came back whole (RESOURCE_EXHAUSTED 'Stream removed')."""
    controller, _ = cluster
    with grpc.insecure_channel(controller.grpc_address) as channel:
        get_node = channel.unary_unary(
            HUB_CLIENT + "getNode",
            request_serializer=hub_client_pb2.GetNodeRequest.SerializeToString,
            response_deserializer=hub_client_pb2.GetNodeResponse.FromString,
        )
        with pytest.raises(grpc.RpcError) as raised:
            get_node(hub_client_pb2.GetNodeRequest(node_id="x" * 65536), timeout=10)
        assert raised.value.code() is NOT_FOUND
        details = raised.value.details() or ""
        assert len(details) < 200
        assert "(65536 characters)" in details
        with pytest.raises(grpc.RpcError) as raised:
            get_node(hub_client_pb2.GetNodeRequest(node_id="a\x00b\nc"), timeout=10)
        assert "'a\\x00b\\nc'" in (raised.value.details() or "")


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("http://[::1", "Invalid IPv6 URL"),
        ("http://" + "a" * 300 + ":8769", "invalid host name"),
        ("http://" + ".".join(["abcdefgh"] * 40), "longer than 253"),
    ],
)
def test_bad_hub_addresses_are_invalid_argument(
    cluster: tuple[NodeProcess, NodeProcess], address: str, problem: str, tmp_path: Path
) -> None:
    """Defect 9: these answered INTERNAL (urlsplit's and IDNA's exceptions)."""
    with (
        NodeProcess(data_dir=tmp_path / "loner") as loner,
        grpc.insecure_channel(loner.grpc_address) as channel,
    ):
        call = channel.unary_unary(
            HUB_CLIENT + "authenticateByRequest",
            request_serializer=hub_client_pb2.AuthenticateByRequestRequest.SerializeToString,
            response_deserializer=hub_client_pb2.AuthenticateByRequestResponse.FromString,
        )
        with pytest.raises(grpc.RpcError) as raised:
            call(
                hub_client_pb2.AuthenticateByRequestRequest(hub_server_address=address), timeout=10
            )
    assert raised.value.code() is INVALID
    assert problem in (raised.value.details() or "")


def raw_join(controller: NodeProcess, data: bytes) -> join_pb2.JoinDeclined:
    url = hub_url(controller).replace("http://", "ws://") + "/hub/join"
    with connect(url, max_size=None, proxy=None) as websocket:
        websocket.send(data)
        answer = join_pb2.JoinAnswer.FromString(websocket.recv(timeout=10))  # type: ignore[arg-type]
    assert answer.WhichOneof("outcome") == "declined"
    return answer.declined


def join_request(node: hub_node_pb2.Node) -> bytes:
    return join_pb2.JoinRequest(protocol_version=1, node=node).SerializeToString()


def test_oversized_join_requests_are_refused_at_the_hub(
    cluster: tuple[NodeProcess, NodeProcess],
) -> None:
    """Defect 4: an 8 MB join request was passed to the approvers, killing them."""
    controller, _ = cluster
    big_name = raw_join(controller, join_request(hub_node_pb2.Node(id="n-big", name="x" * 300)))
    assert big_name.status_code == INVALID.value[0]
    assert "longer than 256 characters" in big_name.message
    huge = raw_join(controller, join_request(hub_node_pb2.Node(id="n-huge", name="x" * 200_000)))
    assert huge.status_code == INVALID.value[0]
    assert "exceeds the limit of 65536 bytes" in huge.message


def test_joins_under_a_taken_id_are_refused(cluster: tuple[NodeProcess, NodeProcess]) -> None:
    """Defect 5: a join under the hub's id, or a member's, was admitted."""
    controller, member = cluster
    as_hub = raw_join(controller, join_request(hub_node_pb2.Node(id=controller.node_id)))
    assert as_hub.status_code == EXISTS.value[0]
    assert "is the id of the hub node itself" in as_hub.message
    as_member = raw_join(controller, join_request(hub_node_pb2.Node(id=member.node_id)))
    assert as_member.status_code == EXISTS.value[0]
    assert "remove the old membership first (removeNode)" in as_member.message


def too_much_metadata() -> hub_node_pb2.NodeMetadata:
    metadata = hub_node_pb2.NodeMetadata()
    for index in range(MAX_METADATA_ITEMS + 1):
        metadata.items[f"k{index}"].string_value = "v"
    return metadata


def test_set_node_over_the_metadata_limits_changes_nothing(
    cluster: tuple[NodeProcess, NodeProcess],
) -> None:
    """Defect 6: no limit; above 4 MB getNodes failed for everyone, the change was committed."""
    _, member = cluster
    with grpc.insecure_channel(member.grpc_address) as channel:
        set_node = channel.unary_unary(
            HUB_CLIENT + "setNode",
            request_serializer=hub_client_pb2.SetNodeRequest.SerializeToString,
            response_deserializer=hub_client_pb2.SetNodeResponse.FromString,
        )
        get_node = channel.unary_unary(
            HUB_CLIENT + "getNode",
            request_serializer=hub_client_pb2.GetNodeRequest.SerializeToString,
            response_deserializer=hub_client_pb2.GetNodeResponse.FromString,
        )
        before = get_node(hub_client_pb2.GetNodeRequest(), timeout=10).node
        long_value = hub_node_pb2.NodeMetadata()
        long_value.items["k"].string_value = "v" * 5000
        for metadata, problem in [
            (too_much_metadata(), f"at most {MAX_METADATA_ITEMS} are allowed"),
            (long_value, "metadata item 'k'"),
        ]:
            with pytest.raises(grpc.RpcError) as raised:
                set_node(hub_client_pb2.SetNodeRequest(name="n", metadata=metadata), timeout=10)
            assert raised.value.code() is INVALID
            assert problem in (raised.value.details() or "")
        assert get_node(hub_client_pb2.GetNodeRequest(), timeout=10).node == before


def test_a_hello_over_the_metadata_limits_is_refused(
    cluster: tuple[NodeProcess, NodeProcess],
) -> None:
    """Defect 6, on the link: the same limits hold for what a member says in its Hello."""
    controller, member = cluster
    database = sqlite3.connect(
        Path(member.command[member.command.index("--data-dir") + 1]) / "node.sqlite3"
    )
    [(credential,)] = database.execute("SELECT credential FROM hub_membership").fetchall()
    database.close()
    node = hub_node_pb2.Node(id=member.node_id, name="member", metadata=too_much_metadata())
    hello = link_pb2.Hello(
        protocol_version=LINK_PROTOCOL_VERSION,
        credential=credential,
        node=node,
        call_window=8,
        max_message_size=1 << 20,
    )
    url = hub_url(controller).replace("http://", "ws://") + "/hub/link"
    with connect(url, proxy=None) as websocket:
        websocket.send(pack([encode_frame(link_pb2.Frame(hello=hello))], limit=1 << 20)[0])
        [reply] = unpack(websocket.recv(timeout=10))  # type: ignore[arg-type]
    refusal = decode_frame(reply, max_size=1 << 20).refusal
    assert f"at most {MAX_METADATA_ITEMS} are allowed" in refusal.reason
    with grpc.insecure_channel(controller.grpc_address) as channel:
        get_nodes = channel.unary_unary(
            HUB_SERVER + "getNodes",
            request_serializer=hub_server_pb2.GetNodesRequest.SerializeToString,
            response_deserializer=hub_server_pb2.GetNodesResponse.FromString,
        )
        nodes = get_nodes(hub_server_pb2.GetNodesRequest(), timeout=10).nodes
    [stored] = [n for n in nodes if n.id == member.node_id]
    assert len(stored.metadata.items) == 0
