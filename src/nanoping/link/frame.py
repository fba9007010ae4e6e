"""Encoding and decoding of link frames: one ``Frame`` protobuf per WebSocket binary message."""

from __future__ import annotations

from google.protobuf.message import DecodeError

from nanoping.internal.link_pb2 import Frame
from nanoping.link.errors import ProtocolError

LINK_PROTOCOL_VERSION = 2
"""Version the node puts in its Hello; the hub refuses any other (2 added CallHeaders)."""


def encode_frame(frame: Frame) -> bytes:
    """The bytes of one WebSocket binary message carrying ``frame``.

    Deterministic serialization keeps map entries (node metadata) in a stable order, so equal
    frames always give equal bytes.
    """
    return frame.SerializeToString(deterministic=True)


def decode_frame(data: bytes, *, max_size: int) -> Frame:
    """Parse one received WebSocket message; raises ``ProtocolError`` naming what is wrong.

    The size is checked before parsing so an oversized frame costs no parsing work.
    """
    if len(data) > max_size:
        raise ProtocolError(f"frame of {len(data)} bytes exceeds the limit of {max_size} bytes")
    frame = Frame()
    try:
        frame.ParseFromString(data)
    except DecodeError as error:
        raise ProtocolError(f"malformed frame of {len(data)} bytes: {error}") from error
    return frame
