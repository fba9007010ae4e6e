"""Pure-Python reference of the native kernel, kept only so tests can check the kernel against it."""

from __future__ import annotations

from collections.abc import Sequence

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
