"""uvicorn's HTTP and WebSocket protocols with the limits a network-facing listener needs.

uvicorn closes idle keep-alive connections (``timeout_keep_alive``) and answers 503 past
``limit_concurrency``, but it accepts every connection, keeps one that never sends a complete
request head forever, and answers WebSocket pings however fast they come. Here each listener:

- refuses a connection over its limits (in all, per source address) at once, with a 503,
  so idle sockets cannot use up the process's file descriptors (and starve the gRPC server);
- closes a connection whose request head is not complete ``header_timeout`` after it opened
  or after its previous response;
- closes a WebSocket whose peer sends pings but does not read the pongs;
- asks its :class:`UpgradeGate`, if it has one, before upgrading a request on the gate's paths.
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
from nanoping.net.upgrade_gate import Peer, Refusal, UpgradeGate

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
    gate: UpgradeGate | None = None
    """Set on the per-listener subclass when some paths' upgrades need admission."""

    _release: Callable[[], None] | None = None
    _head_timer: asyncio.TimerHandle | None = None
    _refused = False
    _upgrade: h11.Request | None = None
    """The upgrade request waiting for the gate's word."""

    @classmethod
    def for_listener(
        cls, counter: ConnectionCounter, gate: UpgradeGate | None = None
    ) -> type[GuardedH11Protocol]:
        """A protocol class whose connections count against ``counter`` and pass ``gate``."""
        return type("ListenerH11Protocol", (cls,), {"counter": counter, "gate": gate})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        peer = _peer(transport)
        source = peer[0]
        refusal = self.counter.admit(source)
        if refusal is not None:
            self._refused = True
            _REFUSALS.warning(source, "connection from %s refused: %s", source, refusal)
            transport.write(_REFUSAL)
            transport.close()
            return
        self._release = lambda: self._released(peer)
        super().connection_made(transport)
        self._arm_head_timer()

    def _released(self, peer: Peer) -> None:
        self.counter.release(peer[0])
        if self.gate is not None:
            self.gate.leave(peer)

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
        path = self.scope["path"]
        if self.gate is None or path not in self.gate.paths:
            self._upgraded(event)
            return
        # The gate answers now or later; meanwhile the socket is not read (no work, no buffer).
        self._upgrade = event
        self.transport.pause_reading()
        self.gate.enter(path, _peer(self.transport), self)

    def proceed(self) -> None:
        """The gate let this connection in: upgrade it."""
        event, self._upgrade = self._upgrade, None
        if event is None or self.transport.is_closing():
            return
        self.transport.resume_reading()
        self._upgraded(event)

    def refuse(self, refusal: Refusal) -> None:
        """The gate turned this connection away: answer with its status and close."""
        self._upgrade = None
        if not self.transport.is_closing():
            self.transport.write(refusal.response())
            self.transport.close()

    def _upgraded(self, event: h11.Request) -> None:
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


def _peer(transport: asyncio.BaseTransport) -> Peer:
    """The remote address and port of a connection (``("unknown", 0)`` if it has none)."""
    peer = transport.get_extra_info("peername")
    if isinstance(peer, tuple) and len(peer) >= 2:
        return str(peer[0]), int(peer[1])
    return "unknown", 0
