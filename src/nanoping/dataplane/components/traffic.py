"""Traffic generation and termination: ``uniform_traffic_source`` and ``traffic_sink``.

The source writes a :class:`~nanoping.dataplane.header.TrafficHeader` (sequence number and
send time) at the start of every payload, so a sink counts loss and latency end to end,
across UDP hops too.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from nanoping.dataplane.component import Component, register
from nanoping.dataplane.header import TrafficHeader
from nanoping.dataplane.metrics import Metric, counter, gauge
from nanoping.dataplane.packet import Batch, Packet
from nanoping.dataplane.parameter import UINT32_MAX, param
from nanoping.dataplane.sequence import SequenceTracker

MAX_BATCH = 256
"""Most packets a source emits per poll, so one poll never monopolises the loop."""
MAX_UDP_PAYLOAD = 65507
_EPSILON = 1e-9


@dataclass(frozen=True)
class UniformTrafficSourceParams:
    """Parameters of ``uniform_traffic_source``."""

    output: str | None = param(None, doc="Link the generated packets leave on.", link=True)
    total_packets: int = param(
        0, doc="Packets to send, then finish; 0 sends without end.", minimum=0
    )
    interval: float = param(
        1.0,
        doc="Time between two packets in milliseconds; 0 sends as fast as the pipeline takes them.",
        minimum=0,
        maximum=UINT32_MAX,
    )
    packet_size: int = param(
        1200,
        doc="Payload size in bytes, the 20-byte traffic header included.",
        minimum=TrafficHeader.SIZE,
        maximum=MAX_UDP_PAYLOAD,
    )


class PacedParams(Protocol):
    """What a paced source reads of its parameters."""

    @property
    def packet_size(self) -> int: ...

    @property
    def total_packets(self) -> int: ...


PP = TypeVar("PP", bound=PacedParams)


class PacedTrafficSource(Component[PP]):
    """Emits stamped packets of ``packet_size`` bytes, one every :meth:`seconds_between`.

    Packet *k* is due at start + *k* x the spacing; after a stall (back-pressure) the source
    catches up in bursts of at most MAX_BATCH packets per poll, so the long-run rate holds.
    Finishes when ``total_packets`` have been sent (0: never).
    """

    @classmethod
    def seconds_between(cls, params: PP) -> float:
        """Spacing of two packets in seconds; 0 sends as fast as the pipeline takes them."""
        raise NotImplementedError

    def __init__(self, *, component_id: str, params: PP) -> None:
        super().__init__(component_id=component_id, params=params)
        self._interval = self.seconds_between(params)
        self._total = params.total_packets or math.inf
        self._padding = bytes(params.packet_size - TrafficHeader.SIZE)
        self._start: float | None = None
        self._sent = 0

    @property
    def bytes_sent(self) -> int:
        """Payload bytes generated so far."""
        return self._sent * self.params.packet_size

    def start(self, now: float) -> None:
        self._start = now

    def poll(self, now: float) -> None:
        if self._start is None:
            self._start = now
        count = int(min(self._due(now), MAX_BATCH, self._total - self._sent))
        if count <= 0:
            return
        pack, pad, first = TrafficHeader.pack, self._padding, self._sent
        batch = [Packet(pack(seq, now) + pad, now) for seq in range(first, first + count)]
        self._sent += count
        self.packets_produced += count
        self.emit(0, batch)

    def _due(self, now: float) -> int:
        assert self._start is not None
        if self._interval == 0:
            return MAX_BATCH
        return math.floor((now - self._start) / self._interval + _EPSILON) + 1 - self._sent

    def next_deadline(self) -> float | None:
        if self._sent >= self._total:
            return None
        if self._start is None:
            return -math.inf
        return self._start + self._sent * self._interval

    def finished(self, now: float, *, inputs_done: bool, outputs_done: bool) -> bool:
        return self._sent >= self._total

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            counter("packets_sent", self._sent, "packets", "Packets generated."),
            counter("bytes_sent", self.bytes_sent, "bytes", "Payload bytes generated."),
        )


@register("uniform_traffic_source")
class UniformTrafficSource(PacedTrafficSource[UniformTrafficSourceParams]):
    """Emits packets at a fixed ``interval`` in milliseconds (like every NanoPing duration)."""

    params_type = UniformTrafficSourceParams

    @classmethod
    def seconds_between(cls, params: UniformTrafficSourceParams) -> float:
        return params.interval / 1000.0


@dataclass(frozen=True)
class TrafficSinkParams:
    """Parameters of ``traffic_sink``."""

    input: str | None = param(None, doc="Link the packets arrive on.", link=True)
    mtu: int = param(
        1500,
        doc="Largest expected payload in bytes; larger packets are counted as oversized.",
        minimum=1,
        maximum=65535,
    )
    latency_budget: int = param(
        100,
        doc="Milliseconds; packets older than this on arrival are counted as timed out.",
        minimum=0,
        maximum=UINT32_MAX,
    )
    timeout_ms: int = param(
        10000,
        doc="The sink finishes after this many milliseconds without a packet.",
        minimum=1,
        maximum=UINT32_MAX,
    )


@register("traffic_sink")
class TrafficSink(Component[TrafficSinkParams]):
    """Terminates a stream and measures it: packets, bytes, loss, latency, timed-out packets.

    Loss and latency come from the traffic header written by ``uniform_traffic_source``;
    packets without it are counted as unrecognised. The sink finishes when its upstream has
    finished and drained (inside one run), or after ``timeout_ms`` without a packet (the only
    way to tell that a stream arriving over the network has ended).
    """

    params_type = TrafficSinkParams

    def __init__(self, *, component_id: str, params: TrafficSinkParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._budget = params.latency_budget / 1000.0
        self._timeout = params.timeout_ms / 1000.0
        self._seq = SequenceTracker()
        self._last_activity: float | None = None
        self._expired = False
        self.bytes_received = 0
        self.oversized = 0
        self.timed_out = 0
        self.unrecognized = 0
        self._latency_sum = 0.0
        self._latency_count = 0
        self._latency_min = math.inf
        self._latency_max = 0.0

    def start(self, now: float) -> None:
        self._last_activity = now

    def handle(self, port: int, batch: Batch, now: float) -> None:
        mtu = self.params.mtu
        unpack = TrafficHeader.unpack
        for packet in batch:
            size = len(packet.payload)
            self.bytes_received += size
            if size > mtu:
                self.oversized += 1
            header = unpack(packet.payload)
            if header is None:
                self.unrecognized += 1
            elif self._seq.add(header[0]):
                self._record_latency(max(0.0, now - header[1]))
        self.packets_consumed += len(batch)
        self._last_activity = now

    def _record_latency(self, latency: float) -> None:
        self._latency_sum += latency
        self._latency_count += 1
        self._latency_min = min(self._latency_min, latency)
        self._latency_max = max(self._latency_max, latency)
        if latency > self._budget:
            self.timed_out += 1

    def poll(self, now: float) -> None:
        deadline = self.next_deadline()
        if deadline is not None and now >= deadline:
            self._expired = True

    def next_deadline(self) -> float | None:
        if self._expired or self._last_activity is None:
            return None
        return self._last_activity + self._timeout

    def finished(self, now: float, *, inputs_done: bool, outputs_done: bool) -> bool:
        return inputs_done or self._expired

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        seq = self._seq
        received = seq.unique
        mean = self._latency_sum / self._latency_count if self._latency_count else 0.0
        lowest = self._latency_min if self._latency_count else 0.0
        loss = 100.0 * seq.lost / seq.expected if seq.expected else 0.0
        return (
            counter("packets_received", self.packets_consumed, "packets", "Packets that arrived."),
            counter("bytes_received", self.bytes_received, "bytes", "Payload bytes that arrived."),
            counter("packets_unique", received, "packets", "Distinct sequence numbers received."),
            counter("packets_lost", seq.lost, "packets", "Sequence numbers that never arrived."),
            gauge("loss_percent", loss, "%", "Lost packets as a share of those expected."),
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
                "packets_timed_out",
                self.timed_out,
                "packets",
                "Packets that arrived after the latency budget.",
            ),
            counter("packets_oversized", self.oversized, "packets", "Packets larger than the MTU."),
            counter(
                "packets_unrecognized",
                self.unrecognized,
                "packets",
                "Packets without a traffic header.",
            ),
            gauge("latency_avg_ms", mean * 1000, "ms", "Mean one-way latency since the start."),
            gauge("latency_min_ms", lowest * 1000, "ms", "Smallest one-way latency seen."),
            gauge(
                "latency_max_ms", self._latency_max * 1000, "ms", "Largest one-way latency seen."
            ),
        )
