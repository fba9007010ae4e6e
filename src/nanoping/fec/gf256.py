"""GF(2^8) arithmetic for the FEC codecs: the native buffer kernel and small scalar helpers.

The field is GF(2)[x] / (x^8 + x^4 + x^3 + x^2 + 1), polynomial 0x11D, the one RFC 8681 uses.
Buffer work (``mul_add``, ``combine``, ``scale``) runs in the C extension ``_gf256``; scalar
products of coefficients (a handful per decoded packet) use the log/exp tables below.
Coding coefficients come from TinyMT32 (RFC 8682) seeded with a repair's key: the first
``count`` outputs whose low byte is not zero, taken modulo 256 (RFC 8681's dense case, DT = 15).
"""

from __future__ import annotations

from nanoping.fec import _gf256

POLYNOMIAL = 0x11D
"""The field's reduction polynomial."""

mul_add = _gf256.mul_add
"""``mul_add(dst, src, coef)``: dst[:len(src)] ^= coef * src; src must not be longer than dst."""
combine = _gf256.combine
"""``combine(dst, sources, coefs)``: dst ^= sum of coefs[i] * sources[i], in one native call."""
scale = _gf256.scale
"""``scale(buf, coef)``: buf *= coef in place."""
coefficients = _gf256.coefficients
"""``coefficients(seed, count)``: the coding coefficients of one repair (non-zero bytes)."""
coefficient_rows = _gf256.coefficient_rows
"""``coefficient_rows(seed, rows, count)``: coefficients(seed + r, count) for each r, joined."""
frame = _gf256.frame
"""``frame(prefix, index_size, start, payloads)``: prefix || index || payload, one per payload,
the index counting up from ``start`` (big-endian, ``index_size`` bytes, wrapping)."""
sources_in_sequence = _gf256.sources_in_sequence
"""``sources_in_sequence(datagrams, start, type, esi)``: the payloads of ``datagrams[start:]``
up to the first that is not a ``type`` datagram (type byte, 4-byte index) numbered in
sequence from ``esi`` (mod 2^32)."""
native_encode = _gf256.encode
"""``native_encode(headers, payloads, matrix)``: per row r, headers[r] || the sum over j of
matrix[r][j] * symbol(payloads[j]); symbols are built on the fly (see symbol.py)."""
native_recover = _gf256.recover
"""``native_recover(payloads, repairs, skip, matrix)``: the payloads of the symbols each row of
``matrix`` makes from symbol(payloads[j]) and repairs[j][skip:] (None: bad length or padding)."""
decode_matrix = _gf256.decode_matrix
"""``decode_matrix(rows, k, missing)``: from the coefficient rows of u repairs and u missing
indexes, the table ``native_recover`` needs (known sources in index order, then the repairs);
None when those repairs cannot rebuild those sources."""
kernel = _gf256.kernel
"""``kernel()``: which multiply-add kernel the CPU got: ``avx2``, ``ssse3`` or ``scalar``."""


def _tables() -> tuple[list[int], list[int]]:
    exp = [0] * 510
    log = [0] * 256
    value = 1
    for power in range(255):
        exp[power] = value
        log[value] = power
        value <<= 1
        if value & 0x100:
            value ^= POLYNOMIAL
    exp[255:510] = exp[0:255]
    return exp, log


EXP, LOG = _tables()


def mul(a: int, b: int) -> int:
    """Product of two field elements."""
    if a == 0 or b == 0:
        return 0
    return EXP[LOG[a] + LOG[b]]


def inverse(a: int) -> int:
    """Multiplicative inverse of a non-zero field element."""
    if a == 0:
        raise ZeroDivisionError("0 has no inverse in GF(2^8)")
    return EXP[255 - LOG[a]]
