"""Calls over two back-to-back link connections: unary, streams, bidi, cancel, deadlines, credit."""

from __future__ import annotations

import pytest

from nanoping.internal.link_pb2 import CallCancel, CallEnd, CallMessage, Frame
from nanoping.link import (
    CallCancelled,
    CallEnded,
    CallStarted,
    CreditAvailable,
    HalfClosed,
    InvalidStateError,
    LinkConfiguration,
    LinkConnection,
    LinkEvent,
    LinkPair,
    LinkState,
    MessageReceived,
    MessageTooLargeError,
    NoCreditError,
    UnknownCallError,
    encode_frame,
)

OK = 0
CANCELLED_BY_DEADLINE = 4
RESOURCE_EXHAUSTED = 8


def opened_pair(
    *,
    node_configuration: LinkConfiguration | None = None,
    hub_configuration: LinkConfiguration | None = None,
) -> LinkPair:
    pair = LinkPair(node_configuration=node_configuration, hub_configuration=hub_configuration)
    pair.handshake()
    return pair


def messages_of(events: list[LinkEvent], call_id: int) -> list[bytes]:
    return [e.data for e in events if isinstance(e, MessageReceived) and e.call_id == call_id]


def send_while_credit(connection: LinkConnection, call_id: int, queue: list[bytes]) -> int:
    """Send from the front of ``queue`` while the call has credit; returns how many went."""
    sent = 0
    while queue and connection.send_credit(call_id) > 0:
        connection.send_message(call_id, queue.pop(0))
        sent += 1
    return sent


def run_unary(pair: LinkPair, caller: LinkConnection, callee: LinkConnection) -> int:
    """One complete unary call from ``caller`` to ``callee``; returns its id."""
    call_id = caller.start_call("/svc.S/echo", now=pair.now, target_node_id="t")
    caller.send_message(call_id, b"ping")
    caller.half_close(call_id)
    pair.pump()
    assert pair.drain(callee) == [
        CallStarted(call_id=call_id, method="/svc.S/echo", target_node_id="t", deadline=None),
        MessageReceived(call_id=call_id, data=b"ping"),
        HalfClosed(call_id=call_id),
    ]
    callee.consume(call_id)
    callee.send_message(call_id, b"pong")
    callee.end_call(call_id, OK)
    pair.pump()
    assert pair.drain(caller) == [
        MessageReceived(call_id=call_id, data=b"pong"),
        CallEnded(call_id=call_id, code=OK, message=""),
    ]
    return call_id


def test_unary_call_from_node_to_hub() -> None:
    pair = opened_pair()
    assert run_unary(pair, pair.node, pair.hub) == 1


def test_unary_calls_both_ways_use_disjoint_ids() -> None:
    pair = opened_pair()
    ids = [run_unary(pair, pair.hub, pair.node), run_unary(pair, pair.node, pair.hub)]
    ids += [run_unary(pair, pair.hub, pair.node), run_unary(pair, pair.node, pair.hub)]
    assert ids == [2, 1, 4, 3]


