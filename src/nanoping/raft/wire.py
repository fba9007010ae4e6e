"""The Raft wire format, version 1: one datagram per carrier packet (docs/raft-wire-format.md).

Every datagram starts with a 20-byte common header; the type byte says which body follows.
Integers are big-endian and unsigned. Decoding never raises anything but :class:`WireError`,
whose ``reason`` names what was wrong so the endpoint can count it.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

MAGIC = b"RF"
VERSION = 1
U32 = 1 << 32
HEADER = struct.Struct(">2sBBIIII")
HEADER_BYTES = HEADER.size  # 20

HELLO, DATA, REPAIR, FEEDBACK, NACK = 1, 2, 3, 4, 5
SKIP = 255
"""Sender's notice that it gave up on sequence numbers it never sent (types are taken from the
top of the free range downwards for this kind of message)."""

_HELLO = struct.Struct(">QB")
_DATA = struct.Struct(">IIIB")
_FEEDBACK = struct.Struct(">IIIIIIIII")
_NACK_HEAD = struct.Struct(">IH")
_REPAIR = struct.Struct(">I")
REPAIR_MIN_CODEC = 11
"""Smallest codec repair: its 9-byte header and a 2-byte symbol."""
_NACK_RANGE = struct.Struct(">IH")
DATA_OVERHEAD = HEADER_BYTES + _DATA.size
"""Bytes a DATA datagram adds to its payload."""

HELLO_REPLY = 0x01
"""HELLO flag: the sender does not know the receiver's session yet, answer with a HELLO."""
DATA_RETRANSMIT = 0x01
"""DATA flag: this is a retransmission requested by a NACK."""


class WireError(ValueError):
    """A datagram that is not a valid Raft v1 packet; ``reason`` is a short counter name."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Header:
    """The common header every Raft datagram starts with."""

    kind: int
    """Packet type (HELLO, DATA, REPAIR, FEEDBACK, NACK)."""
    src_session: int
    """Session id of the sending endpoint (random, new at every start)."""
    dst_session: int
    """Session id of the receiving endpoint as the sender knows it; 0 if unknown (HELLO only)."""
    pkt_num: int
    """Per carrier and sender, +1 for every datagram sent; loss and reorder accounting."""
    tx_us: int
    """Sender's clock at transmission, microseconds since its session started, mod 2^32."""


@dataclass(frozen=True, slots=True)
class Hello:
    """Handshake and keep-alive: names the carrier and asks for a reply when needed."""

    carrier_handle: int
    """The carrier handle configured on the sender; must match the receiver's."""
    flags: int
    """HELLO_REPLY when the sender wants a HELLO back."""


@dataclass(frozen=True, slots=True)
class Data:
    """One application packet of one stream."""

    stream_handle: int
    """Stream the packet belongs to."""
    seq: int
    """Per-stream sequence number, mod 2^32, starting at 0 for each peer session."""
    src_us: int
    """Sender's clock when the application handed the packet over (µs, mod 2^32)."""
    flags: int
    """DATA_RETRANSMIT for retransmissions."""
    payload: bytes
    """The application bytes."""


@dataclass(frozen=True, slots=True)
class Repair:
    """A repair symbol of one stream's sliding-window code (format: docs/fec-wire-formats.md)."""

    stream_handle: int
    """Stream whose packets it protects."""
    codec: bytes
    """The codec's repair datagram: type 0x11, repair key, DT/NSS, FSS ESI, coded symbol."""


@dataclass(frozen=True, slots=True)
class Feedback:
    """Receiver report about one carrier: cumulative counters, delay and an RTT echo."""

    highest_pkt: int
    """Highest packet number received on the carrier."""
    received: int
    """Datagrams received on the carrier so far (mod 2^32)."""
    lost: int
    """Packet numbers never received so far (mod 2^32)."""
    loss_runs: int
    """Runs of consecutive lost packet numbers so far (mod 2^32): mean burst = lost / runs."""
    bytes_received: int
    """Datagram bytes received so far (mod 2^32)."""
    rx_clock_us: int
    """Receiver's clock when it wrote this report (µs, mod 2^32): for delivery rates."""
    echo_tx_us: int
    """``tx_us`` of the latest datagram received on the carrier."""
    hold_us: int
    """Microseconds between that datagram's arrival and this report."""
    queue_delay_us: int
    """Smoothed one-way delay above the carrier's minimum: the queue building up on the path."""


