"""Pure-Python references of the native code (the GF(2^8) kernel, the AEAD bookkeeping), kept
only so tests can check the native code against them."""

from __future__ import annotations

import struct
from collections import OrderedDict
from collections.abc import Callable, Sequence

from nanoping.fec.aead import (
    PACKET_TYPE,
    SALTS_KEPT,
    TAG_SIZE,
    OpenerCounters,
    ReplayWindow,
)
from nanoping.fec.gf256 import mul

_MASK32 = 0xFFFFFFFF
_MAT1, _MAT2, _TMAT = 0x8F7011EE, 0xFC78FF1F, 0x3793FDFF


def mul_add(dst: bytearray, src: bytes, coef: int) -> None:
    """dst[:len(src)] ^= coef * src, one byte at a time."""
    for index, byte in enumerate(src):
        dst[index] ^= mul(coef, byte)


def combine(dst: bytearray, sources: Sequence[bytes], coefs: bytes) -> None:
    """dst ^= sum of coefs[i] * sources[i]."""
    for source, coef in zip(sources, coefs, strict=True):
        mul_add(dst, source, coef)


class TinyMT32:
    """TinyMT32 with RFC 8682's parameters, written from the algorithm's description."""

    def __init__(self, seed: int) -> None:
        status = [seed & _MASK32, _MAT1, _MAT2, _TMAT]
        for i in range(1, 8):
            prev = status[(i - 1) & 3]
            status[i & 3] ^= (i + 1812433253 * (prev ^ (prev >> 30))) & _MASK32
        self.status = status
        for _ in range(8):
            self._next_state()

    def _next_state(self) -> None:
        s = self.status
        y = s[3]
        x = (s[0] & 0x7FFFFFFF) ^ s[1] ^ s[2]
        x = (x ^ (x << 1)) & _MASK32
        y ^= (y >> 1) ^ x
        s[0], s[1], s[2], s[3] = s[1], s[2], (x ^ (y << 10)) & _MASK32, y
        if y & 1:
            s[1] ^= _MAT1
            s[2] ^= _MAT2

    def next_uint32(self) -> int:
        """The next 32-bit output."""
        self._next_state()
        s = self.status
        t1 = (s[0] + (s[2] >> 8)) & _MASK32
        t0 = s[3] ^ t1
        if t1 & 1:
            t0 ^= _TMAT
        return t0


def coefficients(seed: int, count: int) -> bytes:
    """Non-zero coding coefficients: low bytes of TinyMT32(seed) outputs, zeros skipped."""
    generator = TinyMT32(seed)
    out = bytearray()
    while len(out) < count:
        value = generator.next_uint32() & 0xFF
        if value:
            out.append(value)
    return bytes(out)


def _symbol(payload: bytes, size: int) -> bytes:
    return (len(payload).to_bytes(2, "big") + payload).ljust(size, b"\0")


def frame(prefix: bytes, index_size: int, start: int, payloads: Sequence[bytes]) -> list[bytes]:
    """prefix || index (big-endian, wrapping) || payload for each payload."""
    mask = (1 << (8 * index_size)) - 1
    return [
        prefix + ((start + i) & mask).to_bytes(index_size, "big") + p
        for i, p in enumerate(payloads)
    ]


def encode(headers: Sequence[bytes], payloads: Sequence[bytes], matrix: bytes) -> list[bytes]:
    """headers[r] || sum of matrix[r][j] * symbol(payloads[j]), symbols padded to the longest."""
    size = max(map(len, payloads), default=0) + 2
    stride = len(matrix) // len(headers)
    out = []
    for r, header in enumerate(headers):
        data = bytearray(size)
        for j, payload in enumerate(payloads):
            mul_add(data, _symbol(payload, size), matrix[r * stride + j])
        out.append(header + bytes(data))
    return out


def encode_block(
    source_type: int,
    repair_type: int,
    block: int,
    held: Sequence[bytes],
    payloads: Sequence[bytes],
    matrix: bytes,
    repairs: int,
) -> tuple[list[bytes], list[bytes]]:
    """Source datagrams of ``payloads`` (indexes from len(held)) and, when ``repairs`` > 0, the
    repair datagrams of the block held + payloads (docs/fec-wire-formats.md)."""
    prefix = bytes([source_type]) + block.to_bytes(4, "big")
    sources = frame(prefix, 2, len(held), payloads)
    if not repairs:
        return sources, []
    count = len(held) + len(payloads)
    headers = [
        bytes([repair_type])
        + block.to_bytes(4, "big")
        + r.to_bytes(2, "big")
        + count.to_bytes(2, "big")
        for r in range(repairs)
    ]
    return sources, encode(headers, [*held, *payloads], matrix)


def recover(
    payloads: Sequence[bytes], repairs: Sequence[bytes], skip: int, matrix: bytes
) -> list[bytes | None]:
    """Payloads of the symbols ``matrix`` makes from the known sources and the repairs."""
    size = len(repairs[0]) - skip
    columns = [_symbol(p, size) for p in payloads] + [r[skip:] for r in repairs]
    width = len(columns)
    out: list[bytes | None] = []
    for r in range(len(matrix) // width):
        data = bytearray(size)
        combine(data, columns, matrix[r * width : (r + 1) * width])
        length = int.from_bytes(data[:2], "big")
        ok = length <= size - 2 and not any(data[2 + length :])
        out.append(bytes(data[2 : 2 + length]) if ok else None)
    return out


_AEAD_HEADER = struct.Struct(">BBIQ")


def seal(
    encrypt: Callable[[bytes, bytes, bytes], bytes],
    suite: int,
    salt: int,
    first: int,
    payloads: Sequence[bytes],
) -> list[bytes]:
    """The sealed datagrams of ``payloads``, counters from ``first`` (aead's wire format)."""
    out = []
    for counter, payload in enumerate(payloads, first):
        header = _AEAD_HEADER.pack(PACKET_TYPE, suite, salt, counter)
        out.append(header + encrypt(header[2:], payload, header))
    return out


class Opener:
    """aead.Opener's checks, replay windows and counters, one datagram at a time."""

    def __init__(
        self, decrypt: Callable[[bytes, bytes, bytes], bytes], invalid: type[Exception], suite: int
    ) -> None:
        self._decrypt, self._invalid, self._suite = decrypt, invalid, suite
        self._windows: OrderedDict[int, ReplayWindow] = OrderedDict()
        self.counters = {name: 0 for name in OpenerCounters.__slots__}

    def open(self, datagram: bytes) -> bytes | None:
        """The payload, or None when the datagram is dropped (the counters say why)."""
        if len(datagram) < _AEAD_HEADER.size + TAG_SIZE or datagram[0] != PACKET_TYPE:
            return self._drop("malformed")
        _, suite, salt, counter = _AEAD_HEADER.unpack_from(datagram)
        if suite != self._suite:
            return self._drop("wrong_suite")
        window = self._windows.get(salt)
        if window is not None and window.seen(counter):
            return self._drop("replayed")
        try:
            payload = self._decrypt(datagram[2:14], datagram[14:], datagram[:14])
        except self._invalid:
            return self._drop("auth_failures")
        self._window(salt).mark(counter)
        self.counters["opened"] += 1
        return payload

    def _drop(self, reason: str) -> bytes | None:
        """None, counting why."""
        self.counters[reason] += 1
        return None

    def _window(self, salt: int) -> ReplayWindow:
        window = self._windows.get(salt)
        if window is None:
            window = self._windows[salt] = ReplayWindow()
            while len(self._windows) > SALTS_KEPT:
                self._windows.popitem(last=False)
        else:
            self._windows.move_to_end(salt)
        return window
