"""Several frames in one WebSocket message: each frame is preceded by its length as a varint.

Under load many small frames are ready at once (a unary call alone is start, message and
half-close); sending them as one WebSocket message saves a message's worth of work per frame on
both ends. A message is never split across batches and batches stay under ``limit`` bytes
unless a single frame is bigger.
"""

from __future__ import annotations

from collections.abc import Iterable

from nanoping.link.errors import ProtocolError


def pack(frames: Iterable[bytes], *, limit: int) -> list[bytes]:
    """Group encoded frames into as few messages as fit ``limit`` bytes each."""
    messages: list[bytes] = []
    current = bytearray()
    for frame in frames:
        header = _varint(len(frame))
        if current and len(current) + len(header) + len(frame) > limit:
            messages.append(bytes(current))
            current = bytearray()
        current += header
        current += frame
    if current:
        messages.append(bytes(current))
    return messages


def unpack(message: bytes) -> list[bytes]:
    """The frames of one received message; ProtocolError if a length prefix is broken."""
    frames: list[bytes] = []
    view = memoryview(message)
    position = 0
    while position < len(view):
        length, position = _read_varint(view, position)
        end = position + length
        if end > len(view):
            raise ProtocolError(
                f"batched frame of {length} bytes runs past the end of its {len(view)}-byte message"
            )
        frames.append(bytes(view[position:end]))
        position = end
    return frames


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _read_varint(view: memoryview, position: int) -> tuple[int, int]:
    value = 0
    for shift in range(0, 35, 7):
        if position >= len(view):
            raise ProtocolError("message ends inside a frame length")
        byte = view[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
    raise ProtocolError("frame length prefix is longer than 5 bytes")
