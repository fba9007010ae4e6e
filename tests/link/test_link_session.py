"""Session of the link: handshake, refusal, node updates, heartbeats, goodbye, protocol errors."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from nanoping.api.hub_node_pb2 import PIPELINES, Node
from nanoping.internal.link_pb2 import (
    REFUSAL_CODE_UNSUPPORTED_VERSION,
    CallCancel,
    CallEnd,
    CallHalfClose,
    CallMessage,
    CallStart,
    Frame,
    Hello,
)
from nanoping.link import (
    LINK_PROTOCOL_VERSION,
    CallCancelled,
    CallEnded,
    HeartbeatTimedOut,
    HelloReceived,
    HelloRefused,
    InvalidStateError,
    LinkClosed,
    LinkConfiguration,
    LinkConnection,
    LinkPair,
    LinkRole,
    LinkState,
    NodeUpdated,
    PeerSaidGoodbye,
    ProtocolViolated,
    Welcomed,
    decode_frame,
    encode_frame,
)


def opened_pair(
    *,
    node_configuration: LinkConfiguration | None = None,
    hub_configuration: LinkConfiguration | None = None,
) -> LinkPair:
    pair = LinkPair(node_configuration=node_configuration, hub_configuration=hub_configuration)
    pair.handshake()
    return pair


def sent_frames(connection: LinkConnection) -> list[Frame]:
    return [decode_frame(data, max_size=1 << 30) for data in connection.data_to_send()]


def test_handshake_opens_both_sides_and_exchanges_identities() -> None:
    pair = LinkPair()
    pair.node.send_hello(node=Node(id="n-1", name="edge", services=[PIPELINES]), credential="c-1")
    pair.pump()
    [hello] = pair.drain(pair.hub)
    assert isinstance(hello, HelloReceived)
    assert (hello.node.id, hello.node.name, list(hello.node.services)) == (
        "n-1",
        "edge",
        [PIPELINES],
    )
    assert hello.credential == "c-1"
    assert pair.hub.state is LinkState.HELLO_RECEIVED
    pair.hub.accept(hub_node_id="hub-1", now=pair.now)
    pair.pump()
    assert pair.drain(pair.node) == [Welcomed(hub_node_id="hub-1")]
    assert (pair.node.state, pair.hub.state) == (LinkState.OPEN, LinkState.OPEN)
    assert (pair.node.peer_node_id, pair.hub.peer_node_id) == ("hub-1", "n-1")


@pytest.mark.parametrize("rejected", [True, False])
def test_refused_hello_closes_both_sides(rejected: bool) -> None:
    pair = LinkPair()
    pair.node.send_hello(node=Node(id="n-1"), credential="wrong")
    pair.pump()
    pair.drain(pair.hub)
    pair.hub.refuse(reason="unknown credential", credential_rejected=rejected)
    pair.pump()
    assert pair.drain(pair.hub) == [LinkClosed(reason="refused the node: unknown credential")]
    assert pair.drain(pair.node) == [
        HelloRefused(reason="hub refused: unknown credential", credential_rejected=rejected)
    ]
    assert pair.node.state is LinkState.CLOSED
    assert pair.node.next_deadline() is None


@pytest.mark.parametrize("version", [LINK_PROTOCOL_VERSION - 1, LINK_PROTOCOL_VERSION + 1])
def test_hub_refuses_another_protocol_version(version: int) -> None:
    # The previous version lacks CallHeaders, so routed streams through it would never open.
    hub = LinkConnection(role=LinkRole.HUB, now=0.0)
    hello = Hello(protocol_version=version, node=Node(id="n"), call_window=1, max_message_size=1)
    hub.receive_bytes(encode_frame(Frame(hello=hello)), 0.0)
    reason = f"unsupported link protocol version {version} (hub: {LINK_PROTOCOL_VERSION})"
    assert hub.next_event() == ProtocolViolated(reason=reason)
    [refusal] = sent_frames(hub)
    assert refusal.refusal.code == REFUSAL_CODE_UNSUPPORTED_VERSION
    assert refusal.refusal.reason == reason


def test_session_methods_check_the_state() -> None:
    pair = LinkPair()
    with pytest.raises(InvalidStateError, match="cannot start a call: the link is new"):
        pair.node.start_call("/s/m", now=0.0)
    with pytest.raises(InvalidStateError, match="send_hello is only for a new node-side link"):
        pair.hub.send_hello(node=Node(id="h"), credential="")
    with pytest.raises(InvalidStateError, match="accept is only for a hub-side link"):
        pair.hub.accept(hub_node_id="h", now=0.0)


def test_node_update_reaches_the_hub() -> None:
    pair = opened_pair()
    pair.node.update_node(Node(id="node-1", name="renamed"))
    pair.pump()
    [event] = pair.drain(pair.hub)
    assert isinstance(event, NodeUpdated)
    assert event.node.name == "renamed"


def test_node_update_may_not_change_the_node_id() -> None:
    pair = opened_pair()
    pair.node.update_node(Node(id="someone-else"))
    pair.pump()
    assert pair.drain(pair.hub) == [
        ProtocolViolated(reason="node update changes the node id from 'node-1' to 'someone-else'")
    ]


def test_heartbeats_keep_a_healthy_link_open_and_measure_rtt() -> None:
    pair = opened_pair()
    pair.advance(600.0)
    assert (pair.node.state, pair.hub.state) == (LinkState.OPEN, LinkState.OPEN)
    assert pair.node.rtt == 0.0
    assert pair.hub.rtt is None  # the node pings; the hub only answers (see below)


def test_the_hub_pings_only_a_node_it_has_not_heard_from() -> None:
    """Halves the heartbeat frames the hub handles per member: the node pings, the hub pongs."""
    pair = opened_pair()
    hub_sent: list[str] = []
    for _ in range(120):  # 60 s in half-second steps
        pair.now += 0.5
        pair.node.handle_timer(pair.now)
        pair.hub.handle_timer(pair.now)
        for data in pair.hub.data_to_send():
            pair.node.receive_bytes(data, pair.now)
            hub_sent.append(str(decode_frame(data, max_size=1 << 20).WhichOneof("kind")))
        for data in pair.node.data_to_send():
            pair.hub.receive_bytes(data, pair.now)
    assert set(hub_sent) == {"pong"}
    assert len(hub_sent) == 11  # a pong per node ping at 5, 10, ..., 55 s (60 s: still queued)
    silent = opened_pair()
    silent.hub.handle_timer(silent.now + 5.0)
    assert silent.hub.data_to_send() == []
    silent.hub.handle_timer(silent.now + 10.0)  # nothing heard from the node for 1.5 intervals
    assert [
        decode_frame(d, max_size=1 << 20).WhichOneof("kind") for d in silent.hub.data_to_send()
    ] == ["ping"]


def test_heartbeat_timeout_fires_exactly_after_the_configured_time() -> None:
    config = LinkConfiguration(heartbeat_interval=2.0, heartbeat_timeout=7.0)
    pair = opened_pair(node_configuration=config)
    call_id = pair.node.start_call("/s/m", now=pair.now)
    # From now on nothing reaches the node: the hub went silent.
    for ping_time in (2.0, 4.0, 6.0):
        assert pair.node.next_deadline() == ping_time
        pair.node.handle_timer(ping_time)
    assert pair.node.next_deadline() == 7.0
    pair.node.handle_timer(6.999)
    assert pair.node.next_event() is None
    pair.node.handle_timer(7.0)
    reason = "nothing received from the peer for 7 s"
    assert pair.drain(pair.node) == [
        CallEnded(call_id=call_id, code=14, message=f"link closed: {reason}"),
        HeartbeatTimedOut(reason=reason),
    ]
    assert sent_frames(pair.node)[-1].goodbye.reason == reason
    assert pair.node.next_deadline() is None


def test_hub_times_out_a_node_that_never_says_hello() -> None:
    hub = LinkConnection(role=LinkRole.HUB, now=50.0)
    assert hub.next_deadline() == 55.0  # the handshake deadline, not the heartbeat's
    hub.handle_timer(55.0)
    assert isinstance(hub.next_event(), HeartbeatTimedOut)


def test_goodbye_ends_open_calls_on_both_sides() -> None:
    pair = opened_pair()
    from_node = pair.node.start_call("/s/m", now=pair.now)
    from_hub = pair.hub.start_call("/s/m", now=pair.now)
    pair.pump()
    pair.drain(pair.node)
    pair.drain(pair.hub)
    pair.node.say_goodbye("shutting down")
    pair.pump()
    assert pair.drain(pair.node) == [
        CallEnded(call_id=from_node, code=14, message="link closed: said goodbye: shutting down"),
        CallCancelled(call_id=from_hub),
        LinkClosed(reason="said goodbye: shutting down"),
    ]
    assert pair.drain(pair.hub) == [
        CallCancelled(call_id=from_node),
        CallEnded(
            call_id=from_hub, code=14, message="link closed: peer said goodbye: shutting down"
        ),
        PeerSaidGoodbye(reason="peer said goodbye: shutting down"),
    ]


def test_connection_lost_ends_calls_without_sending() -> None:
    pair = opened_pair()
    call_id = pair.node.start_call("/s/m", now=pair.now)
    pair.node.data_to_send()
    pair.node.connection_lost("socket reset")
    assert pair.node.data_to_send() == []
    assert pair.drain(pair.node) == [
        CallEnded(call_id=call_id, code=14, message="link closed: socket reset"),
        LinkClosed(reason="socket reset"),
    ]


def violation_after(pair: LinkPair, data: bytes) -> str:
    """Feed raw bytes to the open hub side and return the reason it closed with."""
    pair.hub.receive_bytes(data, pair.now)
    events = pair.drain(pair.hub)
    assert isinstance(events[-1], ProtocolViolated)
    assert pair.hub.state is LinkState.CLOSED
    assert sent_frames(pair.hub)[-1].goodbye.reason == events[-1].reason
    return events[-1].reason


def start(call_id: int) -> bytes:
    return encode_frame(Frame(call_start=CallStart(call_id=call_id, method="/s/m")))


def message(call_id: int, data: bytes = b"x") -> bytes:
    return encode_frame(Frame(call_message=CallMessage(call_id=call_id, data=data)))


def half_close(call_id: int) -> bytes:
    return encode_frame(Frame(call_half_close=CallHalfClose(call_id=call_id)))


def end(call_id: int) -> bytes:
    return encode_frame(Frame(call_end=CallEnd(call_id=call_id)))


def test_frames_only_the_caller_may_send_are_refused_from_the_callee() -> None:
    pair = opened_pair()
    call_id = pair.hub.start_call("/s/m", now=pair.now)
    pair.hub.data_to_send()
    cancel = encode_frame(Frame(call_cancel=CallCancel(call_id=call_id)))
    assert violation_after(pair, cancel) == "cancel from the callee of call 2"


def test_malformed_frame_closes_the_link_with_the_reason() -> None:
    pair = opened_pair()
    reason = violation_after(pair, b"\xff\xff\xff")
    assert reason.startswith("malformed frame of 3 bytes: ")
    pair.hub.receive_bytes(start(1), pair.now)
    assert pair.hub.next_event() is None  # a closed link ignores further input


def test_oversized_frame_closes_the_link_with_the_reason() -> None:
    config = LinkConfiguration(max_message_size=100, max_frame_size=200)
    pair = opened_pair(hub_configuration=config)
    reason = violation_after(pair, bytes(201))
    assert reason == "frame of 201 bytes exceeds the limit of 200 bytes"


@pytest.mark.parametrize(
    ("frames", "reason"),
    [
        pytest.param(
            [message(9)],
            "message for call 9, which was never started",
            id="never-started-peer-id",
        ),
        pytest.param(
            [message(4)],
            "message for call 4, which was never started",
            id="never-started-own-id",
        ),
        pytest.param(
            [start(2)],
            "call start with id 2: the peer's next id must be above 0 and odd",
            id="wrong-parity",
        ),
        pytest.param(
            [start(5), start(3)],
            "call start with id 3: the peer's next id must be above 5 and odd",
            id="id-going-back",
        ),
        pytest.param(
            [start(1), message(1, bytes(101))],
            "message of 101 bytes on call 1 exceeds the limit of 100 bytes",
            id="message-too-large",
        ),
        pytest.param(
            [start(1), half_close(1), message(1)],
            "message on call 1 after the caller half-closed",
            id="message-after-half-close",
        ),
        pytest.param(
            [start(1), end(1)],
            "end from the caller of call 1",
            id="end-from-caller",
        ),
        pytest.param(
            [start(1)] + [message(1)] * 5,
            "message on call 1 without flow-control credit",
            id="beyond-credit",
        ),
    ],
)
def test_out_of_place_call_frames_close_the_link(frames: list[bytes], reason: str) -> None:
    config = LinkConfiguration(call_window=4, max_message_size=100, max_frame_size=200)
    pair = opened_pair(hub_configuration=config)
    for data in frames[:-1]:
        pair.hub.receive_bytes(data, pair.now)
    assert violation_after(pair, frames[-1]) == reason


def test_call_frame_before_welcome_is_a_violation() -> None:
    pair = LinkPair()
    pair.node.send_hello(node=Node(id="n"), credential="c")
    pair.pump()
    pair.drain(pair.hub)
    reason = violation_after(pair, start(1))
    assert reason == "call_start frame before the session is open"


def test_frame_of_an_unknown_kind_is_ignored() -> None:
    pair = opened_pair()
    pair.hub.receive_bytes(b"\xa2\x06\x00", pair.now)  # field 100, from a newer peer
    assert pair.hub.next_event() is None
    assert pair.hub.state is LinkState.OPEN


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: LinkConfiguration(call_window=0), "call_window must be positive, got 0"),
        (
            lambda: LinkConfiguration(heartbeat_interval=20.0),
            "heartbeat_timeout (15.0) must be longer than heartbeat_interval (20.0)",
        ),
        (
            lambda: LinkConfiguration(max_frame_size=4 * 1024 * 1024),
            "max_frame_size must exceed max_message_size by at least 32 bytes",
        ),
        (lambda: LinkConfiguration(call_window=2**32), "call_window must fit in 32 bits"),
    ],
)
def test_configuration_is_validated(build: Callable[[], LinkConfiguration], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"link configuration: {message}")):
        build()
