"""The bidirectional method over a WebSocket (``authenticationByRequests``).

Client frames are request messages as JSON; server frames are ``{"result": message}`` or, once,
``{"error": {code, message}}`` before the server closes. The handshake is answered only after the
handler subscribed, so a client whose connect returned misses no request; a failure by then
(a node neither hosting nor joined to a hub) refuses the handshake with the HTTP status and
``{code, message}`` body of an ordinary error. A client that closes ends the call and its handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from google.protobuf.message import Message
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from nanoping.errors import NanoPingError
from nanoping.gateway.codec import json_bytes, message_to_json, parse_json, parse_message
from nanoping.gateway.response_stream import Pause, ResponseStream
from nanoping.gateway.status import SHUTTING_DOWN, ErrorReply, error_reply
from nanoping.service.method_table import Method

log = logging.getLogger(__name__)

NORMAL_CLOSURE = 1000
GOING_AWAY = 1001
_SEND_FAILURES = (WebSocketDisconnect, OSError, RuntimeError)


class Requests:
    """The client's frames as the handler's request iterator."""

    def __init__(self) -> None:
        self._queue: asyncio.Queue[Message | None] = asyncio.Queue()

    def put(self, request: Message | None) -> None:
        """Queue a request; None ends the iterator (the client closed)."""
        self._queue.put_nowait(request)

    async def __aiter__(self) -> AsyncIterator[Message]:
        while (request := await self._queue.get()) is not None:
            yield request


async def serve_websocket(websocket: WebSocket, method: Method, shutdown: asyncio.Event) -> None:
    """Serve one WebSocket call from handshake to close."""
    requests = Requests()
    try:
        stream = await ResponseStream.opened(
            lambda: method.handler(requests.__aiter__())  # type: ignore[arg-type,return-value]
        )
    except Exception as error:
        await deny(websocket, error_reply(error, call=method.path))
        return
    try:
        await websocket.accept()
        await _converse(websocket, method, stream, requests, shutdown)
    finally:
        await stream.close()


async def deny(websocket: WebSocket, reply: ErrorReply) -> None:
    """Refuse the handshake with an HTTP error answer."""
    response = Response(
        json_bytes(reply.body()),
        status_code=reply.http_status,
        headers=dict(reply.headers),
        media_type="application/json",
    )
    await websocket.send_denial_response(response)


async def _converse(
    websocket: WebSocket,
    method: Method,
    stream: ResponseStream,
    requests: Requests,
    shutdown: asyncio.Event,
) -> None:
    reader = asyncio.ensure_future(_read(websocket, method, requests))
    stop = asyncio.ensure_future(_first_of(reader, shutdown))
    try:
        await _pump(websocket, method, stream, stop, reader)
    finally:
        stop.cancel()
        reader.cancel()
        await asyncio.wait({stop, reader})


async def _pump(
    websocket: WebSocket,
    method: Method,
    stream: ResponseStream,
    stop: asyncio.Future[None],
    reader: asyncio.Future[ErrorReply | None],
) -> None:
    while True:
        try:
            item = await stream.next(stop, None)
        except Exception as error:
            await _close(websocket, error_reply(error, call=method.path), NORMAL_CLOSURE)
            return
        if item is Pause.ENDED:
            await _close(websocket, _bad_frame(reader), NORMAL_CLOSURE)
            return
        if item is Pause.STOPPED:
            await _stopped(websocket, reader)
            return
        if not await _send(websocket, {"result": message_to_json(item)}):  # type: ignore[arg-type]
            return


def _bad_frame(reader: asyncio.Future[ErrorReply | None]) -> ErrorReply | None:
    """The error to report for the client's bad frame, if the reader stopped on one."""
    if reader.done() and not reader.cancelled() and reader.exception() is None:
        return reader.result()
    return None


async def _stopped(websocket: WebSocket, reader: asyncio.Future[ErrorReply | None]) -> None:
    if not reader.done():
        await _close(websocket, SHUTTING_DOWN, GOING_AWAY)
    elif (bad_frame := reader.result()) is not None:
        await _close(websocket, bad_frame, NORMAL_CLOSURE)
    # else the client closed: nobody is left to tell


async def _read(websocket: WebSocket, method: Method, requests: Requests) -> ErrorReply | None:
    """Feed client frames to the handler; the reply for a bad frame, None when the client left.

    A bad frame leaves the handler's request iterator open: ending it would let the handler end
    its stream first, and the close would then race the error frame the client must see.
    """
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                requests.put(None)
                return None
            data = message.get("text")
            document = parse_json(data if data is not None else message.get("bytes") or b"")
            requests.put(parse_message(method.request_type, document))
    except NanoPingError as error:
        return error_reply(error, call=method.path)
    except _SEND_FAILURES:
        requests.put(None)
        return None


async def _first_of(reader: asyncio.Future[ErrorReply | None], shutdown: asyncio.Event) -> None:
    waiting = asyncio.ensure_future(shutdown.wait())
    either: set[asyncio.Future[Any]] = {reader, waiting}
    try:
        await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()


async def _send(websocket: WebSocket, frame: dict[str, object]) -> bool:
    """Send one frame; False when the client is gone."""
    try:
        await websocket.send_text(json_bytes(frame).decode())
    except _SEND_FAILURES:
        return False
    return True


async def _close(websocket: WebSocket, reply: ErrorReply | None, code: int) -> None:
    if reply is not None and not await _send(websocket, {"error": reply.body()}):
        return
    with contextlib.suppress(*_SEND_FAILURES):
        await websocket.close(code)
