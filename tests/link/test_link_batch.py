"""Several frames per WebSocket message: golden bytes, limits and broken prefixes."""

from __future__ import annotations

import pytest

from nanoping.link.batch import pack, unpack
from nanoping.link.errors import ProtocolError


def test_golden_bytes_and_round_trip() -> None:
    frames = [b"abc", b"", b"x" * 200]
    (message,) = pack(frames, limit=1024)
    assert message == b"\x03abc" + b"\x00" + b"\xc8\x01" + b"x" * 200
    assert unpack(message) == frames


def test_batches_respect_the_limit_but_never_split_a_frame() -> None:
    messages = pack([b"a" * 6, b"b" * 6, b"c" * 20], limit=10)
    assert messages == [b"\x06" + b"a" * 6, b"\x06" + b"b" * 6, b"\x14" + b"c" * 20]
    assert [frame for message in messages for frame in unpack(message)] == [
        b"a" * 6,
        b"b" * 6,
        b"c" * 20,
    ]


def test_nothing_to_send_is_no_message() -> None:
    assert pack([], limit=10) == []


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (b"\x05abc", "batched frame of 5 bytes runs past the end of its 4-byte message"),
        (b"\x80", "message ends inside a frame length"),
        (b"\xff\xff\xff\xff\xff\x01", "frame length prefix is longer than 5 bytes"),
    ],
)
def test_broken_prefixes_are_protocol_errors(message: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        unpack(message)
