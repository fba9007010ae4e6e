"""The REST gateway: the public API over HTTP as an ASGI app, a thin adapter over the method table.

Every request is matched against the route table, turned into the method's request message and
handed to the same (routed) handler the gRPC bridge calls, so a ``node_id`` naming another node
goes through the hub exactly as over gRPC. One adapter per transport answers: JSON for unary
methods, server-sent events for server streams, a text body for ``downloadLogFile`` and a
WebSocket for the bidirectional method. Whatever goes wrong, the client gets an HTTP status and
a ``{code, message}`` body, and the node keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Iterator, Sequence

from google.protobuf.message import Message
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket

from nanoping.gateway.bidi import deny, serve_websocket
from nanoping.gateway.codec import request_from_http
from nanoping.gateway.cross_site import CrossSiteGuard, check_json_body
from nanoping.gateway.exchange import ClientGone, HttpExchange
from nanoping.gateway.route_map import RouteMap
from nanoping.gateway.routes import Transport
from nanoping.gateway.sse import KEEPALIVE_INTERVAL, serve_events
from nanoping.gateway.status import error_reply
from nanoping.gateway.text import serve_text
from nanoping.gateway.unary import serve_unary
from nanoping.service.method_table import Method, MethodTable

MAX_BODY = 4 * 1024 * 1024
"""Largest request body accepted (bytes), the gRPC default message limit; more is HTTP 413."""

Adapter = Callable[[HttpExchange, Method, Message], Awaitable[None]]


class RestGateway:
    """ASGI app serving every REST route of ``table`` (the routed table the doors share)."""

    def __init__(
        self,
        table: MethodTable,
        *,
        max_body: int = MAX_BODY,
        keepalive: float = KEEPALIVE_INTERVAL,
        allowed_origins: Sequence[str] = (),
    ) -> None:
        self._routes = RouteMap(table)
        self._cross_site = CrossSiteGuard(allowed_origins)
        self._max_body = max_body
        self._keepalive = keepalive
        self._shutdown = asyncio.Event()
        self._open_calls = 0
        self._all_ended = asyncio.Event()
        self._all_ended.set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            with self._counted():
                await self._http(HttpExchange(scope, receive, send, shutdown=self._shutdown))
        elif scope["type"] == "websocket":
            with self._counted():
                await self._websocket(WebSocket(scope, receive, send))

    async def close(self, grace: float = 2.0) -> None:
        """End open streams (their clients are told the node is shutting down), then return
        once every call has ended or ``grace`` seconds passed."""
        self._shutdown.set()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(grace):
                await self._all_ended.wait()

    async def _http(self, exchange: HttpExchange) -> None:
        try:
            await self._serve_http(exchange)
        except ClientGone:
            pass
        except Exception as error:
            if exchange.started:
                raise  # the answer is under way: only cutting the connection tells the client
            call = f"{exchange.verb} {exchange.raw_path.decode('latin-1')}"
            await exchange.respond_error(error_reply(error, call=call))
        finally:
            exchange.close()

    async def _serve_http(self, exchange: HttpExchange) -> None:
        self._cross_site.check(exchange.scope)
        match = self._routes.match_http(exchange.verb, exchange.raw_path)
        body = await exchange.read_body(self._max_body)
        if body:
            content_type = exchange.header(b"content-type")
            check_json_body(content_type.decode("latin-1") if content_type else None)
        request = request_from_http(match, query=exchange.query, body=body)
        await self._adapter(match.route.transport)(exchange, match.method, request)

    def _adapter(self, transport: Transport) -> Adapter:
        if transport is Transport.SSE:
            return self._events
        return serve_text if transport is Transport.TEXT else serve_unary

    async def _events(self, exchange: HttpExchange, method: Method, request: Message) -> None:
        await serve_events(exchange, method, request, keepalive=self._keepalive)

    async def _websocket(self, websocket: WebSocket) -> None:
        raw_path = bytes(websocket.scope.get("raw_path") or websocket.scope["path"].encode())
        try:
            self._cross_site.check(websocket.scope)
            match = self._routes.match_websocket(raw_path)
        except Exception as error:
            await deny(websocket, error_reply(error, call="WebSocket"))
            return
        await serve_websocket(websocket, match.method, self._shutdown)

    @contextlib.contextmanager
    def _counted(self) -> Iterator[None]:
        self._open_calls += 1
        self._all_ended.clear()
        try:
            yield
        finally:
            self._open_calls -= 1
            if self._open_calls == 0:
                self._all_ended.set()
