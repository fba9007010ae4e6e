"""Calls made through a link: the caller's side of a routed call, as async protobuf calls."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator

from google.protobuf.message import Message

from nanoping.errors import Internal, NanoPingError, StatusCode
from nanoping.hub.link_session import LinkSession, OutgoingCall
from nanoping.service.call_deadline import CALL_DEADLINE
from nanoping.service.method_table import Method
from nanoping.service.stream_start import RemoteStart


async def unary(
    session: LinkSession, method: Method, request: Message, *, target_node_id: str
) -> Message:
    """One request, one response, through the link."""
    call = session.open_call(
        method.path, target_node_id=target_node_id, deadline=CALL_DEADLINE.get()
    )
    try:
        await call.send(request.SerializeToString())
        call.half_close()
        data = await call.receive()
        if data is None:
            raise _no_response(method)
        response = method.response_type.FromString(data)
        await call.receive()  # the status that follows the response
        return response
    finally:
        call.cancel()


async def stream(
    session: LinkSession,
    method: Method,
    requests: AsyncIterator[Message],
    *,
    target_node_id: str,
) -> AsyncGenerator[Message, None]:
    """Requests out and responses in, concurrently, until the call ends or the reader stops."""
    call = session.open_call(
        method.path, target_node_id=target_node_id, deadline=CALL_DEADLINE.get()
    )
    sender = asyncio.create_task(_send_all(call, requests))
    try:
        while (data := await call.receive()) is not None:
            yield method.response_type.FromString(data)
    finally:
        call.cancel()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


def stream_started(
    session: LinkSession,
    method: Method,
    requests: AsyncIterator[Message],
    *,
    target_node_id: str,
) -> RoutedStream:
    """Like :func:`stream`, but the call starts now, before the caller sends its headers.

    A stream that subscribes at call time (streamPipelines) then subscribes at the target
    before the caller can act on the headers, instead of racing its own first change: doors
    wait for :meth:`RoutedStream.started` (the target's headers) before sending their own.
    """
    call = session.open_call(
        method.path, target_node_id=target_node_id, deadline=CALL_DEADLINE.get()
    )
    sender = asyncio.create_task(_send_all(call, requests))
    return RoutedStream(call, _responses(call, sender, method))


class RoutedStream(RemoteStart):
    """The responses of a call running on another node, which says when its handler started."""

    def __init__(self, call: OutgoingCall, responses: AsyncGenerator[Message, None]) -> None:
        self._call = call
        self._responses = responses

    async def started(self) -> None:
        """Return once the target started the handler; raise the call's error if it ended first."""
        if await self._call.headers():
            return
        ended = self._call.ended
        if ended is not None and ended.code != StatusCode.OK:
            raise NanoPingError.from_status(ended.code, ended.message)

    async def __anext__(self) -> Message:
        return await anext(self._responses)

    async def aclose(self) -> None:
        """Stop reading: the call is cancelled at the target."""
        await self._responses.aclose()


async def _responses(
    call: OutgoingCall, sender: asyncio.Task[None], method: Method
) -> AsyncGenerator[Message, None]:
    try:
        while (data := await call.receive()) is not None:
            yield method.response_type.FromString(data)
    finally:
        call.cancel()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


async def single(request: Message) -> AsyncIterator[Message]:
    """A request stream of one message (for server-streaming calls)."""
    yield request


async def _send_all(call: OutgoingCall, requests: AsyncIterator[Message]) -> None:
    async for request in requests:
        await call.send(request.SerializeToString())
    call.half_close()


def _no_response(method: Method) -> Exception:
    return Internal(f"{method.path}: the remote node ended the call without a response")
