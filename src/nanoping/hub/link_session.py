"""The asyncio adapter of one link: drives a sans-IO ``LinkConnection`` over one WebSocket.

It feeds received messages and the loop clock into the connection, writes what the connection
wants sent (in order, by one writer task), arms the connection's timer, and turns call events
into per-call channels: :class:`OutgoingCall` for calls this side starts, :class:`IncomingCall`
for calls the peer starts (handed to ``on_call``). Session events go to ``on_session_event``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from nanoping.errors import NanoPingError, StatusCode, Unavailable
from nanoping.link import (
    CallCancelled,
    CallEnded,
    CallStarted,
    CreditAvailable,
    HalfClosed,
    HeadersReceived,
    LinkClosed,
    LinkConnection,
    LinkEvent,
    LinkState,
    MessageReceived,
    ProtocolError,
)
from nanoping.link.batch import pack, unpack

log = logging.getLogger(__name__)

BATCH_LIMIT = 256 * 1024
"""Bytes of frames written as one WebSocket message at most (a bigger frame goes alone)."""
OUTBOX_HIGH_WATER = 1024 * 1024
"""Unwritten bytes above which the session stops reading and call senders wait (back-pressure):
a peer that does not read makes this side stop reading it, instead of queueing replies."""
OUTBOX_LIMIT = 64 * 1024 * 1024
"""Unwritten bytes at which the link is closed: only many calls sending at once get this far."""

Send = Callable[[bytes], Awaitable[None]]
Receive = Callable[[], Awaitable[bytes | None]]


@dataclass(frozen=True)
class _End:
    """The call is over with this status (caller side) or the caller half-closed (callee side)."""

    code: int
    message: str


_HALF_CLOSED = _End(code=StatusCode.OK, message="")


class _CallChannel:
    """What both kinds of calls share: an inbox fed by events and credit to send."""

    def __init__(self, session: LinkSession, call_id: int) -> None:
        self._session = session
        self.call_id = call_id
        self._inbox: asyncio.Queue[bytes | _End] = asyncio.Queue()
        self._credit = asyncio.Event()
        self.ended: _End | None = None

    def deliver(self, item: bytes | _End) -> None:
        self._inbox.put_nowait(item)

    def credit_arrived(self) -> None:
        self._credit.set()

    async def _send(self, data: bytes) -> None:
        connection = self._session.connection
        await self._session.writable()
        while self.ended is None and connection.send_credit(self.call_id) <= 0:
            self._credit.clear()
            await self._credit.wait()
        if self.ended is not None:
            raise NanoPingError.from_status(self.ended.code, self.ended.message or "call ended")
        connection.send_message(self.call_id, data)
        self._session.flush()

    async def _receive(self) -> bytes | _End:
        item = await self._inbox.get()
        if isinstance(item, bytes):
            self._session.connection.consume(self.call_id)
            self._session.flush()
        return item


class OutgoingCall(_CallChannel):
    """A call this side started: send requests, then read responses until the status."""

    def __init__(self, session: LinkSession, call_id: int) -> None:
        super().__init__(session, call_id)
        self.headers_received = False
        """Whether the callee's handler started (its headers or a first message came)."""
        self._settled = asyncio.Event()

    def headers_arrived(self) -> None:
        """The callee said its handler started (by headers or a first message)."""
        self.headers_received = True
        self._settled.set()

    def call_ended(self) -> None:
        """The call is over: whoever waits for headers stops waiting."""
        self._settled.set()

    async def headers(self) -> bool:
        """Wait until the callee's handler started (True) or the call ended before it (False)."""
        await self._settled.wait()
        return self.headers_received

    async def send(self, data: bytes) -> None:
        """Send one request message, waiting for credit if the peer is slow."""
        await self._send(data)

    def half_close(self) -> None:
        if self.ended is None:
            self._session.connection.half_close(self.call_id)
            self._session.flush()

    async def receive(self) -> bytes | None:
        """The next response; None once the call ended OK; raises the error status otherwise."""
        item = await self._receive()
        if isinstance(item, bytes):
            return item
        if item.code != StatusCode.OK:
            raise NanoPingError.from_status(item.code, item.message)
        return None

    def cancel(self) -> None:
        if self.ended is None:
            self.ended = _End(code=StatusCode.CANCELLED, message="cancelled by the caller")
            self._settled.set()
            self._session.forget(self.call_id)
            if self._session.connection.state is LinkState.OPEN:
                self._session.connection.cancel_call(self.call_id)
                self._session.flush()


