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
import math
import struct
from typing import Protocol

from nanoping.fec.sliding_window import (
    REPAIR_TYPE,
    TAIL_REPAIRS,
    DecoderCounters,
    EncoderCounters,
    SlidingWindowConfig,
    SlidingWindowDecoder,
    SlidingWindowEncoder,
)

_CODED = struct.Struct(">II")
MIN_RATE = 0.01
"""Repair rate while no loss is seen: keeps the decoder's window primed at 1 % cost."""
MAX_RATE = 0.6
"""Highest repair rate (beyond it replication is the better tool)."""


class RepairEncoder(Protocol):
    """What Raft needs from a repair encoder (the sliding-window encoder has this shape)."""

    config: SlidingWindowConfig
    counters: EncoderCounters

    def encode(self, payload: bytes, now: float) -> list[bytes]:
        """Source datagram first, then the repairs due."""
        ...

    def encode_repairs(self, payload: bytes, now: float) -> list[bytes]:
        """:meth:`encode` without the source datagram."""
        ...

    def poll(self, now: float) -> list[bytes]:
        """Flush and tail repairs due at ``now``."""
        ...

    def next_deadline(self) -> float | None:
        """When :meth:`poll` has work."""
        ...


class RepairDecoder(Protocol):
    """What Raft needs from a repair decoder (the sliding-window decoder has this shape)."""

    counters: DecoderCounters

    def receive(self, datagram: bytes, now: float) -> list[bytes]:
        """Payloads delivered or rebuilt because ``datagram`` arrived."""
        ...

    def receive_source(self, esi: int, payload: bytes, now: float) -> list[bytes]:
        """:meth:`receive` of a source datagram, given its ESI and payload."""
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
            repair_rate=rate,
            window_time=window_time,
            max_window=255,
            timeout=timeout,
            tail_repairs=TAIL_REPAIRS,
        )
        self.encoder: RepairEncoder = SlidingWindowEncoder(self._config)
        self.decoder: RepairDecoder = SlidingWindowDecoder(self._config)
        self._tail_before = 0
        """Tail repairs of the encoders replaced by :meth:`reset_send`."""

    def reset_receive(self) -> None:
        """A new peer session: forget every received symbol."""
        self.decoder = SlidingWindowDecoder(self._config)

    def reset_send(self) -> None:
        """A new peer session: sequence numbers start again at 0."""
        self._tail_before = self.tail_flushes
        self.encoder = SlidingWindowEncoder(self.encoder.config)

    @property
    def tail_flushes(self) -> int:
        """Tail repairs sent (they count as repairs in the overhead too)."""
        return self._tail_before + self.encoder.counters.tail_repairs

    def set_rate(self, rate: float, window_time: float) -> None:
        """Change the repair rate and window of the encoder from the next source on."""
        config = self.encoder.config
        if config.repair_rate != rate or config.window_time != window_time:
            self.encoder.config = dataclasses.replace(
                config, repair_rate=rate, window_time=window_time
            )

    def encode(self, seq: int, src_us: int, payload: bytes, now: float) -> list[bytes]:
        """Repair datagrams (codec format) due after sending this source."""
        return self.encoder.encode_repairs(coded(seq, src_us, payload), now)

    def poll(self, now: float) -> list[bytes]:
        """Repairs due at ``now``: the encoder's flush, then the tail repairs of a quiet stream
        (up to ``TAIL_REPAIRS``; the rule is the codec's, see ``SlidingWindowEncoder.poll``).
        """
        return self.encoder.poll(now)

    def next_deadline(self) -> float | None:
        """When :meth:`poll` has work, or None."""
        return self.encoder.next_deadline()

    def source_arrived(self, seq: int, src_us: int, payload: bytes, now: float) -> list[bytes]:
        """Feed a received (or retransmitted) source; returns rebuilt coded sources."""
        source = coded(seq, src_us, payload)
        own = len(source)
        return [p for p in self.decoder.receive_source(seq, source, now) if not _is(p, seq, own)]

    def repair_arrived(self, datagram: bytes, now: float) -> list[bytes]:
        """Feed a repair; returns rebuilt coded sources."""
        return self.decoder.receive(datagram, now)


_REPAIR_HEAD = struct.Struct(">BHHI")


def covered(datagram: bytes) -> tuple[int, int] | None:
    """(first ESI mod 2^32, count) of the sources a repair datagram covers, None if not one."""
    if len(datagram) < _REPAIR_HEAD.size or datagram[0] != REPAIR_TYPE:
        return None
    _, _, dt_nss, first = _REPAIR_HEAD.unpack_from(datagram)
    return first, dt_nss & 0xFFF


