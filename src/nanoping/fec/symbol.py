"""Source symbols: a payload with its length in front, so padded sums still give back its size.

Every linear code here (sliding-window RLC, block RLNC, Reed-Solomon, 2-D parity) codes
``length (2 bytes, big-endian) || payload``, zero-padded to the longest symbol it combines.
"""

from __future__ import annotations

MAX_PAYLOAD = 0xFFFF
"""Largest payload a symbol can carry (its length field is 16 bits)."""


class SymbolError(ValueError):
    """A recovered symbol or a payload does not fit the symbol format."""


def to_symbol(payload: bytes) -> bytes:
    """The symbol carrying ``payload``."""
    if len(payload) > MAX_PAYLOAD:
        raise SymbolError(f"payload of {len(payload)} bytes is over the {MAX_PAYLOAD}-byte limit")
    return len(payload).to_bytes(2, "big") + payload


def from_symbol(symbol: bytes | bytearray) -> bytes:
    """The payload a (possibly zero-padded) symbol carries."""
    if len(symbol) < 2:
        raise SymbolError(f"symbol of {len(symbol)} bytes has no length field")
    length = int.from_bytes(symbol[:2], "big")
    if length > len(symbol) - 2:
        raise SymbolError(f"symbol says {length} payload bytes but holds {len(symbol) - 2}")
    if any(symbol[2 + length :]):
        raise SymbolError("symbol padding is not zero")
    return bytes(symbol[2 : 2 + length])
