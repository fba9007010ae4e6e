"""Runs calls that arrive over a link on this node's own services (the link's door)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from google.protobuf.message import Message

from nanoping.errors import (
    DeadlineExceeded,
    InvalidArgument,
    NanoPingError,
    StatusCode,
    Unimplemented,
)
from nanoping.hub.link_session import IncomingCall
from nanoping.link import MessageTooLargeError
from nanoping.quoting import bounded_message, quoted
from nanoping.service.call_deadline import CALL_DEADLINE
from nanoping.service.method_table import Method, MethodKind, MethodTable
from nanoping.service.stream_start import announced

log = logging.getLogger(__name__)


async def execute(call: IncomingCall, table: MethodTable) -> None:
    """Serve ``call`` with the method it names; always ends it with a status."""
    try:
        method = table.get(call.method)
        if method is None:
            raise Unimplemented(f"method {quoted(call.method)} does not exist on this node")
        timeout = (
            None if call.deadline is None else call.deadline - asyncio.get_running_loop().time()
        )
        if timeout is None:
            await _serve(call, method)
        else:
            CALL_DEADLINE.set(call.deadline)  # calls this one makes elsewhere inherit it
            await _serve_within(call, method, timeout)
    except NanoPingError as error:
        call.end(error.code, bounded_message(error.message))
    except MessageTooLargeError as error:
        call.end(StatusCode.RESOURCE_EXHAUSTED, f"{call.method}: {error}")
    except asyncio.CancelledError:
        call.end(StatusCode.CANCELLED, "cancelled")
        raise
    except Exception:
        log.exception("%s failed unexpectedly on a routed call", call.method)
        call.end(StatusCode.INTERNAL, f"{call.method} failed: internal error")
    else:
        call.end(StatusCode.OK)


async def _serve_within(call: IncomingCall, method: Method, seconds: float) -> None:
    try:
        async with asyncio.timeout(seconds):
            await _serve(call, method)
    except TimeoutError:
        raise DeadlineExceeded(f"{call.method}: deadline exceeded") from None


async def _serve(call: IncomingCall, method: Method) -> None:
    if method.kind is MethodKind.UNARY:
        request = await _single_request(call, method)
        response: Message = await method.handler(request)  # type: ignore[misc]
        await call.send(response.SerializeToString())
        return
    if method.kind is MethodKind.SERVER_STREAMING:
        responses: AsyncIterator[Message] = method.handler(await _single_request(call, method))  # type: ignore[assignment]
    else:
        responses = method.handler(_requests(call, method))  # type: ignore[assignment]

    async def send_headers() -> None:
        call.send_headers()  # the caller's doors wait for it before saying the stream is open

    async for message in announced(responses, send_headers):
        await call.send(message.SerializeToString())


async def _single_request(call: IncomingCall, method: Method) -> Message:
    data = await call.receive()
    if data is None:
        raise InvalidArgument(f"{method.path}: the caller sent no request")
    return _decode(method, data)


async def _requests(call: IncomingCall, method: Method) -> AsyncIterator[Message]:
    while (data := await call.receive()) is not None:
        yield _decode(method, data)


def _decode(method: Method, data: bytes) -> Message:
    return method.decode_request(data)
