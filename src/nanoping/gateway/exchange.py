"""One HTTP request and its response over ASGI: the few operations the gateway's adapters use.

Besides reading a bounded body and writing answers, an exchange tells when its call must stop
early (:meth:`HttpExchange.stopped`): the client went away (the ASGI ``http.disconnect``
message) or the node is shutting down. Adapters race their handler against it, so a call whose
client left is cancelled instead of running on for nobody.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Mapping
from typing import TypeVar

from starlette.types import Receive, Scope, Send

from nanoping.errors import StatusCode, Unavailable
from nanoping.gateway.codec import json_bytes
from nanoping.gateway.status import ErrorReply, RequestRejected

JSON = "application/json"
T = TypeVar("T")


class ClientGone(Exception):
    """The client disconnected: there is nobody left to answer."""


class Stop(enum.Enum):
    """Why a call ends before its handler does."""

    CLIENT_GONE = "client gone"
    SHUTDOWN = "shutdown"


class HttpExchange:
    """An ASGI ``http`` connection seen as one request and one response."""

    def __init__(
        self, scope: Scope, receive: Receive, send: Send, *, shutdown: asyncio.Event
    ) -> None:
        self._scope = scope
        self._receive = receive
        self._send = send
        self._shutdown = shutdown
        self._stopped: asyncio.Task[Stop] | None = None
        self.started = False

    @property
    def scope(self) -> Scope:
        """The ASGI scope (headers, client, scheme) of the request."""
        return self._scope

    @property
    def verb(self) -> str:
        return str(self._scope["method"])

    @property
    def raw_path(self) -> bytes:
        raw = self._scope.get("raw_path")
        return bytes(raw) if raw else str(self._scope["path"]).encode()

    @property
    def query(self) -> bytes:
        return bytes(self._scope.get("query_string", b""))

    def header(self, name: bytes) -> bytes | None:
        """A request header's value (the first one), by lower-case name."""
        for key, value in self._scope.get("headers", []):
            if key == name:
                return bytes(value)
        return None

    async def read_body(self, limit: int) -> bytes:
        """The request body; RESOURCE_EXHAUSTED (HTTP 413) once it exceeds ``limit`` bytes."""
        declared = self.header(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await self._receive()
            if message["type"] == "http.disconnect":
                raise ClientGone()
            chunk = bytes(message.get("body", b""))
            size += len(chunk)
            if size > limit:
                raise _too_large(limit)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)

    def stopped(self) -> asyncio.Task[Stop]:
        """Resolves when the client disconnects or the node shuts down (call after the body)."""
        if self._stopped is None:
            self._stopped = asyncio.ensure_future(self._watch())
        return self._stopped

    async def run(self, call: Awaitable[T]) -> T:
        """``call``'s result, unless the exchange stops first: then ``call`` is cancelled and
        ClientGone (nobody to answer) or UNAVAILABLE (the node is shutting down) is raised."""
        task = asyncio.ensure_future(call)
        stopped = self.stopped()
        try:
            await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        except asyncio.CancelledError:
            task.cancel()
            raise
        if task.done():
            return task.result()
        task.cancel()
        await asyncio.wait({task})
        raise stop_error(stopped.result())

    async def _watch(self) -> Stop:
        shutdown = asyncio.ensure_future(self._shutdown.wait())
        gone = asyncio.ensure_future(self._client_gone())
        try:
            done, _ = await asyncio.wait({shutdown, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            shutdown.cancel()
            gone.cancel()
        return Stop.CLIENT_GONE if gone in done else Stop.SHUTDOWN

    async def _client_gone(self) -> None:
        while (await self._receive())["type"] != "http.disconnect":
            pass

    async def respond(
        self,
        status: int,
        body: bytes,
        *,
        content_type: str = JSON,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        """A complete answer with a known length."""
        extra = {**(headers or {}), "content-length": str(len(body))}
        await self.start(status, content_type=content_type, headers=extra)
        await self._send({"type": "http.response.body", "body": body})

    async def respond_error(self, reply: ErrorReply) -> None:
        """The ``{code, message}`` answer of a failed call."""
        await self.respond(reply.http_status, json_bytes(reply.body()), headers=reply.headers)

    async def start(
        self, status: int, *, content_type: str, headers: Mapping[str, str] | None = None
    ) -> None:
        """Status line and headers of an answer whose body follows in :meth:`write` calls."""
        raw_headers = [(b"content-type", content_type.encode())]
        raw_headers += [(key.encode(), value.encode()) for key, value in (headers or {}).items()]
        self.started = True
        await self._send({"type": "http.response.start", "status": status, "headers": raw_headers})

    async def write(self, chunk: bytes) -> None:
        """A piece of the body, sent at once."""
        await self._send({"type": "http.response.body", "body": chunk, "more_body": True})

    async def finish(self) -> None:
        """The end of a body sent with :meth:`write`."""
        await self._send({"type": "http.response.body", "body": b""})

    def close(self) -> None:
        """Stop watching for the client; the exchange is over."""
        if self._stopped is not None:
            self._stopped.cancel()


def stop_error(stop: Stop) -> Exception:
    """What ends a call that was stopped: ClientGone, or UNAVAILABLE for the client to see."""
    if stop is Stop.SHUTDOWN:
        return Unavailable("the node is shutting down")
    return ClientGone()


def _too_large(limit: int) -> RequestRejected:
    return RequestRejected(
        f"the request body is larger than the limit of {limit} bytes",
        code=StatusCode.RESOURCE_EXHAUSTED,
        http_status=413,
    )
