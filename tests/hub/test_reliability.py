"""Crashes, restarts, suspension and hostile input: the cluster heals without an operator."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from nanoping.api import hub_node_pb2
from nanoping.internal import join_pb2, link_pb2
from nanoping.link import LINK_PROTOCOL_VERSION
from nanoping.link.batch import pack, unpack
from nanoping.testing.cluster import (
    HUB_CLIENT,
    HUB_SERVER,
    hub_url,
    join,
    start_controller,
    wait_until,
)
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi


def members(api: ReferenceApi, controller: NodeProcess) -> dict[str, bool]:
    with grpc.insecure_channel(controller.grpc_address) as channel:
        reply = api.call(channel, HUB_SERVER + "getNodes", api.request(HUB_SERVER + "getNodes"))
    return {node.id: node.online for node in reply.nodes}


def connection_state(api: ReferenceApi, node: NodeProcess) -> int:
    path = HUB_CLIENT + "streamConnectionState"
    with grpc.insecure_channel(node.grpc_address) as channel:
        stream = api.stream(channel, path, api.request(path))
        state: int = next(stream).state
        stream.cancel()
    return state


CONNECTED, DISCONNECTED = 2, 1


@pytest.fixture
def joined(
    tmp_path: Path, reference_api: ReferenceApi
) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    controller = start_controller(tmp_path, extra="  linkTimeout: 2s\n")
    client = NodeProcess(data_dir=tmp_path / "client-data").start()
    join(reference_api, controller, client)
    wait_until(
        lambda: members(reference_api, controller).get(client.node_id) is True, what="client online"
    )
    yield controller, client
    client.stop()
    controller.stop()


def restart_controller(tmp_path: Path, old: NodeProcess) -> NodeProcess:
    port = int(old.addresses["HTTP (hub server)"].rsplit(":", 1)[1])
    return start_controller(tmp_path, http_port=port, extra="  linkTimeout: 2s\n")


def test_client_killed_and_restarted_reconnects(
    tmp_path: Path, joined: tuple[NodeProcess, NodeProcess], reference_api: ReferenceApi
) -> None:
    controller, client = joined
    client.kill()
    wait_until(
        lambda: members(reference_api, controller)[client.node_id] is False, what="client offline"
    )
    restarted = NodeProcess(data_dir=tmp_path / "client-data").start()
    wait_until(
        lambda: members(reference_api, controller)[client.node_id] is True,
        what="client back online",
    )
    assert connection_state(reference_api, restarted) == CONNECTED
    restarted.stop()


def test_hub_killed_and_restarted_everything_reconnects(
    tmp_path: Path, joined: tuple[NodeProcess, NodeProcess], reference_api: ReferenceApi
) -> None:
    controller, client = joined
    controller.kill()
    wait_until(
        lambda: connection_state(reference_api, client) == DISCONNECTED, what="client disconnected"
    )
    restarted = restart_controller(tmp_path, controller)
    try:
        wait_until(
            lambda: members(reference_api, restarted).get(client.node_id) is True,
            timeout=30,
            what="client reconnected to the restarted hub",
        )
        assert restarted.node_id == controller.node_id
        assert connection_state(reference_api, client) == CONNECTED
    finally:
        restarted.stop()


def test_both_killed_and_restarted(
    tmp_path: Path, joined: tuple[NodeProcess, NodeProcess], reference_api: ReferenceApi
) -> None:
    controller, client = joined
    client.kill()
    controller.kill()
    hub = restart_controller(tmp_path, controller)
    node = NodeProcess(data_dir=tmp_path / "client-data").start()
    try:
        wait_until(
            lambda: members(reference_api, hub).get(client.node_id) is True,
            timeout=30,
            what="reconnect",
        )
    finally:
        node.stop()
        hub.stop()


def test_suspended_client_goes_offline_then_comes_back(
    joined: tuple[NodeProcess, NodeProcess], reference_api: ReferenceApi
) -> None:
    controller, client = joined
    client.signal(signal.SIGSTOP)
    try:
        wait_until(
            lambda: members(reference_api, controller)[client.node_id] is False,
            what="suspended client offline",
        )
    finally:
        client.signal(signal.SIGCONT)
    wait_until(
        lambda: members(reference_api, controller)[client.node_id] is True,
        timeout=30,
        what="resumed client online",
    )


def link_url(controller: NodeProcess) -> str:
    return hub_url(controller).replace("http://", "ws://") + "/hub/link"


def hello(node_id: str, credential: str) -> bytes:
    node = hub_node_pb2.Node(id=node_id, name="intruder")
    frame = link_pb2.Frame(
        hello=link_pb2.Hello(
            protocol_version=LINK_PROTOCOL_VERSION,
            credential=credential,
            node=node,
            call_window=8,
            max_message_size=1024,
        )
    )
    return pack([frame.SerializeToString()], limit=1 << 20)[0]


def received_bytes(websocket: Any) -> bytes:
    data = websocket.recv(timeout=10)
    assert isinstance(data, bytes)
    return data


def first_frame(websocket: Any) -> link_pb2.Frame:
    return link_pb2.Frame.FromString(unpack(received_bytes(websocket))[0])


def test_links_with_wrong_or_revoked_credentials_are_refused(
    joined: tuple[NodeProcess, NodeProcess], reference_api: ReferenceApi
) -> None:
    controller, client = joined
    for node_id, credential in [
        (client.node_id, "wrong"),
        (client.node_id, ""),
        ("no-such-node", "x"),
    ]:
        with connect(link_url(controller)) as websocket:
            websocket.send(hello(node_id, credential))
            refusal = first_frame(websocket).refusal
            assert refusal.code == link_pb2.REFUSAL_CODE_CREDENTIAL_REJECTED
    # Refusals are logged once per 10 s (a forged-credential flood must not flood the log);
    # each refusal was logged or held back before its Refusal frame was sent.
    logged = [line for line in controller.stderr_lines if "refused: unknown node" in line]
    assert len(logged) == 1
    assert members(reference_api, controller)[client.node_id] is True  # the real link is untouched


def read_until_closed(websocket: Any) -> None:
    while True:
        websocket.recv(timeout=10)


def send_until_closed(url: str, payload: bytes) -> None:
    with connect(url, max_size=None) as websocket:
        websocket.send(payload)
        read_until_closed(websocket)


@pytest.mark.parametrize(
    "payload",
    [b"\xff\xff\xff garbage", b"x" * (9 * 1024 * 1024)],
    ids=["malformed", "oversized"],
)
def test_bad_frames_close_only_that_link(
    joined: tuple[NodeProcess, NodeProcess], reference_api: ReferenceApi, payload: bytes
) -> None:
    controller, client = joined
    # Uncompressed, an oversized message may be cut off while it is still being sent.
    with pytest.raises((ConnectionClosed, ConnectionResetError)):
        send_until_closed(link_url(controller), payload)
    assert members(reference_api, controller)[client.node_id] is True


def test_join_requests_are_rate_limited_per_source(joined: tuple[NodeProcess, NodeProcess]) -> None:
    controller, _ = joined
    join_url = hub_url(controller).replace("http://", "ws://") + "/hub/join"
    codes = []
    for _ in range(15):
        with connect(join_url) as websocket:
            with contextlib.suppress(ConnectionClosed):  # a refusing hub may not read it
                websocket.send(join_pb2.JoinRequest(protocol_version=1).SerializeToString())
            answer = join_pb2.JoinAnswer.FromString(received_bytes(websocket))
            codes.append(answer.declined.status_code)
    # The burst is 10 per source and the fixture's own join used one.
    assert codes[:8] == [3] * 8  # INVALID_ARGUMENT: the request names no node
    assert codes[-4:] == [8] * 4  # RESOURCE_EXHAUSTED
