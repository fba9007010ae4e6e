"""Golden bytes of link frames: exact encodings, exact round trips, asserted decode errors."""

from __future__ import annotations

import pytest

from nanoping.api.hub_node_pb2 import Node, NodeMetadata, NodeMetadataItem
from nanoping.internal.link_pb2 import (
    CallCredit,
    CallEnd,
    CallHeaders,
    CallMessage,
    CallStart,
    Frame,
    Hello,
    Ping,
)
from nanoping.link import LinkPair, ProtocolError, decode_frame, encode_frame

GOLDEN = [
    pytest.param(
        Frame(call_message=CallMessage(call_id=1, data=b"hi")),
        bytes.fromhex("4a06 0801 1202 6869"),
        id="call_message",
    ),
    pytest.param(
        Frame(
            call_start=CallStart(call_id=3, method="/p.S/m", target_node_id="n1", timeout_ms=1500)
        ),
        # "/p.S/m" = 2f702e532f6d, "n1" = 6e31, 1500 ms as a varint = dc0b
        bytes.fromhex("4211 0803 1206 2f702e532f6d 1a02 6e31 20dc0b"),
        id="call_start",
    ),
    pytest.param(
        Frame(call_end=CallEnd(call_id=2, code=4, message="deadline exceeded")),
        bytes.fromhex("5a17 0802 1004 1a11") + b"deadline exceeded",
        id="call_end",
    ),
    pytest.param(
        Frame(call_credit=CallCredit(call_id=1, messages=32)),
        bytes.fromhex("6a04 0801 1020"),
        id="call_credit",
    ),
    pytest.param(
        Frame(call_headers=CallHeaders(call_id=1)), bytes.fromhex("7202 0801"), id="call_headers"
    ),
    pytest.param(Frame(ping=Ping(id=7)), bytes.fromhex("2202 0807"), id="ping"),
    pytest.param(
        Frame(
            hello=Hello(
                protocol_version=1,
                credential="s",
                node=Node(id="n", name="a"),
                call_window=64,
                max_message_size=1024,
            )
        ),
        # 1024 as a varint: 0x80 0x08
        bytes.fromhex("0a12 0801 120173 1a06 0a016e 120161 2040 288008"),
        id="hello",
    ),
]


@pytest.mark.parametrize(("frame", "golden"), GOLDEN)
def test_frame_encodes_to_golden_bytes(frame: Frame, golden: bytes) -> None:
    assert encode_frame(frame) == golden


@pytest.mark.parametrize(("frame", "golden"), GOLDEN)
def test_golden_bytes_decode_and_reencode_exactly(frame: Frame, golden: bytes) -> None:
    decoded = decode_frame(golden, max_size=1024)
    assert decoded == frame
    assert encode_frame(decoded) == golden


def test_connection_sends_the_golden_call_start() -> None:
    pair = LinkPair(now=100.0)
    pair.handshake()
    call_id = pair.node.start_call("/p.S/m", now=100.0, target_node_id="n1", deadline=101.5)
    assert call_id == 1
    assert pair.node.data_to_send() == [
        bytes.fromhex("4211 0801 1206 2f702e532f6d 1a02 6e31 20dc0b")
    ]


def test_metadata_map_encodes_deterministically() -> None:
    items = {
        key: NodeMetadataItem(string_value=key.upper()) for key in ("zone", "rack", "az", "row")
    }
    frame = Frame(hello=Hello(node=Node(id="n", metadata=NodeMetadata(items=items))))
    encoded = encode_frame(frame)
    reordered = dict(reversed(list(items.items())))
    other = Frame(hello=Hello(node=Node(id="n", metadata=NodeMetadata(items=reordered))))
    assert encode_frame(other) == encoded
    assert encode_frame(decode_frame(encoded, max_size=1024)) == encoded


def test_frame_over_the_size_limit_is_refused_unparsed() -> None:
    with pytest.raises(ProtocolError, match=r"^frame of 11 bytes exceeds the limit of 10 bytes$"):
        decode_frame(b"\xff" * 11, max_size=10)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"\xff\xff\xff", id="truncated-varint"),
        pytest.param(b"\x00\x01", id="field-zero"),
        pytest.param(b"\x4a\x05ab", id="short-submessage"),
    ],
)
def test_malformed_frame_names_the_problem(data: bytes) -> None:
    with pytest.raises(ProtocolError, match=rf"^malformed frame of {len(data)} bytes: "):
        decode_frame(data, max_size=1024)
