"""An HTTP/WebSocket listener: an ASGI app served by uvicorn inside the node's event loop."""

from __future__ import annotations

import asyncio
import logging

import uvicorn
from starlette.types import ASGIApp

from nanoping.config import ListenAddress, ListenerLimits
from nanoping.errors import StartupError
from nanoping.net.connection_counter import ConnectionCounter
from nanoping.net.guarded_protocols import GuardedH11Protocol, GuardedWebSocketProtocol
from nanoping.net.listen import bind_listening
from nanoping.net.upgrade_gate import UpgradeGate

log = logging.getLogger(__name__)

MAX_WEBSOCKET_MESSAGE = 8 * 1024 * 1024
"""Largest WebSocket message accepted; a bigger one closes that connection only."""


class HttpListener:
    """Serves ``app`` on ``address``; :meth:`start` returns once the socket is bound."""

    def __init__(
        self,
        app: ASGIApp,
        address: ListenAddress,
        limits: ListenerLimits | None = None,
        *,
        tasks: asyncio.TaskGroup | None = None,
        gate: UpgradeGate | None = None,
    ) -> None:
        self._app = app
        self._address = address
        self._gate = gate  # admission of upgrades on some paths (the hub's link door)
        self._tasks = tasks  # owner of the serving task (the node's TaskGroup); None in tests
        self.connections = ConnectionCounter(limits or ListenerLimits())
        self._server: uvicorn.Server | None = None
        self._main_loop: asyncio.Task[None] | None = None
        self.bound_port = 0

    @property
    def bound_address(self) -> str:
        return str(ListenAddress(self._address.host, self.bound_port, self._address.origin))

    async def start(self) -> None:
        listening = bind_listening(self._address)
        self.bound_port = listening.getsockname()[1]
        config = uvicorn.Config(
            self._app,
            lifespan="off",
            http=GuardedH11Protocol.for_listener(self.connections, self._gate),
            ws=GuardedWebSocketProtocol,
            ws_max_size=MAX_WEBSOCKET_MESSAGE,
            # Compression buys nothing for small protobuf and JSON messages, and each connection
            # that asked for it cost a zlib context (CPU at the upgrade, ~100 KB of memory).
            ws_per_message_deflate=False,
            ws_ping_interval=None,
            log_level="warning",
            log_config=None,  # uvicorn's lines go through the node's logging, in its format
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        config.load()
        server = uvicorn.Server(config)
        # startup/main_loop/shutdown rather than serve(): serve() would take over the node's
        # SIGINT/SIGTERM handlers, and the daemon owns its own lifecycle.
        server.lifespan = config.lifespan_class(config)
        await server.startup(sockets=[listening])
        if server.should_exit:
            raise StartupError(f"{self._address.origin}: cannot serve HTTP on {self._address}")
        self._server = server
        serving = server.main_loop()
        self._main_loop = (
            self._tasks.create_task(serving, name=f"HTTP {self.bound_address}")
            if self._tasks is not None
            else asyncio.create_task(serving)
        )

    async def close(self) -> None:
        if self._server is None or self._main_loop is None:
            return
        self._server.should_exit = True
        await self._main_loop
        await self._server.shutdown()
        self._server = None
