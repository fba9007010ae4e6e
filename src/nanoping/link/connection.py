"""Sans-IO core of the node <-> hub link: one ``LinkConnection`` per WebSocket.

The connection never touches a socket, a task or a clock. It is driven by three inputs:

- ``receive_bytes(data, now)`` with each received WebSocket binary message,
- ``handle_timer(now)`` once the time returned by ``next_deadline()`` has come,
- the application's API calls (``send_hello``, ``accept``, ``start_call``, ``send_message``, ...),

and it produces three outputs: ``data_to_send()`` (WebSocket binary messages to write, in
order), ``next_event()`` (what happened, see ``nanoping.link.events``) and ``next_deadline()``.
After any input the adapter drains the events, writes ``data_to_send()`` and re-arms its timer.

Call ids never collide: the node (the side that dials) numbers its calls 1, 3, 5, ... and the
hub 2, 4, 6, ... A frame naming a call that is already over is ignored (it crossed the end of
the call on the wire); a frame naming a call that was never started is a protocol error.

Flow control counts messages per call. ``send_message`` never buffers: without credit it
raises ``NoCreditError``, and ``CreditAvailable`` tells the application when to go on. The
receiver grants credit back as the application calls ``consume``. So a slow reader stalls only
its own call, and each call holds at most one window of unconsumed messages on the receiver.

Who may do what on a call: the caller sends messages, ``half_close`` and ``cancel_call``; the
callee may say its handler started with ``send_headers`` (a stream has subscribed), sends
messages and ends the call with ``end_call`` (a gRPC status), which is also its half-close. Unary, server-streaming and bidi calls are all this one shape.
"""

from __future__ import annotations

import enum
import heapq
import math
from collections import deque
from collections.abc import Callable

from nanoping.api.hub_node_pb2 import Node
from nanoping.errors import StatusCode
from nanoping.internal.link_pb2 import (
    REFUSAL_CODE_CREDENTIAL_REJECTED,
    REFUSAL_CODE_UNSPECIFIED,
    REFUSAL_CODE_UNSUPPORTED_VERSION,
    CallCancel,
    CallCredit,
    CallEnd,
    CallHalfClose,
    CallHeaders,
    CallMessage,
    CallStart,
    Frame,
    Goodbye,
    Hello,
    NodeUpdate,
    Ping,
    Pong,
    Refusal,
    Welcome,
)
from nanoping.link.call import Call
from nanoping.link.configuration import LinkConfiguration
from nanoping.link.errors import (
    InvalidStateError,
    MessageTooLargeError,
    NoCreditError,
    ProtocolError,
    UnknownCallError,
)
from nanoping.link.events import (
    CallCancelled,
    CallEnded,
    CallStarted,
    CreditAvailable,
    HalfClosed,
    HeadersReceived,
    HeartbeatTimedOut,
    HelloReceived,
    HelloRefused,
    LinkClosed,
    LinkEvent,
    MessageReceived,
    NodeUpdated,
    PeerSaidGoodbye,
    ProtocolViolated,
    Welcomed,
)
from nanoping.link.frame import LINK_PROTOCOL_VERSION, decode_frame, encode_frame

_FrameHandler = Callable[[Frame, float], None]
_HANDSHAKE_FRAMES = frozenset({"hello", "welcome", "refusal", "goodbye"})
"""What a peer may send before the session is open; anything else then closes the link."""
_DEADLINE_MESSAGE = "deadline exceeded"
_COMPACT_AFTER = 64
"""Stale deadline entries tolerated before the deadline heap is rebuilt."""


class LinkRole(enum.Enum):
    """Which end of the WebSocket a connection is."""

    NODE = "node"
    """Dials the hub, sends the Hello, numbers its calls 1, 3, 5, ..."""
    HUB = "hub"
    """Accepts the socket, answers the Hello, numbers its calls 2, 4, 6, ..."""


class LinkState(enum.Enum):
    """Where the session stands; calls may only run while it is OPEN."""

    NEW = "new"
    """Node: ``send_hello`` not called yet. Hub: waiting for the node's Hello."""
    HELLO_SENT = "hello sent"
    """Node: waiting for Welcome or Refusal."""
    HELLO_RECEIVED = "hello received"
    """Hub: waiting for the application to ``accept`` or ``refuse``."""
    OPEN = "open"
    """Handshake done: heartbeats and calls run."""
    CLOSED = "closed"
    """Over; only ``data_to_send`` (the farewell frame, if any) still matters."""