class IncomingCall(_CallChannel):
    """A call the peer started: read its requests, send responses, end it with a status."""

    def __init__(self, session: LinkSession, event: CallStarted) -> None:
        super().__init__(session, event.call_id)
        self.method = event.method
        self.target_node_id = event.target_node_id
        self.deadline = event.deadline
        self.task: asyncio.Task[None] | None = None

    async def receive(self) -> bytes | None:
        """The next request; None once the caller half-closed."""
        item = await self._receive()
        return item if isinstance(item, bytes) else None

    async def send(self, data: bytes) -> None:
        """Send one response message, waiting for credit if the caller reads slowly."""
        await self._send(data)

    def send_headers(self) -> None:
        """Tell the caller the handler has started (a stream has subscribed); once at most."""
        if self.ended is None:
            self._session.connection.send_headers(self.call_id)
            self._session.flush()

    def end(self, code: int, message: str = "") -> None:
        if self.ended is None:
            self.ended = _End(code=code, message=message)
            self._session.forget(self.call_id)
            self._session.connection.end_call(self.call_id, code, message)
            self._session.flush()

    def cancelled(self) -> None:
        """The caller abandoned the call: stop whatever serves it."""
        self.ended = _End(code=StatusCode.CANCELLED, message="cancelled by the caller")
        if self.task is not None:
            self.task.cancel()


