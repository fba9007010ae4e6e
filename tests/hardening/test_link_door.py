"""The hub's link door on a real controller: forged links back off, members still get in."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import httpx
import pytest
import websockets
from websockets.sync.client import connect

from nanoping.api import hub_node_pb2, hub_server_pb2
from nanoping.internal import link_pb2
from nanoping.link import LINK_PROTOCOL_VERSION, encode_frame
from nanoping.link.batch import pack
from nanoping.testing.cluster import HUB_SERVER, hub_url, join, start_controller
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

ATTACKER = "127.0.0.9"
UPGRADE = (
    b"GET /hub/link HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def online(controller: NodeProcess, node_id: str) -> bool:
    with grpc.insecure_channel(controller.grpc_address) as channel:
        call = channel.unary_unary(
            HUB_SERVER + "getNodes",
            request_serializer=hub_server_pb2.GetNodesRequest.SerializeToString,
            response_deserializer=hub_server_pb2.GetNodesResponse.FromString,
        )
        nodes = call(hub_server_pb2.GetNodesRequest(), timeout=10).nodes
    return any(node.id == node_id and node.online for node in nodes)


def link_counts(controller: NodeProcess) -> dict[str, float]:
    text = httpx.get(hub_url(controller) + "/metrics", timeout=10).text
    prefix = 'nanoping_hub_links_total{outcome="'
    return {
        line[len(prefix) :].split('"', 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith(prefix)
    }


def forged_link(url: str, source: str = ATTACKER) -> str:
    """One link with a made-up id and credential: 'failed', or the refusal's status."""
    hello = link_pb2.Hello(
        protocol_version=LINK_PROTOCOL_VERSION,
        credential=uuid.uuid4().hex,
        node=hub_node_pb2.Node(id=str(uuid.uuid4())),
        call_window=8,
        max_message_size=1 << 20,
    )
    try:
        with connect(url, proxy=None, open_timeout=20, source_address=(source, 0)) as ws:
            ws.send(pack([encode_frame(link_pb2.Frame(hello=hello))], limit=1 << 20)[0])
            ws.recv(timeout=20)  # the hub's goodbye
    except websockets.InvalidStatus as refused:
        retry_after = int(refused.response.headers["Retry-After"])
        return f"{refused.response.status_code} retry after {'>=1' if retry_after >= 1 else 0}"
    except websockets.ConnectionClosed:
        pass
    return "failed"


class Attack:
    """Forged links from one address, one after another, until stopped."""

    def __init__(self, url: str) -> None:
        self.outcomes: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(url,), daemon=True)
        self._thread.start()

    def _run(self, url: str) -> None:
        while not self._stop.is_set():
            self.outcomes.append(forged_link(url))

    def stop(self) -> list[str]:
        self._stop.set()
        self._thread.join(30)
        return self.outcomes


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    links = "  links:\n    failuresPerSource: 3\n    failureBackoff: 30s\n"
    controller = start_controller(tmp_path, extra=links)
    member = NodeProcess(data_dir=tmp_path / "member-data")
    try:
        join(ReferenceApi(Path(__file__).parent.parent / "data" / "nanoping.fds"),
             controller, member.start())  # fmt: skip
        yield controller, member
    finally:
        member.stop()
        controller.stop()


def test_forged_links_back_off_before_upgrading_while_a_member_reconnects(
    cluster: tuple[NodeProcess, NodeProcess],
) -> None:
    controller, member = cluster
    member.stop()
    wait_for(lambda: not online(controller, member.node_id), "the member to go offline")
    attack = Attack(hub_url(controller).replace("http://", "ws://") + "/hub/link")
    try:
        wait_for(lambda: len(attack.outcomes) >= 10, "the attack to get under way")
        member.start()  # a legitimate member, from another address, during the burst
        wait_for(lambda: online(controller, member.node_id), "the member to reconnect")
    finally:
        outcomes = attack.stop()
    assert outcomes[:3] == ["failed"] * 3  # three failed authentications: the allowance
    assert set(outcomes[3:]) == {"429 retry after >=1"}  # then refused before any upgrade
    counts = link_counts(controller)
    assert counts["failed"] == 3
    assert counts["backing_off"] == len(outcomes) - 3
    assert counts["authenticated"] >= 2  # the join's first link and the reconnect


@pytest.fixture
def one_slot(tmp_path: Path) -> Iterator[NodeProcess]:
    controller = start_controller(tmp_path, extra="  links:\n    maxHandshakes: 1\n")
    yield controller
    controller.stop()


def upgrade(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port), timeout=20)
    sock.sendall(UPGRADE)
    return sock


def test_a_link_beyond_the_handshake_slots_waits_for_one_instead_of_being_refused(
    one_slot: NodeProcess,
) -> None:
    port = int(hub_url(one_slot).rsplit(":", 1)[1])
    holder = upgrade(port)
    assert holder.recv(4096).startswith(b"HTTP/1.1 101")  # holds the only slot (says no Hello)
    waiting = upgrade(port)
    waiting.settimeout(0.5)
    with pytest.raises(TimeoutError):
        waiting.recv(4096)  # neither upgraded nor refused: it waits its turn
    holder.close()  # the slot is free again
    waiting.settimeout(20)
    assert waiting.recv(4096).startswith(b"HTTP/1.1 101")
    waiting.close()
    wait_for(lambda: link_counts(one_slot).get("failed") == 2, "both links to count as failed")


def test_a_member_refused_at_the_door_retries_and_gets_in(tmp_path: Path) -> None:
    links = "  links:\n    failuresPerSource: 1\n    failureBackoff: 3s\n"
    controller = start_controller(tmp_path, extra=links)
    member = NodeProcess(data_dir=tmp_path / "member-data")
    try:
        api = ReferenceApi(Path(__file__).parent.parent / "data" / "nanoping.fds")
        join(api, controller, member.start())
        member.stop()
        url = hub_url(controller).replace("http://", "ws://") + "/hub/link"
        assert forged_link(url, source="127.0.0.1") == "failed"  # the member's address backs off
        member.start()
        wait_for(lambda: online(controller, member.node_id), "the member to get in")
        assert any("HTTP 429" in line for line in member.stderr_lines)  # it was refused first
    finally:
        member.stop()
        controller.stop()