@dataclass(frozen=True, slots=True)
class Nack:
    """Receiver request to retransmit ranges of a stream's sequence numbers."""

    stream_handle: int
    """Stream whose packets are missing."""
    ranges: tuple[tuple[int, int], ...]
    """(first sequence number, count) pairs."""


@dataclass(frozen=True, slots=True)
class Skip:
    """Sender notice: these sequence numbers of a stream will never be sent, stop waiting."""

    stream_handle: int
    """Stream the numbers belong to."""
    ranges: tuple[tuple[int, int], ...]
    """(first sequence number, count) pairs."""


Body = Hello | Data | Repair | Feedback | Nack | Skip
NACK_MAX_RANGES = 64
"""Most ranges one NACK carries (keeps it well under any MTU)."""


_pack_header = HEADER.pack
_pack_data = _DATA.pack
_unpack_data_datagram = struct.Struct(">2sBBIIIIIIIB").unpack_from
_DATA_PREFIX = MAGIC + bytes([VERSION, DATA])


def encode_header(kind: int, src_session: int, dst_session: int, pkt_num: int, tx_us: int) -> bytes:
    """The common header alone, the same bytes as :func:`encode` puts first (no Header object)."""
    return _pack_header(MAGIC, VERSION, kind, src_session, dst_session, pkt_num % U32, tx_us % U32)


def encode_data(stream_handle: int, seq: int, src_us: int, flags: int, payload: bytes) -> bytes:
    """The encoded DATA body, the same bytes as :func:`encode_body` of a :class:`Data`."""
    return _pack_data(stream_handle, seq % U32, src_us % U32, flags) + payload


def decode_data(
    datagram: bytes,
) -> tuple[int, int, int, int, int, int, int, int, bytes] | None:
    """A valid DATA datagram's fields without building objects, or None for anything else.

    (src session, dst session, pkt_num, tx_us, stream handle, seq, src_us, flags, payload):
    what :func:`decode` yields for it. None says "use :func:`decode`", which then tells what
    the datagram is or why it is refused.
    """
    if len(datagram) < DATA_OVERHEAD or datagram[:4] != _DATA_PREFIX:
        return None
    _, _, _, src, dst, pkt_num, tx_us, stream, seq, src_us, flags = _unpack_data_datagram(datagram)
    if src == 0:
        return None
    return src, dst, pkt_num, tx_us, stream, seq, src_us, flags, datagram[DATA_OVERHEAD:]


def encode(header: Header, body: bytes) -> bytes:
    """Join a common header and an encoded body into one datagram."""
    return (
        HEADER.pack(
            MAGIC,
            VERSION,
            header.kind,
            header.src_session,
            header.dst_session,
            header.pkt_num % U32,
            header.tx_us % U32,
        )
        + body
    )


def encode_body(body: Body) -> tuple[int, bytes]:
    """The type byte and the encoded bytes of a body."""
    if isinstance(body, Data):
        head = _DATA.pack(body.stream_handle, body.seq % U32, body.src_us % U32, body.flags)
        return DATA, head + body.payload
    if isinstance(body, Hello):
        return HELLO, _HELLO.pack(body.carrier_handle, body.flags)
    if isinstance(body, Repair):
        return REPAIR, _REPAIR.pack(body.stream_handle) + body.codec
    if isinstance(body, Feedback):
        return FEEDBACK, _encode_feedback(body)
    if isinstance(body, Skip):
        return SKIP, _encode_skip(body)
    return NACK, _encode_nack(body)


def _encode_feedback(body: Feedback) -> bytes:
    return _FEEDBACK.pack(
        body.highest_pkt % U32,
        body.received % U32,
        body.lost % U32,
        body.loss_runs % U32,
        body.bytes_received % U32,
        body.rx_clock_us % U32,
        body.echo_tx_us % U32,
        min(body.hold_us, U32 - 1),
        min(body.queue_delay_us, U32 - 1),
    )


