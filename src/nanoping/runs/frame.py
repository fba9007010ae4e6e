"""Length-prefixed frames of the run control channel, without I/O.

Each frame is a 4-byte big-endian length followed by that many bytes (one serialized message).
:class:`FrameDecoder` takes bytes as they arrive and hands back whole frames, so the channel
adapter only moves bytes and the framing is tested on its own.
"""

from __future__ import annotations

import struct

_LENGTH = struct.Struct(">I")
HEADER_SIZE = _LENGTH.size
"""Bytes of the length prefix."""
MAX_FRAME_SIZE = 16 * 1024 * 1024
"""Largest frame accepted; a longer length prefix means the stream is corrupt."""


class FrameError(Exception):
    """The byte stream is not a sequence of valid frames (the channel must be closed)."""


def encode_frame(payload: bytes) -> bytes:
    """The bytes that carry ``payload`` as one frame."""
    if len(payload) > MAX_FRAME_SIZE:
        raise FrameError(f"frame of {len(payload)} bytes exceeds {MAX_FRAME_SIZE} bytes")
    return _LENGTH.pack(len(payload)) + payload


class FrameDecoder:
    """Reassembles frames from a byte stream cut at arbitrary points."""

    def __init__(self, *, max_size: int = MAX_FRAME_SIZE) -> None:
        self._buffer = bytearray()
        self._max_size = max_size

    def feed(self, data: bytes) -> list[bytes]:
        """Add received bytes; returns every frame they complete, in order."""
        self._buffer += data
        frames: list[bytes] = []
        while len(self._buffer) >= HEADER_SIZE:
            (size,) = _LENGTH.unpack_from(self._buffer)
            if size > self._max_size:
                raise FrameError(f"frame length {size} exceeds the limit of {self._max_size} bytes")
            end = HEADER_SIZE + size
            if len(self._buffer) < end:
                break
            frames.append(bytes(self._buffer[HEADER_SIZE:end]))
            del self._buffer[:end]
        return frames

    @property
    def buffered(self) -> int:
        """Bytes received that do not complete a frame yet."""
        return len(self._buffer)