def deficit(counters: DecoderCounters) -> int:
    """Repairs the decoder still lacks to rebuild every source it misses (0: none, or enough
    equations wait for it already)."""
    return max(0, counters.missing - counters.equations)


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
    arq: bool = True
    """Whether the stream retransmits at all (off: FEC carries every loss)."""
    nack_delay: float = 0.0
    """Seconds of the budget a lost packet's resends cannot use besides the first one-way
    delay: until its first NACK can go (the loss burst it fell in must end, the reordering
    allowance, the hold for the code) and the wait of its last-chance copy."""
    window_packets: float = 0.0
    """Sources in the encoder's coding window (0: none sent yet)."""


BURSTY = 1.5
"""Mean loss-burst length (packets) from which loss counts as bursty."""

RATE_TABLE: tuple[tuple[tuple[float, float], tuple[float, float]], ...] = (
    ((3.0, 0.01), (3.0, 0.01)),  # no retransmission fits: FEC carries every loss alone
    ((2.0, 0.01), (2.0, 0.01)),  # one round: what FEC misses gets a single chance
    ((1.25, 0.005), (1.5, 0.01)),  # two or more rounds: FEC trims the ARQ load and the tail
)
"""(gain, offset) of the repair rate ``gain x loss + offset`` for random and for bursty loss,
by the retransmission rounds that fit in the budget.

From the residual-loss tables of the transport research and these scenarios: with no time
for ARQ a sliding window needs about 3x the loss (RLC 1/3 at 10 % random loss: none lost in
10^6, 1/4: 1e-5); with two rounds of ARQ behind it, 1.25x the random loss loses nothing, and
more only buys in-order latency at the cost of overhead. Bursts defeat ARQ more often (a
NACK falls in the same burst), so they keep the larger share measured before (1.5x + 1 %).
"""


def arq_rounds(inputs: RepairInputs) -> int:
    """Retransmission rounds (request + resend) that fit in the budget after the first try."""
    if not inputs.arq:
        return 0
    round_trip = inputs.rtt + 4 * inputs.rttvar + 0.005
    return max(0, int((inputs.budget - inputs.rtt / 2) / round_trip))


def resend_rounds(inputs: RepairInputs) -> float:
    """Retransmission rounds a lost packet really has, as a fraction: :func:`arq_rounds`'
    room without :attr:`RepairInputs.nack_delay`.

    :func:`arq_rounds` counts from the first send; a hole in a long burst is only NACKed once
    the burst ended and the receiver's waits passed, and its last resend's copy waits bursts
    more. This count tells a budget where two rounds are left to nearly every hole (S5: about
    2.5) from one where the second is often too late (S4: about 1.7).
    """
    if not inputs.arq:
        return 0.0
    round_trip = inputs.rtt + 4 * inputs.rttvar + 0.005
    return max(0.0, (inputs.budget - inputs.rtt / 2 - inputs.nack_delay) / round_trip)


def target_rate(inputs: RepairInputs) -> float:
    """Repair packets per source packet for these conditions, looked up in :data:`RATE_TABLE`.

    Bursts need more (the window must span several). Never at or below the loss rate, where
    a sliding window collapses.
    """
    loss = inputs.loss
    if loss < 0.002:
        return MIN_RATE
    burst_factor = 1.0 + 0.08 * max(0.0, inputs.burst - 1.0)
    row = RATE_TABLE[min(arq_rounds(inputs), len(RATE_TABLE) - 1)]
    gain, offset = row[1] if inputs.burst >= BURSTY else row[0]
    rate = (gain * loss + offset) * burst_factor
    return min(MAX_RATE, max(rate, 1.2 * loss + 0.005, MIN_RATE))


SPREAD_Z = 2.0
"""Standard deviations of a window's loss count that :func:`spread_rate` covers: the count
exceeds the repairs in about one window in forty."""


def spread_rate(inputs: RepairInputs, loss: float) -> float:
    """Repair rate that covers the spread of the loss count in one coding window, where the
    code rebuilds a hole sooner than a retransmission could; 0 elsewhere.

    A hole the code rebuilds is back within the window (its last repair leaves then); one it
    cannot is back a round trip after its NACK, and everything behind it waits in order. Where
    a round trip is longer than the window, every window whose losses outnumber its repairs
    therefore costs in-order delay that repair would have saved, and a gain on the mean loss
    does not prevent it: a window of ``n`` sources loses ``n p`` on average but spreads by
    ``sqrt(n p (1 - p))``, relatively more at low loss and on small windows. So the rate is the
    loss plus :data:`SPREAD_Z` of that spread over ``n`` (S1, 5 % over 75 sources: 10 %, where
    the table gives 6.75 %; 10 % loss: 17 %, with fewer resends to pay for). Where a round trip
    is shorter than the window, a retransmission comes back as soon as a slow rebuild would,
    and the table's share, which only trims ARQ's load, costs less. Where no retransmission
    fits at all, the table's FEC-only row carries every loss alone. ``loss`` is the long-run
    mean of :class:`RateController`: the spread of the loss-rate estimate is not the window's.
    """
    n = inputs.window_packets
    if inputs.burst >= BURSTY or inputs.loss < 0.002 or n < 1:
        return 0.0
    if inputs.rtt <= window_time(inputs) or arq_rounds(inputs) == 0:
        return 0.0
    return min(MAX_RATE, loss + SPREAD_Z * math.sqrt(loss * (1 - loss) / n))


