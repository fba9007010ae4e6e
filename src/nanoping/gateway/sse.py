"""Server-streaming methods as server-sent events.

The status line and headers go out once the handler has subscribed (as the gRPC bridge sends its
initial metadata), so a client that waits for them misses no later change; a failure before that
is an ordinary HTTP error. Then each message is one event whose ``data:`` line is the message's
JSON, a comment line keeps an idle stream alive through proxies, a failure is an ``error`` event
carrying ``{code, message}``, and a normal end closes the response. A client that goes away
cancels the handler.
"""

from __future__ import annotations

from google.protobuf.message import Message

from nanoping.gateway.codec import json_bytes, message_to_json
from nanoping.gateway.exchange import HttpExchange, Stop
from nanoping.gateway.response_stream import Pause, ResponseStream
from nanoping.gateway.status import SHUTTING_DOWN, ErrorReply, error_reply
from nanoping.service.method_table import Method

KEEPALIVE_INTERVAL = 15.0
"""Seconds of silence after which a comment line is sent (proxies drop idle connections)."""

EVENT_STREAM_HEADERS = {"cache-control": "no-cache", "x-accel-buffering": "no"}
KEEPALIVE = b": keep-alive\n\n"


async def serve_events(
    exchange: HttpExchange, method: Method, request: Message, *, keepalive: float
) -> None:
    """Stream the handler's responses as events until it ends, fails or the client leaves."""
    stream = await ResponseStream.opened(lambda: method.handler(request))  # type: ignore[arg-type,return-value]
    try:
        await exchange.start(200, content_type="text/event-stream", headers=EVENT_STREAM_HEADERS)
        await _pump(exchange, stream, method, keepalive)
    finally:
        await stream.close()


async def _pump(
    exchange: HttpExchange, stream: ResponseStream, method: Method, keepalive: float
) -> None:
    stopped = exchange.stopped()
    while True:
        try:
            item = await stream.next(stopped, keepalive)
        except Exception as error:
            await _end_with_error(exchange, error_reply(error, call=method.path))
            return
        if item is Pause.IDLE:
            await exchange.write(KEEPALIVE)
        elif item is Pause.ENDED:
            await exchange.finish()
            return
        elif item is Pause.STOPPED:
            if stopped.result() is Stop.SHUTDOWN:
                await _end_with_error(exchange, SHUTTING_DOWN)
            return
        else:
            await exchange.write(event(json_bytes(message_to_json(item))))


def event(data: bytes, *, name: str = "") -> bytes:
    """One event: an optional ``event:`` line, one ``data:`` line (compact JSON has no
    newlines), and the blank line that ends it."""
    head = b"event: " + name.encode() + b"\n" if name else b""
    return head + b"data: " + data + b"\n\n"


async def _end_with_error(exchange: HttpExchange, reply: ErrorReply) -> None:
    await exchange.write(event(json_bytes(reply.body()), name="error"))
    await exchange.finish()