class LinkConnection:
    """One side of a node <-> hub link: session, heartbeats and multiplexed calls, without I/O."""

    def __init__(
        self,
        *,
        role: LinkRole,
        now: float,
        configuration: LinkConfiguration | None = None,
    ) -> None:
        self._role = role
        self._config = configuration or LinkConfiguration()
        self._state = LinkState.NEW
        self._peer_node_id = ""
        self._peer_window = 0
        self._peer_max_message_size = 0
        self._calls: dict[int, Call] = {}
        self._peer_call_count = 0
        self._deadlines: list[tuple[float, int]] = []
        self._next_call_id = 1 if role is LinkRole.NODE else 2
        self._last_peer_call_id = 0
        self._outgoing: list[bytes] = []
        self._events: deque[LinkEvent] = deque()
        self._last_received = now
        self._handshake_deadline = now + self._config.handshake_timeout
        self._next_ping_at: float | None = None
        self._ping_id = 0
        self._ping_sent_at: float | None = None
        self._rtt: float | None = None
        self._handlers: dict[str, _FrameHandler] = {
            "hello": self._handle_hello,
            "welcome": self._handle_welcome,
            "refusal": self._handle_refusal,
            "ping": self._handle_ping,
            "pong": self._handle_pong,
            "goodbye": self._handle_goodbye,
            "node_update": self._handle_node_update,
            "call_start": self._handle_call_start,
            "call_message": self._handle_call_message,
            "call_half_close": self._handle_call_half_close,
            "call_end": self._handle_call_end,
            "call_cancel": self._handle_call_cancel,
            "call_credit": self._handle_call_credit,
            "call_headers": self._handle_call_headers,
        }

    # -- state ------------------------------------------------------------------------------

    @property
    def role(self) -> LinkRole:
        """Which end of the socket this is."""
        return self._role

    @property
    def state(self) -> LinkState:
        """Current session state."""
        return self._state

    @property
    def configuration(self) -> LinkConfiguration:
        """This side's timing and limits."""
        return self._config

    @property
    def peer_node_id(self) -> str:
        """Hub side: the node's id from its Hello. Node side: the hub's node id from Welcome."""
        return self._peer_node_id

    @property
    def rtt(self) -> float | None:
        """Round-trip time of the latest answered ping, in seconds; None before the first."""
        return self._rtt

    # -- I/O --------------------------------------------------------------------------------

    def receive_bytes(self, data: bytes, now: float) -> None:
        """Process one received WebSocket binary message.

        Peer mistakes never raise: they close the link with a ``ProtocolViolated`` event and a
        Goodbye naming the reason. Input after the link closed is ignored.
        """
        if self._state is LinkState.CLOSED:
            return
        self._last_received = now
        try:
            frame = decode_frame(data, max_size=self._config.max_frame_size)
            self._dispatch(frame, now)
        except ProtocolError as error:
            reason = str(error)
            self._close(ProtocolViolated(reason=reason), farewell=_goodbye(reason))

    def data_to_send(self) -> list[bytes]:
        """WebSocket binary messages to write, in order; each is returned once."""
        outgoing, self._outgoing = self._outgoing, []
        return outgoing

    def next_event(self) -> LinkEvent | None:
        """The oldest event not yet returned, or None."""
        return self._events.popleft() if self._events else None

    def next_deadline(self) -> float | None:
        """When ``handle_timer`` must run next (heartbeat or call deadline); None when closed."""
        if self._state is LinkState.CLOSED:
            return None
        if self._state is not LinkState.OPEN:
            return self._handshake_deadline
        times = [self._last_received + self._config.heartbeat_timeout]
        if self._next_ping_at is not None:
            times.append(self._next_ping_at)
        call_deadline = self._earliest_call_deadline()
        if call_deadline is not None:
            times.append(call_deadline)
        return min(times)

    def handle_timer(self, now: float) -> None:
        """Run what is due at ``now``: heartbeat timeout, expired call deadlines, the next ping."""
        if self._state is LinkState.CLOSED:
            return
        if self._state is not LinkState.OPEN:
            self._check_handshake_deadline(now)
            return
        timeout = self._config.heartbeat_timeout
        if now >= self._last_received + timeout:
            reason = f"nothing received from the peer for {timeout:g} s"
            self._close(HeartbeatTimedOut(reason=reason), farewell=_goodbye(reason))
            return
        self._expire_calls(now)
        if self._next_ping_at is not None and now >= self._next_ping_at:
            self._heartbeat(now)

    # -- session API ------------------------------------------------------------------------

    def send_hello(self, *, node: Node, credential: str) -> None:
        """(Node side) introduce this node to the hub; answered by Welcomed or HelloRefused."""
        if self._role is not LinkRole.NODE or self._state is not LinkState.NEW:
            raise InvalidStateError("send_hello is only for a new node-side link")
        if not node.id:
            raise ValueError("send_hello needs a node with an id")
        hello = Hello(
            protocol_version=LINK_PROTOCOL_VERSION,
            credential=credential,
            node=node,
            call_window=self._config.call_window,
            max_message_size=self._config.max_message_size,
        )
        self._send(Frame(hello=hello))
        self._state = LinkState.HELLO_SENT

    def accept(self, *, hub_node_id: str, now: float) -> None:
        """(Hub side) welcome the node whose Hello was received; the session opens."""
        self._require_hello_received("accept")
        welcome = Welcome(
            hub_node_id=hub_node_id,
            call_window=self._config.call_window,
            max_message_size=self._config.max_message_size,
        )
        self._send(Frame(welcome=welcome))
        self._open(now)

    def refuse(self, *, reason: str, credential_rejected: bool = False) -> None:
        """(Hub side) refuse the node's Hello and close; the node stops retrying when
        ``credential_rejected`` is true, else it retries with backoff."""
        self._require_hello_received("refuse")
        code = REFUSAL_CODE_CREDENTIAL_REJECTED if credential_rejected else REFUSAL_CODE_UNSPECIFIED
        refusal = Refusal(code=code, reason=reason)
        self._close(
            LinkClosed(reason=f"refused the node: {reason}"), farewell=Frame(refusal=refusal)
        )

    def update_node(self, node: Node) -> None:
        """(Node side) tell the hub the node's name, services or metadata changed."""
        if self._role is not LinkRole.NODE:
            raise InvalidStateError("only the node side sends node updates")
        self._require_open("update the node")
        self._send(Frame(node_update=NodeUpdate(node=node)))

    def say_goodbye(self, reason: str) -> None:
        """End the session on purpose; open calls end, the peer learns ``reason``."""
        if self._state is not LinkState.CLOSED:
            self._close(LinkClosed(reason=f"said goodbye: {reason}"), farewell=_goodbye(reason))

    def connection_lost(self, reason: str) -> None:
        """The socket closed under the link (no Goodbye seen); open calls end."""
        if self._state is not LinkState.CLOSED:
            self._close(LinkClosed(reason=reason), farewell=None)

    # -- call API ---------------------------------------------------------------------------

    def start_call(
        self,
        method: str,
        *,
        now: float,
        target_node_id: str = "",
        deadline: float | None = None,
    ) -> int:
        """Start a call on the peer and return its id; ``deadline`` is on this side's clock."""
        self._require_open("start a call")
        call_id = self._next_call_id
        self._next_call_id += 2
        self._register(self._new_call(call_id, is_caller=True, deadline=deadline))
        start = CallStart(
            call_id=call_id,
            method=method,
            target_node_id=target_node_id,
            timeout_ms=_timeout_ms(deadline, now),
        )
        self._send(Frame(call_start=start))
        return call_id

    def send_credit(self, call_id: int) -> int:
        """How many messages ``send_message`` may send on the call right now."""
        return self._open_call(call_id).send_credit

    def send_message(self, call_id: int, data: bytes) -> None:
        """Send one serialized message on a call.

        Nothing is buffered: without credit this raises ``NoCreditError`` and the application
        waits for ``CreditAvailable``, so a slow receiver holds back only its own call.
        """
        call = self._open_call(call_id)
        if not call.may_send:
            raise InvalidStateError(f"call {call_id}: cannot send after half-close")
        if len(data) > self._peer_max_message_size:
            raise MessageTooLargeError(
                call_id,
                f"message of {len(data)} bytes exceeds the peer's limit of "
                f"{self._peer_max_message_size} bytes",
            )
        if call.send_credit <= 0:
            raise NoCreditError(call_id, "no send credit; wait for CreditAvailable")
        call.send_credit -= 1
        if not call.is_caller:
            call.headers = True  # a response tells the caller the handler started
        self._send(Frame(call_message=CallMessage(call_id=call_id, data=data)))

    def send_headers(self, call_id: int) -> None:
        """(Callee) the handler has started; the caller may now tell its own caller so.

        Sent once and only before the first message; ignored if already implied or the call is
        over, so every hop of a routed call can pass the signal on without tracking it.
        """
        call = self._calls.get(call_id)
        if call is None or call.headers:
            return
        if call.is_caller:
            raise InvalidStateError(f"call {call_id}: only the callee sends headers")
        call.headers = True
        self._send(Frame(call_headers=CallHeaders(call_id=call_id)))

    def consume(self, call_id: int, count: int = 1) -> None:
        """The application took ``count`` received messages of the call; the peer may send more.

        Ignored for a call that is already over, since nothing more will arrive on it.
        """
        call = self._calls.get(call_id)
        if call is None:
            return
        if not 0 < count <= call.held:
            raise InvalidStateError(
                f"call {call_id}: cannot consume {count} of {call.held} received messages"
            )
        call.held -= count
        call.ungranted += count
        grant = call.take_grant()
        if grant:
            self._send(Frame(call_credit=CallCredit(call_id=call_id, messages=grant)))

    def half_close(self, call_id: int) -> None:
        """(Caller) the call's last message has been sent."""
        call = self._open_call(call_id)
        if not call.is_caller:
            raise InvalidStateError(
                f"call {call_id}: only the caller half-closes; the callee uses end_call"
            )
        if call.half_closed:
            raise InvalidStateError(f"call {call_id}: already half-closed")
        call.half_closed = True
        self._send(Frame(call_half_close=CallHalfClose(call_id=call_id)))

    def end_call(self, call_id: int, code: int, message: str = "") -> None:
        """(Callee) end the call with a gRPC status; ignored if the call is already over."""
        call = self._calls.get(call_id)
        if call is None:
            return
        if call.is_caller:
            raise InvalidStateError(f"call {call_id}: only the callee ends; the caller cancels")
        self._forget(call)
        self._send(Frame(call_end=CallEnd(call_id=call_id, code=code, message=message)))

    def cancel_call(self, call_id: int) -> None:
        """(Caller) abandon the call; ignored if it is already over. No event follows."""
        call = self._calls.get(call_id)
        if call is None:
            return
        if not call.is_caller:
            raise InvalidStateError(f"call {call_id}: only the caller cancels; the callee ends")
        self._forget(call)
        self._send(Frame(call_cancel=CallCancel(call_id=call_id)))

    # -- frame handlers: session ------------------------------------------------------------

    def _dispatch(self, frame: Frame, now: float) -> None:
        kind = frame.WhichOneof("kind")
        if kind is None:
            return  # a frame kind added by a newer peer
        if kind not in _HANDSHAKE_FRAMES and self._state is not LinkState.OPEN:
            # Answering anything (a Ping) before the peer proved who it is would let an
            # unauthenticated socket make this side work and queue replies.
            if self._role is LinkRole.HUB and self._state is LinkState.NEW:
                raise ProtocolError(f"{kind} frame before hello")
            raise ProtocolError(f"{kind} frame before the session is open")
        self._handlers[kind](frame, now)

    def _check_handshake_deadline(self, now: float) -> None:
        if now < self._handshake_deadline:
            return
        awaited = "hello" if self._role is LinkRole.HUB else "welcome"
        reason = f"no {awaited} within {self._config.handshake_timeout:g} s"
        self._close(HeartbeatTimedOut(reason=reason), farewell=_goodbye(reason))

    def _handle_hello(self, frame: Frame, now: float) -> None:
        hello = frame.hello
        if self._role is not LinkRole.HUB or self._state is not LinkState.NEW:
            raise ProtocolError("unexpected hello")
        if hello.protocol_version != LINK_PROTOCOL_VERSION:
            self._refuse_version(hello.protocol_version)
            return
        if not hello.node.id:
            raise ProtocolError("hello without a node id")
        self._take_peer_limits(hello.call_window, hello.max_message_size, "hello")
        self._peer_node_id = hello.node.id
        self._state = LinkState.HELLO_RECEIVED
        self._events.append(HelloReceived(node=hello.node, credential=hello.credential))

    def _refuse_version(self, version: int) -> None:
        reason = f"unsupported link protocol version {version} (hub: {LINK_PROTOCOL_VERSION})"
        refusal = Refusal(code=REFUSAL_CODE_UNSUPPORTED_VERSION, reason=reason)
        self._close(ProtocolViolated(reason=reason), farewell=Frame(refusal=refusal))

    def _handle_welcome(self, frame: Frame, now: float) -> None:
        welcome = frame.welcome
        if self._role is not LinkRole.NODE or self._state is not LinkState.HELLO_SENT:
            raise ProtocolError("unexpected welcome")
        self._take_peer_limits(welcome.call_window, welcome.max_message_size, "welcome")
        self._peer_node_id = welcome.hub_node_id
        self._open(now)
        self._events.append(Welcomed(hub_node_id=welcome.hub_node_id))

    def _handle_refusal(self, frame: Frame, now: float) -> None:
        refusal = frame.refusal
        if self._role is not LinkRole.NODE or self._state is not LinkState.HELLO_SENT:
            raise ProtocolError("unexpected refusal")
        rejected = refusal.code == REFUSAL_CODE_CREDENTIAL_REJECTED
        event = HelloRefused(reason=f"hub refused: {refusal.reason}", credential_rejected=rejected)
        self._close(event, farewell=None)

    def _handle_ping(self, frame: Frame, now: float) -> None:
        self._send(Frame(pong=Pong(id=frame.ping.id)))

    def _handle_pong(self, frame: Frame, now: float) -> None:
        if self._ping_sent_at is not None and frame.pong.id == self._ping_id:
            self._rtt = now - self._ping_sent_at
            self._ping_sent_at = None

    def _handle_goodbye(self, frame: Frame, now: float) -> None:
        reason = f"peer said goodbye: {frame.goodbye.reason}"
        self._close(PeerSaidGoodbye(reason=reason), farewell=None)

    def _handle_node_update(self, frame: Frame, now: float) -> None:
        node = frame.node_update.node
        if self._role is not LinkRole.HUB or self._state is not LinkState.OPEN:
            raise ProtocolError("unexpected node update")
        if node.id != self._peer_node_id:
            raise ProtocolError(
                f"node update changes the node id from {self._peer_node_id!r} to {node.id!r}"
            )
        self._events.append(NodeUpdated(node=node))

    # -- frame handlers: calls --------------------------------------------------------------

    def _handle_call_start(self, frame: Frame, now: float) -> None:
        start = frame.call_start
        call_id = start.call_id
        if self._is_local_id(call_id) or call_id <= self._last_peer_call_id:
            raise ProtocolError(
                f"call start with id {call_id}: the peer's next id must be above "
                f"{self._last_peer_call_id} and {'odd' if self._role is LinkRole.HUB else 'even'}"
            )
        self._last_peer_call_id = call_id
        if self._peer_call_count >= self._config.max_concurrent_calls:
            self._refuse_call(call_id)
            return
        deadline = now + start.timeout_ms / 1000 if start.timeout_ms else None
        self._register(self._new_call(call_id, is_caller=False, deadline=deadline))
        self._events.append(
            CallStarted(
                call_id=call_id,
                method=start.method,
                target_node_id=start.target_node_id,
                deadline=deadline,
            )
        )

    def _refuse_call(self, call_id: int) -> None:
        message = f"too many concurrent calls (limit {self._config.max_concurrent_calls})"
        end = CallEnd(call_id=call_id, code=StatusCode.RESOURCE_EXHAUSTED, message=message)
        self._send(Frame(call_end=end))

    def _handle_call_message(self, frame: Frame, now: float) -> None:
        message = frame.call_message
        call = self._peer_call(message.call_id, "message")
        if call is None:
            return
        if not call.peer_may_send:
            raise ProtocolError(f"message on call {call.call_id} after the caller half-closed")
        if call.peer_allowance <= 0:
            raise ProtocolError(f"message on call {call.call_id} without flow-control credit")
        if len(message.data) > self._config.max_message_size:
            raise ProtocolError(
                f"message of {len(message.data)} bytes on call {call.call_id} exceeds the limit "
                f"of {self._config.max_message_size} bytes"
            )
        call.peer_allowance -= 1
        call.held += 1
        if call.is_caller:
            call.headers = True
        self._events.append(MessageReceived(call_id=call.call_id, data=message.data))

    def _handle_call_half_close(self, frame: Frame, now: float) -> None:
        call = self._peer_call(frame.call_half_close.call_id, "half-close")
        if call is None:
            return
        if call.is_caller:
            raise ProtocolError(f"half-close from the callee of call {call.call_id}")
        if call.half_closed:
            raise ProtocolError(f"second half-close of call {call.call_id}")
        call.half_closed = True
        self._events.append(HalfClosed(call_id=call.call_id))

    def _handle_call_end(self, frame: Frame, now: float) -> None:
        end = frame.call_end
        call = self._peer_call(end.call_id, "end")
        if call is None:
            return
        if not call.is_caller:
            raise ProtocolError(f"end from the caller of call {call.call_id}")
        self._forget(call)
        self._events.append(CallEnded(call_id=call.call_id, code=end.code, message=end.message))

    def _handle_call_cancel(self, frame: Frame, now: float) -> None:
        call = self._peer_call(frame.call_cancel.call_id, "cancel")
        if call is None:
            return
        if call.is_caller:
            raise ProtocolError(f"cancel from the callee of call {call.call_id}")
        self._forget(call)
        self._events.append(CallCancelled(call_id=call.call_id))

    def _handle_call_headers(self, frame: Frame, now: float) -> None:
        call = self._peer_call(frame.call_headers.call_id, "headers")
        if call is None:
            return
        if not call.is_caller:
            raise ProtocolError(f"headers from the caller of call {call.call_id}")
        if call.headers:
            raise ProtocolError(f"headers of call {call.call_id} after its headers or a message")
        call.headers = True
        self._events.append(HeadersReceived(call_id=call.call_id))

    def _handle_call_credit(self, frame: Frame, now: float) -> None:
        credit = frame.call_credit
        call = self._peer_call(credit.call_id, "credit")
        if call is None or credit.messages == 0:
            return
        was_empty = call.send_credit <= 0
        call.send_credit += credit.messages
        if was_empty and call.may_send:
            self._events.append(CreditAvailable(call_id=call.call_id, credit=call.send_credit))

    # -- internals --------------------------------------------------------------------------

    def _send(self, frame: Frame) -> None:
        self._outgoing.append(encode_frame(frame))

    def _open(self, now: float) -> None:
        self._state = LinkState.OPEN
        self._next_ping_at = now + self._config.heartbeat_interval

    def _close(self, event: LinkClosed, *, farewell: Frame | None) -> None:
        """Enter CLOSED: send ``farewell`` if any, end the open calls in id order, then ``event``."""
        if farewell is not None:
            self._send(farewell)
        for call_id in sorted(self._calls):
            self._events.append(_abandoned(self._calls[call_id], event.reason))
        self._calls.clear()
        self._deadlines.clear()
        self._peer_call_count = 0
        self._next_ping_at = None
        self._state = LinkState.CLOSED
        self._events.append(event)

    def _require_open(self, action: str) -> None:
        if self._state is not LinkState.OPEN:
            raise InvalidStateError(f"cannot {action}: the link is {self._state.value}")

    def _require_hello_received(self, action: str) -> None:
        if self._role is not LinkRole.HUB or self._state is not LinkState.HELLO_RECEIVED:
            raise InvalidStateError(f"{action} is only for a hub-side link that received a hello")

    def _take_peer_limits(self, window: int, max_message_size: int, kind: str) -> None:
        if window <= 0 or max_message_size <= 0:
            raise ProtocolError(f"{kind} must state a positive call_window and max_message_size")
        self._peer_window = window
        self._peer_max_message_size = max_message_size

    def _heartbeat(self, now: float) -> None:
        interval = self._config.heartbeat_interval
        if self._role is LinkRole.HUB and now - self._last_received < 1.5 * interval:
            # The node pings every interval and the hub's pongs keep the node's side alive: a
            # ping of the hub's own would double the heartbeat traffic the hub handles for
            # every member. It pings only a node it has not heard from for 1.5 intervals.
            self._next_ping_at = now + interval
            return
        self._send_ping(now)

    def _send_ping(self, now: float) -> None:
        self._ping_id += 1
        self._ping_sent_at = now
        self._next_ping_at = now + self._config.heartbeat_interval
        self._send(Frame(ping=Ping(id=self._ping_id)))

    def _is_local_id(self, call_id: int) -> bool:
        """Whether this side numbers calls like ``call_id`` (odd for the node, even for the hub)."""
        return call_id % 2 == (1 if self._role is LinkRole.NODE else 0)

    def _new_call(self, call_id: int, *, is_caller: bool, deadline: float | None) -> Call:
        return Call(
            call_id=call_id,
            is_caller=is_caller,
            deadline=deadline,
            send_credit=self._peer_window,
            window=self._config.call_window,
        )

    def _open_call(self, call_id: int) -> Call:
        call = self._calls.get(call_id)
        if call is None:
            raise UnknownCallError(call_id, "no open call has this id")
        return call

    def _peer_call(self, call_id: int, kind: str) -> Call | None:
        """The open call a peer frame names; None if it is over (the frame is then ignored)."""
        call = self._calls.get(call_id)
        if call is not None:
            return call
        if self._is_local_id(call_id):
            never_started = call_id >= self._next_call_id
        else:
            never_started = call_id > self._last_peer_call_id
        if never_started:
            raise ProtocolError(f"{kind} for call {call_id}, which was never started")
        return None

    def _register(self, call: Call) -> None:
        self._calls[call.call_id] = call
        if not call.is_caller:
            self._peer_call_count += 1
        if call.deadline is not None:
            heapq.heappush(self._deadlines, (call.deadline, call.call_id))

    def _forget(self, call: Call) -> None:
        del self._calls[call.call_id]
        if not call.is_caller:
            self._peer_call_count -= 1
        if len(self._deadlines) > _COMPACT_AFTER + 2 * len(self._calls):
            self._deadlines = [(d, i) for d, i in self._deadlines if i in self._calls]
            heapq.heapify(self._deadlines)

    def _earliest_call_deadline(self) -> float | None:
        """Deadline of the open call that expires first, dropping entries of finished calls."""
        while self._deadlines:
            deadline, call_id = self._deadlines[0]
            if call_id in self._calls:
                return deadline
            heapq.heappop(self._deadlines)
        return None

    def _expire_calls(self, now: float) -> None:
        while (deadline := self._earliest_call_deadline()) is not None and deadline <= now:
            _, call_id = heapq.heappop(self._deadlines)
            self._expire(self._calls[call_id])

    def _expire(self, call: Call) -> None:
        """End a call whose deadline passed, on both sides: the peer learns it by frame."""
        self._forget(call)
        if call.is_caller:
            self._send(Frame(call_cancel=CallCancel(call_id=call.call_id)))
        else:
            end = CallEnd(
                call_id=call.call_id, code=StatusCode.DEADLINE_EXCEEDED, message=_DEADLINE_MESSAGE
            )
            self._send(Frame(call_end=end))
        self._events.append(
            CallEnded(
                call_id=call.call_id, code=StatusCode.DEADLINE_EXCEEDED, message=_DEADLINE_MESSAGE
            )
        )


def _goodbye(reason: str) -> Frame:
    return Frame(goodbye=Goodbye(reason=reason))


def _timeout_ms(deadline: float | None, now: float) -> int:
    """Wire form of a deadline: milliseconds left, rounded up so a live deadline is never 0."""
    if deadline is None:
        return 0
    return max(1, math.ceil((deadline - now) * 1000))


def _abandoned(call: Call, reason: str) -> LinkEvent:
    """What the application hears about a call that was open when the link closed."""
    if call.is_caller:
        return CallEnded(
            call_id=call.call_id, code=StatusCode.UNAVAILABLE, message=f"link closed: {reason}"
        )
    return CallCancelled(call_id=call.call_id)