def window_time(inputs: RepairInputs) -> float:
    """Encoding window in seconds: at most 75 ms, and half of what the budget leaves."""
    return max(0.01, min(0.075, (inputs.budget - inputs.rtt / 2) / 2))


STEADY_ROUNDS = 2.0
"""Rounds (:func:`resend_rounds`, averaged) from which bursty loss is left to ARQ beyond a
steady rate."""
STEADY = (1.4, 0.01)
"""(gain, offset) of that steady rate over the averaged loss, without a burst factor: ARQ's
second round takes what a window overrun by a burst misses. S5 (10^5 packets, seeds 1-3):
28.8/29.4/29.1 % overhead, none lost (a burst that took a run's last packets with every tail
repair is the tail probe's to mend); 1.5x + 1 % cost about 30 %."""
AVERAGE_UPDATES = 200
"""Updates (one per FEEDBACK, about 100 per second) the controller's averages span: long
enough to hold still through the waves of a bursty channel."""


class RateController:
    """Follows :func:`target_rate`: directly under random loss, with a margin under bursts;
    never below :func:`spread_rate` of a long-run loss mean.

    Under random loss the target comes from a loss average over a few hundred packets, and
    taking it as it is costs least: a max filter over it would pay for the upper envelope of
    its noise, about a tenth more repair (S3: 38.6 % overhead against 35.8 %, same residual).
    Under bursty loss the loss seen by one window swings far more than the average says, so
    the rate rises at once to any higher target and only decays slowly (losses come in waves).
    But where the holes of bursty loss still have two resend rounds (:data:`STEADY_ROUNDS`
    on average), ARQ takes the waves: the rate is then a steady share (:data:`STEADY`) of the
    loss averaged over about two seconds, without a peak (S5: 29 % overhead instead of 47 %;
    the price is latency, more holes wait for a resend).
    """

    DECAY = 0.99
    """Factor per update (about 100 per second) by which a bursty rate may fall to a lower target."""
    MEAN_GAIN = 0.01
    """Weight of one update (about 100 per second) in the long-run loss mean, after a plain mean
    over the first 100. The loss estimate the table follows spans a few hundred packets and
    swings by a third at 5 % loss; a spread margin taken on it would dip with it and leave
    windows short (S1 at 10^5 packets, seeds 1 and 2: p99 164 and 160 ms on the estimate, 149
    and 136 on the mean, same overhead). The mean follows a loss step within about a second;
    the table follows it sooner, and the rate is the larger of the two."""

    def __init__(self) -> None:
        self.rate = MIN_RATE
        self.loss = 0.0
        """Loss rate averaged over the last :data:`AVERAGE_UPDATES` updates."""
        self.burst = 1.0
        """Mean loss-burst length averaged the same way."""
        self.rounds = 0.0
        """:func:`resend_rounds` averaged the same way."""
        self.mean_loss = 0.0
        """Long-run mean of the measured loss, for :func:`spread_rate` (its own span:
        :attr:`MEAN_GAIN`)."""
        self._updates = 0

    def update(self, inputs: RepairInputs) -> float:
        """New rate after one measurement."""
        self._average(inputs)
        if self.burst >= BURSTY and self.rounds >= STEADY_ROUNDS:
            gain, offset = STEADY
            self.rate = min(MAX_RATE, max(gain * self.loss + offset, 1.2 * self.loss + 0.005))
            return self.rate
        target = max(target_rate(inputs), spread_rate(inputs, self.mean_loss))
        if inputs.burst < BURSTY or target >= self.rate:
            self.rate = target
        else:
            self.rate = max(target, self.rate * self.DECAY)
        return self.rate

    def _average(self, inputs: RepairInputs) -> None:
        """A plain mean over the first updates, then an EWMA over :data:`AVERAGE_UPDATES`."""
        self._updates = min(self._updates + 1, AVERAGE_UPDATES)
        gain = 1.0 / self._updates
        self.loss += (inputs.loss - self.loss) * gain
        self.burst += (inputs.burst - self.burst) * gain
        self.rounds += (resend_rounds(inputs) - self.rounds) * gain
        # (1 / updates is at most MEAN_GAIN from the 100th update on, whatever the cap.)
        self.mean_loss += (inputs.loss - self.mean_loss) * max(self.MEAN_GAIN, gain)
