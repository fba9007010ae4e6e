"""Byte formats that components put at the front of a payload so they survive a UDP hop.

All integers are big-endian. Each header starts with a two-byte magic and a version byte, so
a receiver can tell its own header from foreign bytes and count those as unrecognised.

===============  ====================================================================
Header           Layout (bytes)
===============  ====================================================================
TrafficHeader    ``"NT"`` · version=1 · flags=0 · seq u64 · send time µs u64  (20)
LatencyHeader    ``"NL"`` · version=1 · flags=0 · send time µs u64            (12)
LossHeader       ``"NS"`` · version=1 · flags=0 · seq u64                     (12)
===============  ====================================================================

Times are the sender's clock in whole microseconds (the engine's clock counts Unix-epoch
seconds, so hosts with synchronised clocks measure one-way latency).
"""

from __future__ import annotations

import math
import struct
from typing import Final

VERSION: Final = 1
_TRAFFIC = struct.Struct("!2sBBQQ")
_STAMP = struct.Struct("!2sBBQ")


def _micros(seconds: float) -> int:
    # Truncated, never rounded up: a stamp after the true send time would make a latency
    # measured on the same host come out below zero.
    return max(0, math.floor(seconds * 1_000_000))


class TrafficHeader:
    """Written by traffic sources, read by traffic sinks: sequence number and send time."""

    MAGIC: Final = b"NT"
    SIZE: Final = _TRAFFIC.size

    @staticmethod
    def pack(seq: int, sent: float) -> bytes:
        """Header bytes for packet ``seq`` sent at clock time ``sent`` (seconds)."""
        return _TRAFFIC.pack(TrafficHeader.MAGIC, VERSION, 0, seq, _micros(sent))

    @staticmethod
    def unpack(payload: bytes) -> tuple[int, float] | None:
        """``(seq, sent seconds)``, or None when the payload does not start with this header."""
        if len(payload) < _TRAFFIC.size:
            return None
        magic, version, _, seq, micros = _TRAFFIC.unpack_from(payload)
        if magic != TrafficHeader.MAGIC or version != VERSION:
            return None
        return seq, micros / 1_000_000


class LatencyHeader:
    """Prepended by latency_tracker_sender, removed by latency_tracker_receiver."""

    MAGIC: Final = b"NL"
    SIZE: Final = _STAMP.size

    @staticmethod
    def pack(sent: float) -> bytes:
        """Header bytes carrying send time ``sent`` (seconds)."""
        return _STAMP.pack(LatencyHeader.MAGIC, VERSION, 0, _micros(sent))

    @staticmethod
    def unpack(payload: bytes) -> float | None:
        """Send time in seconds, or None when the header is absent."""
        if len(payload) < _STAMP.size:
            return None
        magic, version, _, micros = _STAMP.unpack_from(payload)
        if magic != LatencyHeader.MAGIC or version != VERSION:
            return None
        return float(micros) / 1_000_000


class LossHeader:
    """Prepended by loss_tracker_sender, removed by loss_tracker_receiver."""

    MAGIC: Final = b"NS"
    SIZE: Final = _STAMP.size

    @staticmethod
    def pack(seq: int) -> bytes:
        """Header bytes carrying sequence number ``seq``."""
        return _STAMP.pack(LossHeader.MAGIC, VERSION, 0, seq)

    @staticmethod
    def unpack(payload: bytes) -> int | None:
        """Sequence number, or None when the header is absent."""
        if len(payload) < _STAMP.size:
            return None
        magic, version, _, seq = _STAMP.unpack_from(payload)
        if magic != LossHeader.MAGIC or version != VERSION:
            return None
        return int(seq)
