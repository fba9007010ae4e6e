"""Measurement components: latency, loss and throughput trackers.

Sender halves prepend a small header (see ``header.py``) to each payload; receiver halves
read and remove it, so the packet that leaves a receiver is the packet that entered the
sender. Receivers forward packets they do not recognise unchanged and count them.

Window metrics (``*_window``) describe the last complete sampling interval; the others
cover the whole run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from nanoping.dataplane.component import Component, register
from nanoping.dataplane.header import LatencyHeader, LossHeader
from nanoping.dataplane.metrics import Metric, counter, gauge
from nanoping.dataplane.packet import Batch
from nanoping.dataplane.parameter import INT32_MAX, UINT32_MAX, param
from nanoping.dataplane.sequence import SequenceTracker


class SamplingWindow:
    """Fixed-length time windows aligned to the first use; tells when one has closed."""

    __slots__ = ("_end", "_length")

    def __init__(self, length: float) -> None:
        self._length = length
        self._end: float | None = None

    def closed(self, now: float) -> bool:
        """True once when ``now`` has passed the end of the current window (then it moves on)."""
        if self._end is None:
            self._end = now + self._length
            return False
        if now < self._end:
            return False
        skipped = math.floor((now - self._end) / self._length) + 1
        self._end += skipped * self._length
        return True


@dataclass(frozen=True)
class PassThroughParams:
    """Parameters of a tracker sender: one input, one output."""

    input: str | None = param(None, doc="Link the packets arrive on.", link=True)
    output: str | None = param(None, doc="Link the packets leave on.", link=True)


@register("latency_tracker_sender")
class LatencyTrackerSender(Component[PassThroughParams]):
    """Prepends the send time (12-byte LatencyHeader) to every payload."""

    params_type = PassThroughParams

    def handle(self, port: int, batch: Batch, now: float) -> None:
        header = LatencyHeader.pack(now)
        for packet in batch:
            packet.payload = header + packet.payload
        self.emit(0, batch)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            counter("packets_stamped", self.packets_in, "packets", "Packets given a send time."),
        )


@dataclass(frozen=True)
class LatencyTrackerReceiverParams:
    """Parameters of ``latency_tracker_receiver``."""

    input: str | None = param(None, doc="Link the packets arrive on.", link=True)
    output: str | None = param(None, doc="Link the packets leave on, header removed.", link=True)
    sampling_interval_ms: int = param(
        1000,
        doc="Length of the window the *_window metrics describe, milliseconds.",
        minimum=1,
        maximum=UINT32_MAX,
    )
    latency_budget: int = param(
        100,
        doc="Milliseconds; packets slower than this are counted as over budget.",
        minimum=0,
        maximum=INT32_MAX,
    )


@register("latency_tracker_receiver")
class LatencyTrackerReceiver(Component[LatencyTrackerReceiverParams]):
    """Removes the LatencyHeader and measures one-way latency (clock now minus send time)."""

    params_type = LatencyTrackerReceiverParams

    def __init__(self, *, component_id: str, params: LatencyTrackerReceiverParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._budget = params.latency_budget / 1000.0
        self._window = SamplingWindow(params.sampling_interval_ms / 1000.0)
        self.unrecognized = 0
        self.over_budget = 0
        self._total = _LatencyStats()
        self._current = _LatencyStats()
        self._last_window = _LatencyStats()

    def handle(self, port: int, batch: Batch, now: float) -> None:
        self._roll(now)
        unpack = LatencyHeader.unpack
        size = LatencyHeader.SIZE
        current = self._current
        for packet in batch:
            sent = unpack(packet.payload)
            if sent is None:
                self.unrecognized += 1
                continue
            packet.payload = packet.payload[size:]
            latency = max(0.0, now - sent)  # clocks of one host: never below zero
            current.add(latency)
            if latency > self._budget:
                self.over_budget += 1
        self.emit(0, batch)

    def _roll(self, now: float) -> None:
        if self._window.closed(now):
            self._total.merge(self._current)
            self._last_window, self._current = self._current, _LatencyStats()

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        self._roll(now)
        total = _LatencyStats()
        total.merge(self._total)
        total.merge(self._current)
        window = self._last_window
        return (
            counter(
                "packets_measured", total.count, "packets", "Packets whose latency was measured."
            ),
            counter(
                "packets_over_budget",
                self.over_budget,
                "packets",
                "Packets slower than the latency budget.",
            ),
            counter(
                "packets_unrecognized",
                self.unrecognized,
                "packets",
                "Packets without a latency header.",
            ),
            gauge(
                "latency_avg_ms", total.mean * 1000, "ms", "Mean one-way latency since the start."
            ),
            gauge("latency_min_ms", total.low * 1000, "ms", "Smallest latency since the start."),
            gauge("latency_max_ms", total.high * 1000, "ms", "Largest latency since the start."),
            gauge(
                "latency_avg_ms_window",
                window.mean * 1000,
                "ms",
                "Mean latency in the last window.",
            ),
            gauge(
                "latency_min_ms_window",
                window.low * 1000,
                "ms",
                "Smallest latency in the last window.",
            ),
            gauge(
                "latency_max_ms_window",
                window.high * 1000,
                "ms",
                "Largest latency in the last window.",
            ),
        )


class _LatencyStats:
    """Count, sum, min and max of latency samples (seconds)."""

    __slots__ = ("count", "high", "minimum", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.minimum = math.inf
        self.high = 0.0

    def add(self, latency: float) -> None:
        self.count += 1
        self.total += latency
        self.minimum = min(self.minimum, latency)
        self.high = max(self.high, latency)

    def merge(self, other: _LatencyStats) -> None:
        self.count += other.count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.high = max(self.high, other.high)

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    @property
    def low(self) -> float:
        return self.minimum if self.count else 0.0


@register("loss_tracker_sender")
class LossTrackerSender(Component[PassThroughParams]):
    """Prepends a sequence number (12-byte LossHeader), counting from 0, to every payload."""

    params_type = PassThroughParams

    def __init__(self, *, component_id: str, params: PassThroughParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._next_seq = 0

    def handle(self, port: int, batch: Batch, now: float) -> None:
        pack = LossHeader.pack
        seq = self._next_seq
        for packet in batch:
            packet.payload = pack(seq) + packet.payload
            seq += 1
        self._next_seq = seq
        self.emit(0, batch)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            counter("packets_numbered", self._next_seq, "packets", "Sequence numbers handed out."),
        )


@dataclass(frozen=True)
class LossTrackerReceiverParams:
    """Parameters of ``loss_tracker_receiver``."""

    input: str | None = param(None, doc="Link the packets arrive on.", link=True)
    output: str | None = param(None, doc="Link the packets leave on, header removed.", link=True)
    sampling_interval_ms: int = param(
        1000,
        doc="Length of the window the *_window metrics describe, milliseconds.",
        minimum=1,
        maximum=UINT32_MAX,
    )


@register("loss_tracker_receiver")
class LossTrackerReceiver(Component[LossTrackerReceiverParams]):
    """Removes the LossHeader and counts lost, duplicated and reordered packets."""

    params_type = LossTrackerReceiverParams

    def __init__(self, *, component_id: str, params: LossTrackerReceiverParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._seq = SequenceTracker()
        self._window = SamplingWindow(params.sampling_interval_ms / 1000.0)
        self._mark = (0, 0)
        self._window_loss = 0.0
        self.unrecognized = 0

    def handle(self, port: int, batch: Batch, now: float) -> None:
        self._roll(now)
        unpack = LossHeader.unpack
        size = LossHeader.SIZE
        add = self._seq.add
        for packet in batch:
            seq = unpack(packet.payload)
            if seq is None:
                self.unrecognized += 1
                continue
            packet.payload = packet.payload[size:]
            add(seq)
        self.emit(0, batch)

    def _roll(self, now: float) -> None:
        if not self._window.closed(now):
            return
        expected, unique = self._seq.expected, self._seq.unique
        delta_expected = expected - self._mark[0]
        lost = max(0, delta_expected - (unique - self._mark[1]))
        self._window_loss = 100.0 * lost / delta_expected if delta_expected > 0 else 0.0
        self._mark = (expected, unique)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        self._roll(now)
        seq = self._seq
        loss = 100.0 * seq.lost / seq.expected if seq.expected else 0.0
        return (
            counter("packets_lost", seq.lost, "packets", "Sequence numbers that never arrived."),
            counter(
                "packets_duplicated", seq.duplicates, "packets", "Copies of packets already seen."
            ),
            counter(
                "packets_reordered",
                seq.reordered,
                "packets",
                "Packets that arrived after a later one.",
            ),
            counter(
                "packets_unrecognized",
                self.unrecognized,
                "packets",
                "Packets without a loss header.",
            ),
            gauge(
                "loss_percent",
                loss,
                "%",
                "Lost packets as a share of those expected, since the start.",
            ),
            gauge("loss_percent_window", self._window_loss, "%", "Loss in the last window."),
        )


@dataclass(frozen=True)
class ThroughputTrackerParams:
    """Parameters of ``throughput_tracker``."""

    input: str | None = param(None, doc="Link the packets arrive on.", link=True)
    output: str | None = param(None, doc="Link the packets leave on, unchanged.", link=True)
    interval_ms: int = param(
        1000,
        doc="Length of the window the rates describe, milliseconds.",
        minimum=1,
        maximum=UINT32_MAX,
    )


@register("throughput_tracker")
class ThroughputTracker(Component[ThroughputTrackerParams]):
    """Counts packets and bytes passing through and reports their rate per window."""

    params_type = ThroughputTrackerParams

    def __init__(self, *, component_id: str, params: ThroughputTrackerParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._length = params.interval_ms / 1000.0
        self._window = SamplingWindow(self._length)
        self.bytes_total = 0
        self.packets_total = 0
        self._mark = (0, 0)
        self._rates = (0.0, 0.0)

    def handle(self, port: int, batch: Batch, now: float) -> None:
        self._roll(now)
        self.packets_total += len(batch)
        self.bytes_total += sum(len(packet.payload) for packet in batch)
        self.emit(0, batch)

    def _roll(self, now: float) -> None:
        if not self._window.closed(now):
            return
        packets, size = self.packets_total - self._mark[0], self.bytes_total - self._mark[1]
        self._rates = (packets / self._length, size * 8 / self._length)
        self._mark = (self.packets_total, self.bytes_total)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        self._roll(now)
        return (
            counter("bytes", self.bytes_total, "bytes", "Payload bytes passed through."),
            gauge(
                "packets_per_second", self._rates[0], "packet/s", "Packet rate in the last window."
            ),
            gauge(
                "bits_per_second", self._rates[1], "bit/s", "Payload bit rate in the last window."
            ),
        )
