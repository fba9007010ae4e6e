"""When a streaming handler is live, so a door may tell its caller the stream is open.

Doors send a stream's headers (gRPC initial metadata, SSE status line, WebSocket accept) only
once its handler has started: callers wait for them before making changes they expect the
stream to report. A local handler has started once it ran up to its first wait (where it
subscribes). A handler running on another node says so itself: its response stream is a
:class:`RemoteStart`, which resolves once the target node has started the handler.
"""

from __future__ import annotations

import abc
import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from google.protobuf.message import Message


class RemoteStart(AsyncIterator[Message], abc.ABC):
    """A response stream whose handler runs elsewhere and reports when it has started."""

    @abc.abstractmethod
    async def started(self) -> None:
        """Return once the remote handler has started; raise its failure if it ended first."""


async def handler_started(responses: AsyncIterator[Message]) -> None:
    """Wait until the handler behind ``responses`` (already being pulled) has started.

    The pull must have been scheduled before: one loop turn runs a local handler up to its
    first wait; a routed stream then also waits for the target's word.
    """
    await asyncio.sleep(0)
    if isinstance(responses, RemoteStart):
        await responses.started()


async def announced(
    responses: AsyncIterator[Message], announce: Callable[[], Awaitable[None]]
) -> AsyncIterator[Message]:
    """The responses, with ``announce`` awaited as soon as the handler has started.

    A handler that failed (or ended) before it started is not announced: its error reaches the
    caller as an early failure, as if the stream never opened.
    """
    first = asyncio.ensure_future(anext(responses))
    try:
        await handler_started(responses)
        if not (first.done() and first.exception() is not None):
            await announce()
        response = await first
    except StopAsyncIteration:
        return
    finally:
        if not first.cancel() and not first.cancelled():
            first.exception()  # retrieved: an error raised elsewhere made it moot
    yield response
    async for response in responses:
        yield response


class OpenedLater(RemoteStart):
    """A response stream found by awaiting ``open`` (the hub's link may have to come up first).

    Its handler has started once the found stream's handler did, wherever that runs.
    """

    def __init__(self, open_stream: Callable[[], Awaitable[AsyncIterator[Message]]]) -> None:
        self._open_stream = open_stream
        self._opened: asyncio.Future[AsyncIterator[Message]] | None = None

    def _responses(self) -> asyncio.Future[AsyncIterator[Message]]:
        if self._opened is None:
            self._opened = asyncio.ensure_future(self._open_stream())
        return self._opened

    async def started(self) -> None:
        """Return once the found stream's handler has started; raise why it could not be."""
        await handler_started(await self._responses())

    async def __anext__(self) -> Message:
        return await anext(await self._responses())

    async def aclose(self) -> None:
        """Stop opening, or close the stream that was found."""
        opened, self._opened = self._opened, None
        if opened is None:
            return
        opened.cancel()
        await asyncio.wait({opened})
        if opened.cancelled() or opened.exception() is not None:
            return
        close = getattr(opened.result(), "aclose", None)
        if close is not None:
            await close()
