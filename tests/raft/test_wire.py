"""The Raft v1 wire format: golden bytes from docs/raft-wire-format.md, round trips, bad input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoping.raft import wire

# Golden datagrams, written field by field from the document's tables.
HEADER_DATA = "52460102010203040a0b0c0d00000007000003e8"
GOLDEN: dict[str, tuple[str, wire.Header, wire.Body]] = {
    "data": (
        HEADER_DATA + "00000009" + "00000005" + "000003e7" + "00" + "6869",
        wire.Header(
            kind=wire.DATA, src_session=0x01020304, dst_session=0x0A0B0C0D, pkt_num=7, tx_us=1000
        ),
        wire.Data(stream_handle=9, seq=5, src_us=999, flags=0, payload=b"hi"),
    ),
    "hello": (
        "5246010101020304000000000000000000000000" + "1122334455667788" + "01",
        wire.Header(kind=wire.HELLO, src_session=0x01020304, dst_session=0, pkt_num=0, tx_us=0),
        wire.Hello(carrier_handle=0x1122334455667788, flags=wire.HELLO_REPLY),
    ),
    "nack": (
        "5246"
        "01"
        "05"
        "00000001"
        "00000002"
        "00000003"
        "00000004" + "00000009" + "0002" + "00000064"
        "0003" + "000000c8"
        "0001",
        wire.Header(kind=wire.NACK, src_session=1, dst_session=2, pkt_num=3, tx_us=4),
        wire.Nack(stream_handle=9, ranges=((100, 3), (200, 1))),
    ),
    "skip": (
        "5246"
        "01"
        "ff"
        "00000001"
        "00000002"
        "00000003"
        "00000004" + "00000009" + "0002" + "00000064"
        "0003" + "000000c8"
        "0001",
        wire.Header(kind=wire.SKIP, src_session=1, dst_session=2, pkt_num=3, tx_us=4),
        wire.Skip(stream_handle=9, ranges=((100, 3), (200, 1))),
    ),
    "feedback": (
        "5246010400000001000000020000000300000004" + "".join(f"{i:08x}" for i in range(1, 10)),
        wire.Header(kind=wire.FEEDBACK, src_session=1, dst_session=2, pkt_num=3, tx_us=4),
        wire.Feedback(1, 2, 3, 4, 5, 6, 7, 8, 9),
    ),
    "repair": (
        "5246010300000001000000020000000300000004" + "00000009" + "110005f003000000100002abcd",
        wire.Header(kind=wire.REPAIR, src_session=1, dst_session=2, pkt_num=3, tx_us=4),
        wire.Repair(stream_handle=9, codec=bytes.fromhex("110005f003000000100002abcd")),
    ),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_golden_bytes_encode_and_decode_exactly(name: str) -> None:
    hex_bytes, header, body = GOLDEN[name]
    datagram = bytes.fromhex(hex_bytes)
    kind, encoded = wire.encode_body(body)
    assert kind == header.kind
    assert wire.encode(header, encoded) == datagram
    assert wire.decode(datagram) == (header, body)


@given(
    src=st.integers(1, 2**32 - 1),
    dst=st.integers(0, 2**32 - 1),
    pkt=st.integers(0, 2**32 - 1),
    tx=st.integers(0, 2**32 - 1),
    stream=st.integers(0, 2**32 - 1),
    seq=st.integers(0, 2**32 - 1),
    payload=st.binary(max_size=300),
)
def test_data_round_trips(
    src: int, dst: int, pkt: int, tx: int, stream: int, seq: int, payload: bytes
) -> None:
    header = wire.Header(kind=wire.DATA, src_session=src, dst_session=dst, pkt_num=pkt, tx_us=tx)
    body = wire.Data(stream, seq, tx, wire.DATA_RETRANSMIT, payload)
    assert wire.decode(wire.encode(header, wire.encode_body(body)[1])) == (header, body)


@given(
    ranges=st.lists(
        st.tuples(st.integers(0, 2**32 - 1), st.integers(1, 0xFFFF)), min_size=1, max_size=64
    )
)
def test_nack_round_trips(ranges: list[tuple[int, int]]) -> None:
    header = wire.Header(kind=wire.NACK, src_session=5, dst_session=6, pkt_num=0, tx_us=0)
    body = wire.Nack(3, tuple(ranges))
    assert wire.decode(wire.encode(header, wire.encode_body(body)[1])) == (header, body)


@pytest.mark.parametrize(
    ("hex_bytes", "reason", "words"),
    [
        ("5246", "short", "2 bytes"),
        ("4746" + "01" * 18, "foreign", "magic"),
        ("52460202" + "00000001" * 4, "version", "version 2"),
        ("5246010200000000" + "00000001" * 3, "malformed", "session 0"),
        ("52460109" + "00000001" * 4, "malformed", "unknown packet type 9"),
        ("52460102" + "00000001" * 4 + "0000", "malformed", "DATA body of 2 bytes"),
        ("52460101" + "00000001" * 4 + "00", "malformed", "HELLO body of 1 bytes"),
        ("52460105" + "00000001" * 4 + "000000010000", "malformed", "0 ranges"),
        ("52460105" + "00000001" * 4 + "00000001000100000001", "malformed", "NACK body"),
        ("52460105" + "00000001" * 4 + "000000010001000000010000", "malformed", "0 packets"),
        ("52460104" + "00000001" * 4 + "00", "malformed", "FEEDBACK body"),
        ("52460103" + "00000001" * 4 + "0000000111", "malformed", "REPAIR body"),
    ],
)
def test_bad_datagrams_are_refused_with_a_reason(hex_bytes: str, reason: str, words: str) -> None:
    with pytest.raises(wire.WireError) as caught:
        wire.decode(bytes.fromhex(hex_bytes))
    assert caught.value.reason == reason
    assert words in str(caught.value)


@given(st.binary(max_size=80))
def test_garbage_raises_only_wire_errors(garbage: bytes) -> None:
    reason = "accepted"
    try:
        wire.decode(garbage)
    except wire.WireError as error:
        reason = error.reason
    assert reason in {"accepted", "short", "foreign", "version", "malformed"}


def test_encoding_refuses_nacks_the_format_cannot_hold() -> None:
    with pytest.raises(ValueError, match="1 to 64 ranges"):
        wire.encode_body(wire.Nack(1, ()))
    with pytest.raises(ValueError, match="1 to 65535 packets"):
        wire.encode_body(wire.Nack(1, ((5, 0x10000),)))


@given(
    src=st.integers(1, 2**32 - 1),
    dst=st.integers(0, 2**32 - 1),
    pkt=st.integers(0, 2**40),
    tx=st.integers(0, 2**40),
    stream=st.integers(0, 2**32 - 1),
    seq=st.integers(0, 2**40),
    src_us=st.integers(0, 2**40),
    flags=st.integers(0, 255),
    payload=st.binary(max_size=64),
)
def test_data_fast_paths_match_the_general_codec(
    src: int,
    dst: int,
    pkt: int,
    tx: int,
    stream: int,
    seq: int,
    src_us: int,
    flags: int,
    payload: bytes,
) -> None:
    header = wire.Header(kind=wire.DATA, src_session=src, dst_session=dst, pkt_num=pkt, tx_us=tx)
    body = wire.Data(stream, seq, src_us, flags, payload)
    datagram = wire.encode(header, wire.encode_body(body)[1])
    fast = wire.encode_header(wire.DATA, src, dst, pkt, tx) + wire.encode_data(
        stream, seq, src_us, flags, payload
    )
    assert fast == datagram
    decoded_header, decoded = wire.decode(datagram)
    assert isinstance(decoded, wire.Data)
    assert wire.decode_data(datagram) == (
        decoded_header.src_session,
        decoded_header.dst_session,
        decoded_header.pkt_num,
        decoded_header.tx_us,
        decoded.stream_handle,
        decoded.seq,
        decoded.src_us,
        decoded.flags,
        decoded.payload,
    )


@given(st.binary(max_size=48), st.sampled_from(["", "52460102", "5246010200000000"]))
def test_data_fast_decode_accepts_only_what_decode_calls_data(tail: bytes, prefix: str) -> None:
    datagram = bytes.fromhex(prefix) + tail
    fields = wire.decode_data(datagram)
    if fields is None:
        return
    header, body = wire.decode(datagram)
    assert isinstance(body, wire.Data)
    assert fields == (
        header.src_session,
        header.dst_session,
        header.pkt_num,
        header.tx_us,
        body.stream_handle,
        body.seq,
        body.src_us,
        body.flags,
        body.payload,
    )


def test_data_fast_decode_leaves_other_packets_to_decode() -> None:
    for name in ("hello", "nack", "feedback", "repair"):
        assert wire.decode_data(bytes.fromhex(GOLDEN[name][0])) is None
    data = bytes.fromhex(GOLDEN["data"][0])
    assert wire.decode_data(data[:-3]) is None  # shorter than a DATA header
    assert wire.decode_data(data[:4] + bytes(4) + data[8:]) is None  # source session 0
