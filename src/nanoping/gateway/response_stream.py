"""A handler's response stream, pulled one message at a time so each wait can be raced.

Streaming adapters wait for three things at once: the handler's next message, a reason to stop
(the client left, the node shuts down) and, for server-sent events, a keep-alive timer. Pulling
each message in a task of its own makes that a plain ``asyncio.wait``; closing the stream
cancels the pending pull and closes the handler, so its ``finally`` blocks run (a subscription
ends) no matter why the call ended.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import AsyncIterator, Callable
from typing import Any

from google.protobuf.message import Message

from nanoping.service.stream_start import handler_started


class Pause(enum.Enum):
    """A step of the stream that is not a message."""

    IDLE = "idle"
    """Nothing arrived within the idle interval."""
    ENDED = "ended"
    """The handler finished normally."""
    STOPPED = "stopped"
    """The stop signal resolved first."""


class ResponseStream:
    """The responses of one streaming call."""

    def __init__(self, responses: AsyncIterator[Message]) -> None:
        self._responses = responses
        self._pending: asyncio.Future[Message] | None = None

    @classmethod
    async def opened(cls, call: Callable[[], AsyncIterator[Message]]) -> ResponseStream:
        """Call the handler and :meth:`open` its stream; a failure by then is raised (also one
        raised by the call itself, as handlers that subscribe at call time do)."""
        stream = cls(call())
        try:
            await stream.open()
        except BaseException:
            await stream.close()
            raise
        return stream

    async def open(self) -> None:
        """Run the handler up to its first wait, and raise what it failed with by then.

        A handler subscribes before it first waits, so once this returns the caller can tell
        its client that the stream is ready (SSE headers, the WebSocket accept) without
        missing a later change. Failures this early (a routing error, a refused request)
        therefore still become ordinary HTTP errors.
        """
        pending = self._pull()
        await handler_started(self._responses)
        if pending.done() and not pending.cancelled():
            error = pending.exception()
            if error is not None and not isinstance(error, StopAsyncIteration):
                self._pending = None
                raise error

    async def next(self, stop: asyncio.Future[Any], idle_after: float | None) -> Message | Pause:
        """The next message, or a :class:`Pause`; the handler's failure is raised."""
        pending = self._pull()
        done, _ = await asyncio.wait(
            {pending, stop}, timeout=idle_after, return_when=asyncio.FIRST_COMPLETED
        )
        if pending in done:
            self._pending = None
            try:
                return pending.result()
            except StopAsyncIteration:
                return Pause.ENDED
        return Pause.STOPPED if stop in done else Pause.IDLE

    async def close(self) -> None:
        """Cancel a pending pull and close the handler."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.cancel()
            await asyncio.wait({pending})
            if not pending.cancelled():
                pending.exception()  # retrieved: it lost the race and nobody wants it
        close = getattr(self._responses, "aclose", None)
        if close is not None:
            await close()

    def _pull(self) -> asyncio.Future[Message]:
        if self._pending is None:
            self._pending = asyncio.ensure_future(anext(self._responses))
        return self._pending
