"""uvicorn's HTTP and WebSocket protocols with the limits a network-facing listener needs.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) and answers 503 past
``limit_concurrency``, but it accepts every connection, keeps one that never sends a complete
request head forever, and answers WebSocket pings however fast they come. Here each listener:

- refuses a connection over its limits (in all, per source address) at once, with a 503,
  so idle sockets cannot use up the process's file descriptors (and starve the gRPC server);
- closes a connection whose request head is not complete ``header_timeout`` after it opened
  or after its previous response;
- closes a WebSocket whose peer sends pings but does not read the pongs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from nanoping.log_throttle import LogThrottle
from nanoping.net.connection_counter import ConnectionCounter

log = logging.getLogger(__name__)
_REFUSALS = LogThrottle(log)

MAX_UNREAD_PONGS = 256 * 1024
"""Bytes of unsent WebSocket output at which answering a ping closes the connection instead."""
_REFUSAL = b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


class GuardedWebSocketProtocol(WebSocketsSansIOProtocol):
    """A WebSocket that releases its listener's count when it closes and bounds its pongs."""

    release: Callable[[], None] | None = None

    def connection_lost(self, exc: Exception | None) -> None:
        release, self.release = self.release, None
        if release is not None:
            release()
        super().connection_lost(exc)

    def handle_ping(self) -> None:
        if self.transport.get_write_buffer_size() > MAX_UNREAD_PONGS:
            self.transport.abort()  # the peer pings but does not read: drop it
            return
        super().handle_ping()


class GuardedH11Protocol(H11Protocol):
    """An HTTP connection counted against its listener's limits, with a request-head deadline."""

    counter: ConnectionCounter
    """Set on the per-listener subclass made by :meth:`for_listener`."""

    _release: Callable[[], None] | None = None
    _head_timer: asyncio.TimerHandle | None = None
    _refused = False

    @classmethod
    def for_listener(cls, counter: ConnectionCounter) -> type[GuardedH11Protocol]:
        """A protocol class whose connections count against ``counter``."""
        return type("ListenerH11Protocol", (cls,), {"counter": counter})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        peer = transport.get_extra_info("peername")
        source = str(peer[0]) if isinstance(peer, tuple) and peer else "unknown"
        refusal = self.counter.admit(source)
        if refusal is not None:
            self._refused = True
            _REFUSALS.warning(source, "connection from %s refused: %s", source, refusal)
            transport.write(_REFUSAL)
            transport.close()
            return
        self._release = lambda: self.counter.release(source)
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._refused:
            return
        self._cancel_head_timer()
        release, self._release = self._release, None
        if release is not None:
            release()
        super().connection_lost(exc)

    def handle_events(self) -> None:
        super().handle_events()
        if self._head_timer is not None and self.conn.their_state is not h11.IDLE:
            self._cancel_head_timer()  # the request head is complete

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm_head_timer()

    def handle_websocket_upgrade(self, event: h11.Request) -> None:
        self._cancel_head_timer()
        super().handle_websocket_upgrade(event)
        websocket = self.transport.get_protocol()
        if isinstance(websocket, GuardedWebSocketProtocol):
            websocket.release, self._release = self._release, None

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(
            self.counter.limits.header_timeout, self._head_timed_out
        )

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if not self.transport.is_closing():
            self.transport.close()
