"""Forward erasure correction inside Raft: the codec interface it needs and the repair-rate policy.

Raft codes the *coded source* of each DATA packet, ``seq (4 B) || src_us (4 B) || payload``,
so a rebuilt packet tells the receiver its sequence number and send time. Source ESI = stream
sequence number (both start at 0 per peer session and go up by one per packet), so the codec's
own source datagrams never travel: only its repair datagrams do, inside Raft REPAIR packets.
Any codec with the shape of :class:`RepairEncoder` / :class:`RepairDecoder` fits; the default is
the sliding-window RLC of :mod:`nanoping.fec.sliding_window`.
"""

from __future__ import annotations

import dataclasses
import struct
from typing import Protocol

from nanoping.fec.sliding_window import (
    SOURCE_TYPE,
    SlidingWindowConfig,
    SlidingWindowDecoder,
    SlidingWindowEncoder,
)

_CODED = struct.Struct(">II")
_SOURCE = struct.Struct(">BI")
MIN_RATE = 0.01
"""Repair rate while no loss is seen: keeps the decoder's window primed at 1 % cost."""
MAX_RATE = 0.6
"""Highest repair rate (beyond it replication is the better tool)."""


class RepairEncoder(Protocol):
    """What Raft needs from a repair encoder (the sliding-window encoder has this shape)."""

    config: SlidingWindowConfig

    def encode(self, payload: bytes, now: float) -> list[bytes]:
        """Source datagram first, then the repairs due."""
        ...

    def poll(self, now: float) -> list[bytes]:
        """Flush repairs due at ``now``."""
        ...

    def next_deadline(self) -> float | None:
        """When :meth:`poll` has work."""
        ...


class RepairDecoder(Protocol):
    """What Raft needs from a repair decoder (the sliding-window decoder has this shape)."""

    def receive(self, datagram: bytes, now: float) -> list[bytes]:
        """Payloads delivered or rebuilt because ``datagram`` arrived."""
        ...

    def poll(self, now: float) -> list[bytes]:
        """Give up on what timed out."""
        ...

    def next_deadline(self) -> float | None:
        """When :meth:`poll` has work."""
        ...


def coded(seq: int, src_us: int, payload: bytes) -> bytes:
    """The coded source of one DATA packet."""
    return _CODED.pack(seq & 0xFFFFFFFF, src_us & 0xFFFFFFFF) + payload


class StreamRepair:
    """One stream's codec pair: encoder for what we send, decoder for what we receive."""

    def __init__(self, *, timeout: float, window_time: float, rate: float) -> None:
        self.timeout = timeout
        self._config = SlidingWindowConfig(
            repair_rate=rate, window_time=window_time, max_window=255, timeout=timeout
        )
        self.encoder: RepairEncoder = SlidingWindowEncoder(self._config)
        self.decoder: RepairDecoder = SlidingWindowDecoder(self._config)

    def reset_receive(self) -> None:
        """A new peer session: forget every received symbol."""
        self.decoder = SlidingWindowDecoder(self._config)

    def reset_send(self) -> None:
        """A new peer session: sequence numbers start again at 0."""
        self.encoder = SlidingWindowEncoder(self.encoder.config)

    def set_rate(self, rate: float, window_time: float) -> None:
        """Change the repair rate and window of the encoder from the next source on."""
        config = self.encoder.config
        if config.repair_rate != rate or config.window_time != window_time:
            self.encoder.config = dataclasses.replace(
                config, repair_rate=rate, window_time=window_time
            )

    def encode(self, seq: int, src_us: int, payload: bytes, now: float) -> list[bytes]:
        """Repair datagrams (codec format) due after sending this source."""
        return self.encoder.encode(coded(seq, src_us, payload), now)[1:]

    def source_arrived(self, seq: int, src_us: int, payload: bytes, now: float) -> list[bytes]:
        """Feed a received (or retransmitted) source; returns rebuilt coded sources."""
        datagram = _SOURCE.pack(SOURCE_TYPE, seq & 0xFFFFFFFF) + coded(seq, src_us, payload)
        own = len(payload) + _CODED.size
        return [p for p in self.decoder.receive(datagram, now) if not _is(p, seq, own)]

    def repair_arrived(self, datagram: bytes, now: float) -> list[bytes]:
        """Feed a repair; returns rebuilt coded sources."""
        return self.decoder.receive(datagram, now)


def _is(coded_source: bytes, seq: int, size: int) -> bool:
    return len(coded_source) == size and _CODED.unpack_from(coded_source)[0] == seq & 0xFFFFFFFF


def split(coded_source: bytes) -> tuple[int, int, bytes] | None:
    """(seq mod 2^32, src_us mod 2^32, payload) of a rebuilt coded source, None if too short."""
    if len(coded_source) < _CODED.size:
        return None
    seq, src_us = _CODED.unpack_from(coded_source)
    return seq, src_us, coded_source[_CODED.size :]


@dataclasses.dataclass(frozen=True, slots=True)
class RepairInputs:
    """What the repair-rate policy looks at."""

    loss: float
    """Measured loss rate of the carriers the stream uses."""
    burst: float
    """Mean loss-burst length in packets."""
    budget: float
    """Stream timeout, seconds."""
    rtt: float
    """Smoothed RTT of the fastest carrier, seconds."""
    rttvar: float
    """Its RTT variation, seconds."""


def arq_possible(inputs: RepairInputs) -> bool:
    """Whether a retransmission can usually arrive within the budget (detect + request + resend)."""
    return inputs.budget >= 1.5 * inputs.rtt + 4 * inputs.rttvar + 0.01


def target_rate(inputs: RepairInputs) -> float:
    """Repair packets per source packet for these conditions.

    With ARQ behind it, FEC only has to shrink the retransmission load and the in-order tail
    (repair about 1.5x loss); without time for ARQ, FEC carries everything (about 2.5-3x loss).
    Bursts need more (the window must span several). Never at or below the loss rate, where
    a sliding window collapses.
    """
    loss = inputs.loss
    if loss < 0.002:
        return MIN_RATE
    burst_factor = 1.0 + 0.08 * max(0.0, inputs.burst - 1.0)
    gain = 1.5 if arq_possible(inputs) else 3.0
    rate = (gain * loss + 0.01) * burst_factor
    return min(MAX_RATE, max(rate, 1.25 * loss + 0.005, MIN_RATE))


def window_time(inputs: RepairInputs) -> float:
    """Encoding window in seconds: at most 75 ms, and half of what the budget leaves."""
    return max(0.01, min(0.075, (inputs.budget - inputs.rtt / 2) / 2))


class RateController:
    """Fast attack, slow decay around :func:`target_rate` (losses come in waves)."""

    DECAY = 0.99
    """Factor per update (about 100 per second) by which the rate may fall to a lower target."""

    def __init__(self) -> None:
        self.rate = MIN_RATE

    def update(self, inputs: RepairInputs) -> float:
        """New rate after one measurement."""
        target = target_rate(inputs)
        self.rate = target if target >= self.rate else max(target, self.rate * self.DECAY)
        return self.rate