def _encode_nack(body: Nack) -> bytes:
    if not 1 <= len(body.ranges) <= NACK_MAX_RANGES:
        raise ValueError(f"a NACK carries 1 to {NACK_MAX_RANGES} ranges, not {len(body.ranges)}")
    parts = [_NACK_HEAD.pack(body.stream_handle, len(body.ranges))]
    for first, count in body.ranges:
        if not 1 <= count <= 0xFFFF:
            raise ValueError(f"a NACK range holds 1 to 65535 packets, not {count}")
        parts.append(_NACK_RANGE.pack(first % U32, count))
    return b"".join(parts)


def _encode_skip(body: Skip) -> bytes:
    """Same layout as a NACK: stream handle, range count, (first, count) ranges."""
    if not 1 <= len(body.ranges) <= NACK_MAX_RANGES:
        raise ValueError(f"a SKIP carries 1 to {NACK_MAX_RANGES} ranges, not {len(body.ranges)}")
    parts = [_NACK_HEAD.pack(body.stream_handle, len(body.ranges))]
    for first, count in body.ranges:
        if not 1 <= count <= 0xFFFF:
            raise ValueError(f"a SKIP range holds 1 to 65535 packets, not {count}")
        parts.append(_NACK_RANGE.pack(first % U32, count))
    return b"".join(parts)


def _decode_skip(rest: memoryview) -> Skip:
    nack = _decode_nack(rest, "SKIP")
    return Skip(nack.stream_handle, nack.ranges)


def decode(datagram: bytes) -> tuple[Header, Body]:
    """Parse one datagram; raises :class:`WireError` naming what was wrong."""
    if len(datagram) < HEADER_BYTES:
        raise WireError("short", f"{len(datagram)} bytes, a header needs {HEADER_BYTES}")
    magic, version, kind, src, dst, pkt_num, tx_us = HEADER.unpack_from(datagram)
    if magic != MAGIC:
        raise WireError("foreign", f"magic {magic!r} is not {MAGIC!r}")
    if version != VERSION:
        raise WireError("version", f"version {version} is not {VERSION}")
    if src == 0:
        raise WireError("malformed", "source session 0 is reserved")
    header = Header(kind=kind, src_session=src, dst_session=dst, pkt_num=pkt_num, tx_us=tx_us)
    return header, _decode_body(kind, memoryview(datagram)[HEADER_BYTES:])


def _decode_body(kind: int, rest: memoryview) -> Body:
    if kind == DATA:
        _need(rest, _DATA.size, "DATA")
        stream, seq, src_us, flags = _DATA.unpack_from(rest)
        return Data(stream, seq, src_us, flags, bytes(rest[_DATA.size :]))
    if kind == HELLO:
        _exact(rest, _HELLO.size, "HELLO")
        return Hello(*_HELLO.unpack_from(rest))
    if kind == REPAIR:
        _need(rest, _REPAIR.size + REPAIR_MIN_CODEC, "REPAIR")
        return Repair(_REPAIR.unpack_from(rest)[0], bytes(rest[_REPAIR.size :]))
    if kind == FEEDBACK:
        _exact(rest, _FEEDBACK.size, "FEEDBACK")
        return Feedback(*_FEEDBACK.unpack_from(rest))
    if kind == NACK:
        return _decode_nack(rest)
    if kind == SKIP:
        return _decode_skip(rest)
    raise WireError("malformed", f"unknown packet type {kind}")


def _decode_nack(rest: memoryview, name: str = "NACK") -> Nack:
    _need(rest, _NACK_HEAD.size, name)
    stream, count = _NACK_HEAD.unpack_from(rest)
    if not 1 <= count <= NACK_MAX_RANGES:
        raise WireError("malformed", f"{name} with {count} ranges (1 to {NACK_MAX_RANGES} allowed)")
    _exact(rest, _NACK_HEAD.size + count * _NACK_RANGE.size, name)
    ranges = tuple(
        _NACK_RANGE.unpack_from(rest, _NACK_HEAD.size + i * _NACK_RANGE.size) for i in range(count)
    )
    if any(n == 0 for _, n in ranges):
        raise WireError("malformed", f"{name} range of 0 packets")
    return Nack(stream, ranges)


def _need(rest: memoryview, size: int, name: str) -> None:
    if len(rest) < size:
        raise WireError("malformed", f"{name} body of {len(rest)} bytes, needs {size}")


def _exact(rest: memoryview, size: int, name: str) -> None:
    if len(rest) != size:
        raise WireError("malformed", f"{name} body of {len(rest)} bytes, must be {size}")
