"""CallHeaders: the callee's "handler started" signal reaches the caller, over one hop or two."""

from __future__ import annotations

import pytest

from nanoping.internal.link_pb2 import CallHeaders, Frame
from nanoping.link import (
    CallEnded,
    CallStarted,
    HalfClosed,
    HeadersReceived,
    InvalidStateError,
    LinkPair,
    LinkState,
    MessageReceived,
    ProtocolViolated,
    encode_frame,
)

OK = 0


def opened_pair() -> LinkPair:
    pair = LinkPair()
    pair.handshake()
    return pair


def started_stream(pair: LinkPair) -> int:
    """A server stream from the node to the hub, its request sent; returns its id."""
    call_id = pair.node.start_call("/svc.S/watch", now=pair.now)
    pair.node.send_message(call_id, b"request")
    pair.node.half_close(call_id)
    pair.pump()
    pair.drain(pair.hub)
    pair.hub.consume(call_id)
    return call_id


def test_headers_reach_the_caller_before_any_message() -> None:
    pair = opened_pair()
    call_id = started_stream(pair)
    pair.hub.send_headers(call_id)
    pair.pump()
    assert pair.drain(pair.node) == [HeadersReceived(call_id=call_id)]
    pair.hub.send_headers(call_id)  # a second word adds nothing: nothing is sent
    assert pair.hub.data_to_send() == []
    pair.hub.send_message(call_id, b"event")
    pair.hub.end_call(call_id, OK)
    pair.pump()
    assert pair.drain(pair.node) == [
        MessageReceived(call_id=call_id, data=b"event"),
        CallEnded(call_id=call_id, code=OK, message=""),
    ]


def test_a_first_message_stands_for_the_headers() -> None:
    pair = opened_pair()
    call_id = started_stream(pair)
    pair.hub.send_message(call_id, b"event")
    pair.hub.send_headers(call_id)  # too late to matter: the message already said it
    assert len(pair.hub.data_to_send()) == 1


def test_headers_cross_a_relaying_hub() -> None:
    """API node -> hub -> target: the hub passes the target's headers back to the API node."""
    near, far = opened_pair(), opened_pair()  # near: API node <-> hub; far: hub <-> target
    inbound = near.node.start_call("/svc.S/watch", now=near.now, target_node_id="target")
    near.node.half_close(inbound)
    near.pump()
    assert near.drain(near.hub) == [
        CallStarted(call_id=inbound, method="/svc.S/watch", target_node_id="target", deadline=None),
        HalfClosed(call_id=inbound),
    ]
    outbound = far.hub.start_call("/svc.S/watch", now=far.now)
    far.hub.half_close(outbound)
    far.pump()
    far.drain(far.node)
    assert near.drain(near.node) == []  # nothing yet: the target has not started the handler
    far.node.send_headers(outbound)
    far.pump()
    assert far.drain(far.hub) == [HeadersReceived(call_id=outbound)]
    near.hub.send_headers(inbound)
    near.pump()
    assert near.drain(near.node) == [HeadersReceived(call_id=inbound)]


def test_only_the_callee_sends_headers() -> None:
    pair = opened_pair()
    call_id = started_stream(pair)
    with pytest.raises(InvalidStateError, match="only the callee sends headers"):
        pair.node.send_headers(call_id)
    pair.hub.end_call(call_id, OK)
    pair.hub.send_headers(call_id)  # the call is over: ignored
    pair.pump()
    assert pair.drain(pair.node) == [CallEnded(call_id=call_id, code=OK, message="")]


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        ("from the caller", "headers from the caller of call 1"),
        ("twice", "headers of call 1 after its headers or a message"),
        ("after a message", "headers of call 1 after its headers or a message"),
        ("never started", "headers for call 9, which was never started"),
    ],
)
def test_hostile_headers_close_the_link(setup: str, reason: str) -> None:
    pair = opened_pair()
    call_id = started_stream(pair)
    receiver = pair.node
    if setup == "from the caller":
        receiver = pair.hub
    elif setup == "twice":
        pair.hub.send_headers(call_id)
    elif setup == "after a message":
        pair.hub.send_message(call_id, b"event")
    elif setup == "never started":
        call_id = 9
    pair.pump()
    pair.drain(receiver)
    receiver.receive_bytes(encode_frame(Frame(call_headers=CallHeaders(call_id=call_id))), 0.0)
    events = pair.drain(receiver)
    assert events[-1] == ProtocolViolated(reason=reason)
    assert receiver.state is LinkState.CLOSED


def test_headers_of_a_finished_call_are_ignored() -> None:
    pair = opened_pair()
    call_id = started_stream(pair)
    pair.node.cancel_call(call_id)
    pair.node.receive_bytes(encode_frame(Frame(call_headers=CallHeaders(call_id=call_id))), 0.0)
    assert pair.drain(pair.node) == []
    assert pair.node.state is LinkState.OPEN