def test_slow_stream_is_held_back_by_flow_control_without_blocking_other_calls() -> None:
    pair = opened_pair()
    window = pair.node.configuration.call_window
    stream = pair.node.start_call("/svc.S/watch", now=pair.now)
    pair.node.half_close(stream)
    pair.pump()
    pair.drain(pair.hub)
    outbox = [f"item {i}".encode() for i in range(1000)]

    # The hub streams as fast as credit allows; nobody reads at the node yet.
    assert send_while_credit(pair.hub, stream, outbox) == window
    with pytest.raises(NoCreditError, match="call 1: no send credit"):
        pair.hub.send_message(stream, b"one more")
    pair.pump()
    received = messages_of(pair.drain(pair.node), stream)
    assert len(received) == window

    # A second call completes while the stream is stuck.
    run_unary(pair, pair.node, pair.hub)

    # The node now consumes one message per round; the hub refills on CreditAvailable.
    held = list(received)
    ended: list[LinkEvent] = []
    unary_mid_stream = False
    while held:
        pair.node.consume(stream)
        held.pop(0)
        pair.pump()
        for event in pair.drain(pair.hub):
            assert event == CreditAvailable(call_id=stream, credit=window // 2)
            send_while_credit(pair.hub, stream, outbox)
            if not outbox:
                pair.hub.end_call(stream, OK)
        pair.pump()
        events = pair.drain(pair.node)
        fresh = messages_of(events, stream)
        received += fresh
        held += fresh
        ended += [e for e in events if isinstance(e, CallEnded)]
        assert len(held) <= window  # the receiver never holds more than one window
        if len(received) >= 500 and not unary_mid_stream:
            run_unary(pair, pair.hub, pair.node)  # still unhindered mid-stream
            unary_mid_stream = True

    assert received == [f"item {i}".encode() for i in range(1000)]
    assert ended == [CallEnded(call_id=stream, code=OK, message="")]
    assert unary_mid_stream


def test_credit_is_granted_back_in_half_window_batches() -> None:
    config = LinkConfiguration(call_window=4)
    pair = opened_pair(node_configuration=config, hub_configuration=config)
    call_id = pair.node.start_call("/svc.S/upload", now=pair.now)
    outbox = [b"a", b"b", b"c", b"d", b"e"]
    assert send_while_credit(pair.node, call_id, outbox) == 4
    pair.pump()
    assert len(messages_of(pair.drain(pair.hub), call_id)) == 4
    pair.hub.consume(call_id)
    assert pair.hub.data_to_send() == []  # one consumed message is below half a window
    pair.hub.consume(call_id)
    pair.pump()
    assert pair.drain(pair.node) == [CreditAvailable(call_id=call_id, credit=2)]
    with pytest.raises(InvalidStateError, match="cannot consume 3 of 2 received messages"):
        pair.hub.consume(call_id, 3)


def test_bidi_call_with_half_close_then_end() -> None:
    pair = opened_pair()
    call_id = pair.hub.start_call("/svc.S/chat", now=pair.now)
    pair.pump()
    assert isinstance(pair.drain(pair.node)[0], CallStarted)
    for word in (b"one", b"two", b"three"):
        pair.hub.send_message(call_id, word)
        pair.pump()
        [message] = pair.drain(pair.node)
        assert message == MessageReceived(call_id=call_id, data=word)
        pair.node.consume(call_id)
        pair.node.send_message(call_id, word.upper())
        pair.pump()
        assert messages_of(pair.drain(pair.hub), call_id) == [word.upper()]
        pair.hub.consume(call_id)

    pair.hub.half_close(call_id)  # the caller is done sending ...
    with pytest.raises(InvalidStateError, match="cannot send after half-close"):
        pair.hub.send_message(call_id, b"late")
    pair.pump()
    assert pair.drain(pair.node) == [HalfClosed(call_id=call_id)]
    pair.node.send_message(call_id, b"summary")  # ... the callee still sends, then closes
    pair.node.end_call(call_id, OK)
    pair.pump()
    assert pair.drain(pair.hub) == [
        MessageReceived(call_id=call_id, data=b"summary"),
        CallEnded(call_id=call_id, code=OK, message=""),
    ]


def test_callee_may_end_before_the_caller_half_closes() -> None:
    pair = opened_pair()
    call_id = pair.node.start_call("/svc.S/chat", now=pair.now)
    pair.pump()
    pair.drain(pair.hub)
    pair.hub.end_call(call_id, 3, "bad request")
    pair.node.send_message(call_id, b"crossing on the wire")
    pair.pump()
    assert pair.drain(pair.node) == [CallEnded(call_id=call_id, code=3, message="bad request")]
    assert pair.drain(pair.hub) == []  # the late message of the ended call is dropped
    with pytest.raises(UnknownCallError, match="call 1: no open call has this id"):
        pair.node.send_message(call_id, b"after the end")


def test_only_the_caller_half_closes_and_cancels_and_only_the_callee_ends() -> None:
    pair = opened_pair()
    call_id = pair.node.start_call("/svc.S/m", now=pair.now)
    pair.pump()
    with pytest.raises(InvalidStateError, match="only the caller half-closes"):
        pair.hub.half_close(call_id)
    with pytest.raises(InvalidStateError, match="only the caller cancels"):
        pair.hub.cancel_call(call_id)
    with pytest.raises(InvalidStateError, match="only the callee ends"):
        pair.node.end_call(call_id, OK)


def test_cancellation_reaches_the_callee_and_drops_crossing_frames() -> None:
    pair = opened_pair()
    call_id = pair.node.start_call("/svc.S/watch", now=pair.now)
    pair.pump()
    pair.drain(pair.hub)
    pair.hub.send_message(call_id, b"crossing")
    pair.node.cancel_call(call_id)
    pair.pump()
    assert pair.drain(pair.hub) == [CallCancelled(call_id=call_id)]
    assert pair.drain(pair.node) == []
    with pytest.raises(UnknownCallError):
        pair.hub.send_message(call_id, b"too late")
    pair.hub.end_call(call_id, OK)  # ending a call that is over is a no-op
    pair.node.cancel_call(call_id)  # so is cancelling it again
    assert pair.hub.data_to_send() == pair.node.data_to_send() == []


def test_deadline_ends_the_call_on_both_sides() -> None:
    pair = opened_pair()
    call_id = pair.node.start_call("/svc.S/slow", now=pair.now, deadline=pair.now + 2.0)
    pair.pump()
    [started] = pair.drain(pair.hub)
    assert started == CallStarted(
        call_id=call_id, method="/svc.S/slow", target_node_id="", deadline=2.0
    )
    pair.advance(1.5)
    assert pair.drain(pair.node) == pair.drain(pair.hub) == []
    pair.advance(0.5)
    expected = [CallEnded(call_id=call_id, code=CANCELLED_BY_DEADLINE, message="deadline exceeded")]
    assert pair.drain(pair.node) == expected
    assert pair.drain(pair.hub) == expected
    assert pair.node.state is pair.hub.state is LinkState.OPEN


def test_caller_deadline_cancels_a_callee_whose_clock_lags() -> None:
    pair = opened_pair()
    call_id = pair.hub.start_call("/svc.S/slow", now=0.0, deadline=1.0)
    pair.pump()
    pair.drain(pair.node)
    pair.hub.handle_timer(1.0)
    assert pair.drain(pair.hub) == [
        CallEnded(call_id=call_id, code=CANCELLED_BY_DEADLINE, message="deadline exceeded")
    ]
    assert pair.hub.data_to_send() == [encode_frame(Frame(call_cancel=CallCancel(call_id=2)))]


def test_callee_deadline_tells_the_caller() -> None:
    pair = opened_pair()
    call_id = pair.node.start_call("/svc.S/slow", now=0.0, deadline=0.0001)
    pair.pump()
    [started] = pair.drain(pair.hub)
    assert isinstance(started, CallStarted)
    assert started.deadline == 0.001  # rounded up to the wire's millisecond
    pair.hub.handle_timer(0.001)
    pair.pump()
    expected = CallEnded(call_id=call_id, code=CANCELLED_BY_DEADLINE, message="deadline exceeded")
    assert pair.drain(pair.hub) == pair.drain(pair.node) == [expected]


def test_calls_beyond_the_concurrency_limit_are_refused() -> None:
    pair = opened_pair(hub_configuration=LinkConfiguration(max_concurrent_calls=2))
    ids = [pair.node.start_call("/svc.S/m", now=pair.now) for _ in range(3)]
    pair.pump()
    assert [type(e) for e in pair.drain(pair.hub)] == [CallStarted, CallStarted]
    assert pair.drain(pair.node) == [
        CallEnded(
            call_id=ids[2], code=RESOURCE_EXHAUSTED, message="too many concurrent calls (limit 2)"
        )
    ]
    pair.hub.end_call(ids[0], OK)
    fourth = pair.node.start_call("/svc.S/m", now=pair.now)
    pair.pump()
    assert [type(e) for e in pair.drain(pair.hub)] == [CallStarted]
    assert fourth == 7


def test_message_over_the_peer_limit_is_refused_before_sending() -> None:
    config = LinkConfiguration(max_message_size=100, max_frame_size=200)
    pair = opened_pair(hub_configuration=config)
    call_id = pair.node.start_call("/svc.S/m", now=pair.now)
    pair.node.send_message(call_id, bytes(100))
    with pytest.raises(
        MessageTooLargeError, match="call 1: message of 101 bytes exceeds the peer's limit of 100"
    ):
        pair.node.send_message(call_id, bytes(101))


def test_frames_of_finished_calls_are_ignored() -> None:
    pair = opened_pair()
    call_id = run_unary(pair, pair.node, pair.hub)
    late = [
        Frame(call_message=CallMessage(call_id=call_id, data=b"late")),
        Frame(call_end=CallEnd(call_id=call_id, code=OK)),
    ]
    for frame in late:
        pair.node.receive_bytes(encode_frame(frame), pair.now)
    assert pair.drain(pair.node) == []
    assert pair.node.state is LinkState.OPEN
    pair.node.consume(call_id)  # consuming after the end is harmless


def test_unknown_call_ids_raise_for_sending() -> None:
    pair = opened_pair()
    with pytest.raises(UnknownCallError, match="call 41: no open call has this id"):
        pair.node.send_message(41, b"x")
    with pytest.raises(UnknownCallError):
        pair.node.half_close(41)
    with pytest.raises(UnknownCallError):
        pair.node.send_credit(41)
