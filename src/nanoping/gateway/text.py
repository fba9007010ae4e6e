"""``downloadLogFile`` over HTTP: the file's chunks as one ``text/plain`` body.

The gRPC method streams ``DownloadLogFileChunk`` messages: pieces of the file, or one ``error``
that ends the stream. Over REST the client wants the whole file as text, so the pieces are
written as they come (a large file is never held in memory). An error before any content is an
ordinary HTTP error (NOT_FOUND: the chunk carries no code, and the usual reason is a missing
file); one after content started can only cut the body short, which the client sees as a broken
transfer instead of a silently truncated file.
"""

from __future__ import annotations

import logging

from google.protobuf.message import Message

from nanoping.errors import NotFound
from nanoping.gateway.exchange import HttpExchange, stop_error
from nanoping.gateway.response_stream import Pause, ResponseStream
from nanoping.service.method_table import Method

log = logging.getLogger(__name__)

TEXT = "text/plain; charset=utf-8"


class TruncatedBody(Exception):
    """The file became unreadable after part of it was sent; the connection is cut."""


async def serve_text(exchange: HttpExchange, method: Method, request: Message) -> None:
    """Send the file's bytes as they arrive; the first piece starts the 200 answer."""
    stream = await ResponseStream.opened(lambda: method.handler(request))  # type: ignore[arg-type,return-value]
    stopped = exchange.stopped()
    try:
        while (item := await stream.next(stopped, None)) is not Pause.ENDED:
            if item is Pause.STOPPED:
                raise stop_error(stopped.result())
            assert isinstance(item, Message)
            await _write_chunk(exchange, item)
        if not exchange.started:
            await exchange.start(200, content_type=TEXT)
        await exchange.finish()
    finally:
        await stream.close()


async def _write_chunk(exchange: HttpExchange, chunk: Message) -> None:
    error = _chunk_error(chunk)
    if error is not None:
        if exchange.started:
            log.warning("log download cut short: %s", error)
            raise TruncatedBody(error)
        raise NotFound(error)
    if not exchange.started:
        await exchange.start(200, content_type=TEXT)
    await exchange.write(bytes(chunk.file_chunk.content))  # type: ignore[attr-defined]


def _chunk_error(chunk: Message) -> str | None:
    return str(chunk.error) if chunk.WhichOneof("response") == "error" else None  # type: ignore[attr-defined]
