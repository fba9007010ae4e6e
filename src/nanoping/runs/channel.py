"""The control channel's asyncio adapter: protobuf messages over a Unix stream socket.

Both ends use it: the node with its end of the socket pair, the run process with the end it
inherited as a file descriptor. Framing lives in :mod:`nanoping.runs.frame`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from google.protobuf.message import Message

from nanoping.runs.frame import FrameDecoder, encode_frame

READ_SIZE = 64 * 1024
"""Bytes asked of the socket per read."""
CLOSE_TIMEOUT = 5.0
"""Seconds :meth:`ControlChannel.aclose` waits for queued messages to be written."""


class ControlChannel:
    """Sends and receives serialized messages on one connected stream socket."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._decoder = FrameDecoder()
        self._frames: list[bytes] = []

    @classmethod
    async def open(cls, sock: socket.socket) -> ControlChannel:
        """Wrap a connected Unix stream socket (the channel owns it from now on)."""
        reader, writer = await asyncio.open_unix_connection(sock=sock)
        return cls(reader, writer)

    def send(self, message: Message) -> None:
        """Queue one message for sending (messages are small; the transport buffers them)."""
        if not self._writer.is_closing():
            self._writer.write(encode_frame(message.SerializeToString()))

    async def flush(self) -> None:
        """Wait until queued messages are handed to the kernel (or the peer is gone)."""
        with contextlib.suppress(ConnectionError):
            await self._writer.drain()

    async def receive(self) -> bytes | None:
        """The next message's bytes; None once the peer closed its end (end of file)."""
        while not self._frames:
            try:
                data = await self._reader.read(READ_SIZE)
            except ConnectionError:
                data = b""
            if not data:
                return None
            self._frames = self._decoder.feed(data)
        return self._frames.pop(0)

    def close(self) -> None:
        """Close the socket; the peer's next read sees end of file."""
        self._writer.close()

    async def aclose(self) -> None:
        """Close after everything queued has been written (a process about to exit must not
        drop its last messages with its event loop); gives up after CLOSE_TIMEOUT seconds."""
        self._writer.close()
        with contextlib.suppress(ConnectionError, TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                await self._writer.wait_closed()