class LinkSession:
    """Runs one link connection over one WebSocket until it closes."""

    def __init__(
        self,
        *,
        connection: LinkConnection,
        send: Send,
        on_call: Callable[[IncomingCall], Coroutine[Any, Any, None]],
        on_session_event: Callable[[LinkEvent], None],
    ) -> None:
        self.connection = connection
        self._send_bytes = send
        self._on_call = on_call
        self._on_session_event = on_session_event
        self._loop = asyncio.get_running_loop()
        self._calls: dict[int, _CallChannel] = {}
        self._outbox: deque[bytes] = deque()
        self.queued_bytes = 0
        """Bytes handed to the session and not yet written to the socket."""
        self.outbox_high_water = OUTBOX_HIGH_WATER
        self.reading_paused = False
        """Whether reading waits for the peer to take what was already sent (back-pressure)."""
        self._wake_writer = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._stopping = False
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.closed: LinkClosed | None = None
        self._closed_event = asyncio.Event()

    def now(self) -> float:
        return self._loop.time()

    @property
    def is_open(self) -> bool:
        return self.closed is None and self.connection.state is LinkState.OPEN

    async def run(self, receive: Receive) -> LinkClosed:
        """Pump the socket until the link closes; returns why it closed."""
        writer = asyncio.create_task(self._write_loop())
        reader = asyncio.create_task(self._read_loop(receive))
        try:
            self.flush()
            await self._closed_event.wait()
        finally:
            reader.cancel()
            if self.closed is None:
                self.connection.connection_lost("the link adapter stopped")
                self.flush()
            self._stopping = True
            self._wake_writer.set()
            await _finish(writer)
            if self._timer is not None:
                self._timer.cancel()
            for task in list(self._tasks):
                task.cancel()
        assert self.closed is not None
        return self.closed

    async def writable(self) -> None:
        """Wait until the unwritten bytes are back under the high-water mark."""
        await self._drained.wait()

    async def _read_loop(self, receive: Receive) -> None:
        while self.closed is None:
            if not self._drained.is_set():
                self.reading_paused = True
                await self._drained.wait()
                self.reading_paused = False
                continue
            self._receive(await receive())
            self.flush()

    def _receive(self, data: bytes | None) -> None:
        if data is None:
            self.connection.connection_lost("the socket closed")
            return
        try:
            frames = unpack(data)
        except ProtocolError as error:
            self.connection.connection_lost(f"malformed message: {error}")
            return
        now = self.now()
        for frame in frames:
            self.connection.receive_bytes(frame, now)

    def open_call(
        self, method: str, *, target_node_id: str = "", deadline: float | None = None
    ) -> OutgoingCall:
        """Start a call on the peer."""
        if not self.is_open:
            raise Unavailable("the link to the hub is not connected")
        call_id = self.connection.start_call(
            method, now=self.now(), target_node_id=target_node_id, deadline=deadline
        )
        call = OutgoingCall(self, call_id)
        self._calls[call_id] = call
        self.flush()
        return call

    def forget(self, call_id: int) -> None:
        self._calls.pop(call_id, None)

    def close(self, reason: str) -> None:
        """Say goodbye and end the session."""
        self.connection.say_goodbye(reason)
        self.flush()

    def flush(self) -> None:
        """Act on everything the connection produced: events, bytes to write, the timer."""
        while (event := self.connection.next_event()) is not None:
            self._handle(event)
        for data in self.connection.data_to_send():
            self._enqueue(data)
        self._arm_timer()

    def _enqueue(self, data: bytes) -> None:
        if self._stopping or self.queued_bytes >= OUTBOX_LIMIT:
            return  # the link is closing: what it says now would never be read
        self._outbox.append(data)
        self.queued_bytes += len(data)
        self._wake_writer.set()
        if self.queued_bytes > self.outbox_high_water:
            self._drained.clear()
        if self.queued_bytes >= OUTBOX_LIMIT:
            self.connection.connection_lost(
                f"the peer does not read: {self.queued_bytes} bytes are waiting to be written"
            )
            self._drain_events()

    def _written(self, size: int) -> None:
        self.queued_bytes -= size
        if self.queued_bytes <= self.outbox_high_water // 2:
            self._drained.set()

    def _handle(self, event: LinkEvent) -> None:
        if isinstance(event, CallStarted):
            self._start_incoming(event)
        elif isinstance(event, HeadersReceived):
            self._headers_arrived(event.call_id)
        elif isinstance(event, MessageReceived):
            self._headers_arrived(event.call_id)
            self._deliver(event.call_id, event.data)
        elif isinstance(event, HalfClosed):
            self._deliver(event.call_id, _HALF_CLOSED)
        elif isinstance(event, CallEnded):
            self._call_ended(event)
        elif isinstance(event, CallCancelled):
            self._call_cancelled(event.call_id)
        elif isinstance(event, CreditAvailable):
            if (call := self._calls.get(event.call_id)) is not None:
                call.credit_arrived()
        else:
            if isinstance(event, LinkClosed):
                self.closed = event
                self._closed_event.set()
                self._drained.set()  # senders waiting for room wake up and see the end
            self._on_session_event(event)

    def _start_incoming(self, event: CallStarted) -> None:
        call = IncomingCall(self, event)
        self._calls[event.call_id] = call
        task = asyncio.create_task(self._on_call(call))
        call.task = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _headers_arrived(self, call_id: int) -> None:
        call = self._calls.get(call_id)
        if isinstance(call, OutgoingCall):
            call.headers_arrived()

    def _deliver(self, call_id: int, item: bytes | _End) -> None:
        call = self._calls.get(call_id)
        if call is not None:
            call.deliver(item)
        elif isinstance(item, bytes):
            self.connection.consume(call_id)

    def _call_ended(self, event: CallEnded) -> None:
        call = self._calls.pop(event.call_id, None)
        if call is not None:
            call.ended = _End(code=event.code, message=event.message)
            call.deliver(call.ended)
            call.credit_arrived()
            if isinstance(call, OutgoingCall):
                call.call_ended()

    def _call_cancelled(self, call_id: int) -> None:
        call = self._calls.pop(call_id, None)
        if isinstance(call, IncomingCall):
            call.cancelled()
            call.credit_arrived()

    def _arm_timer(self) -> None:
        # The connection's deadline moves later with every received frame; a timer that fires
        # early is harmless (handle_timer does only what is due), so re-arm only when earlier.
        deadline = self.connection.next_deadline()
        if deadline is None:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            return
        if self._timer is None or deadline < self._timer.when():
            if self._timer is not None:
                self._timer.cancel()
            self._timer = self._loop.call_at(deadline, self._on_timer)

    def _on_timer(self) -> None:
        self._timer = None
        self.connection.handle_timer(self.now())
        self.flush()

    async def _write_loop(self) -> None:
        while True:
            while not self._outbox and not self._stopping:
                self._wake_writer.clear()
                await self._wake_writer.wait()
            if not self._outbox:
                return
            # One loop turn lets the frames of every call handled in this turn join the batch.
            await asyncio.sleep(0)
            frames = list(self._outbox)
            self._outbox.clear()
            try:
                for message in pack(frames, limit=BATCH_LIMIT):
                    await self._send_bytes(message)
            except Exception as error:
                log.debug("link write failed: %s", error)
                self.connection.connection_lost(f"write failed: {error}")
                self._drain_events()
                return
            self._written(sum(len(frame) for frame in frames))

    def _drain_events(self) -> None:
        while (event := self.connection.next_event()) is not None:
            self._handle(event)
        self.connection.data_to_send()


async def _finish(task: asyncio.Task[None]) -> None:
    """Let the writer send what is queued (the farewell), for 2 s at most."""
    try:
        async with asyncio.timeout(2.0):
            await asyncio.shield(task)
    except TimeoutError:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
