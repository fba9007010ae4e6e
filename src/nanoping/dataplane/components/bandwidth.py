"""Bandwidth components: a rate-driven source, a sliding-window tracker, a constant link limit,
and a shaper (``bandwidth_constrictor``) with a programmable sequencer of limits.

All sans-IO: rates are turned into release times from the ``now`` the engine passes in.
Rates are in megabits (10^6 bits) per second and count payload bytes, like
``bandwidth_limit_dynamic``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from nanoping.dataplane.component import Component, register
from nanoping.dataplane.components.impairment import (
    BandwidthLimitDynamic,
    BandwidthLimitDynamicParams,
    BandwidthPhase,
)
from nanoping.dataplane.components.traffic import MAX_UDP_PAYLOAD, PacedTrafficSource
from nanoping.dataplane.header import TrafficHeader
from nanoping.dataplane.metrics import Metric, counter, gauge
from nanoping.dataplane.packet import Batch, Packet
from nanoping.dataplane.parameter import UINT32_MAX, Flow, param

_EPSILON = 1e-9
MAX_MBIT = 1_000_000.0
"""Largest rate accepted (1 Tbit/s): above it a float timeline loses precision."""


def _positive(value: float) -> str | None:
    return None if value > 0 else f"must be > 0, got {value:g}"


def _rate_param(default: float, doc: str) -> float:
    return param(default, doc=doc, check=_positive, maximum=MAX_MBIT)  # type: ignore[no-any-return]


def _burst_param() -> int:
    """``burst_bytes`` of the token-bucket shapers."""
    return param(  # type: ignore[no-any-return]
        15_000,
        doc="Bytes that may leave at once after a quiet spell (the bucket's depth).",
        minimum=1,
        maximum=UINT32_MAX,
    )


def _queue_param() -> int:
    """``max_queue_size`` of the token-bucket shapers."""
    return param(  # type: ignore[no-any-return]
        1000,
        doc="Packets queued while over the limit; packets beyond it are dropped.",
        minimum=0,
        maximum=UINT32_MAX,
    )


# ---- bandwidth_traffic_source ---------------------------------------------------------------


@dataclass(frozen=True)
class BandwidthTrafficSourceParams:
    """Parameters of ``bandwidth_traffic_source``."""

    output: str | None = param(None, doc="Link the generated packets leave on.", link=True)
    bandwidth_mbit: float = _rate_param(1.0, "Target rate of payload bits, megabits per second.")
    packet_size: int = param(
        1200,
        doc="Payload size in bytes, the 20-byte traffic header included.",
        minimum=TrafficHeader.SIZE,
        maximum=MAX_UDP_PAYLOAD,
    )
    total_packets: int = param(
        0, doc="Packets to send, then finish; 0 sends without end.", minimum=0
    )


@register("bandwidth_traffic_source")
class BandwidthTrafficSource(PacedTrafficSource[BandwidthTrafficSourceParams]):
    """Emits stamped packets of ``packet_size`` bytes evenly spaced to reach ``bandwidth_mbit``."""

    params_type = BandwidthTrafficSourceParams

    @classmethod
    def seconds_between(cls, params: BandwidthTrafficSourceParams) -> float:
        return params.packet_size * 8 / (params.bandwidth_mbit * 1e6)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            *super().extra_metrics(now),
            gauge(
                "target_bandwidth",
                self.params.bandwidth_mbit * 1e6,
                "bit/s",
                "Rate the source aims at.",
            ),
        )


# ---- bandwidth_tracker ----------------------------------------------------------------------


@dataclass(frozen=True)
class BandwidthTrackerParams:
    """Parameters of ``bandwidth_tracker``."""

    input: str | None = param(None, doc="Link the packets arrive on.", link=True)
    output: str | None = param(None, doc="Link the packets leave on, unchanged.", link=True)
    window_ms: int = param(
        1000, doc="Length of the sliding window, milliseconds.", minimum=1, maximum=UINT32_MAX
    )


@register("bandwidth_tracker")
class BandwidthTracker(Component[BandwidthTrackerParams]):
    """Passes packets through and reports bytes per second over a sliding window.

    The window holds one entry per batch (time, bytes); entries older than the window are
    forgotten when the rate is read or more packets arrive, so memory follows the batch rate
    within one window.
    """

    params_type = BandwidthTrackerParams

    def __init__(self, *, component_id: str, params: BandwidthTrackerParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._length = params.window_ms / 1000.0
        self._entries: deque[tuple[float, int]] = deque()
        self._in_window = 0
        self.bytes_total = 0

    def handle(self, port: int, batch: Batch, now: float) -> None:
        size = sum(len(packet.payload) for packet in batch)
        self._entries.append((now, size))
        self._in_window += size
        self.bytes_total += size
        self._forget(now)
        self.emit(0, batch)

    def _forget(self, now: float) -> None:
        entries, horizon = self._entries, now - self._length
        while entries and entries[0][0] <= horizon + _EPSILON:
            self._in_window -= entries.popleft()[1]

    def rate(self, now: float) -> float:
        """Bytes per second over the window ending at ``now``."""
        self._forget(now)
        return self._in_window / self._length

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            gauge("bandwidth", self.rate(now), "B/s", "Payload bytes per second over the window."),
            counter("bytes", self.bytes_total, "bytes", "Payload bytes passed through."),
        )


# ---- bandwidth_limit_constant ---------------------------------------------------------------


@dataclass(frozen=True)
class BandwidthLimitConstantParams:
    """Parameters of ``bandwidth_limit_constant``."""

    flows: tuple[Flow, ...] = param(
        doc="Paths through the component; each flow forwards its input to its output.",
        minimum=1,
    )
    bandwidth_limit_mbit: float = _rate_param(1.0, "Link rate, megabits per second.")
    max_queue_size: int | None = param(
        1000,
        doc="Packets that may wait for the link; null = unlimited; 0 = drop whatever "
        "arrives while the link is busy.",
        minimum=0,
        maximum=UINT32_MAX,
    )


@register("bandwidth_limit_constant")
class BandwidthLimitConstant(BandwidthLimitDynamic):
    """One link of constant rate shared by all flows, with a FIFO queue in front.

    The single-phase case of ``bandwidth_limit_dynamic``: a packet of *n* bytes occupies the
    link for *n* x 8 / rate seconds; packets finding the queue full are dropped.
    """

    params_type = BandwidthLimitConstantParams  # type: ignore[assignment]

    def __init__(self, *, component_id: str, params: BandwidthLimitConstantParams) -> None:
        phase = BandwidthPhase(bandwidth_limit_mbit=params.bandwidth_limit_mbit)
        dynamic = BandwidthLimitDynamicParams(
            flows=params.flows, phases=(phase,), max_queue_size=params.max_queue_size
        )
        super().__init__(component_id=component_id, params=dynamic)


# ---- bandwidth_constrictor ------------------------------------------------------------------


@dataclass(frozen=True)
class BandwidthConstrictorParams:
    """Parameters of ``bandwidth_constrictor``."""

    input: str | None = param(None, doc="Link the packets arrive on.", link=True)
    output: str | None = param(None, doc="Link the shaped packets leave on.", link=True)
    bandwidth_limit_mbit: float = _rate_param(10.0, "Rate the output may not exceed, Mbit/s.")
    burst_bytes: int = _burst_param()
    max_queue_size: int = _queue_param()


class Shaper:
    """Token bucket: ``rate`` bytes/s refill a bucket of ``depth`` bytes; a packet leaves when
    the bucket holds its size (or the bucket is full, for packets larger than the depth)."""

    def __init__(self, *, rate: float, depth: float, now: float | None = None) -> None:
        self.rate = rate
        self.depth = depth
        self.tokens = depth
        self.at = now

    def refill(self, now: float) -> None:
        """Add the tokens earned since the last call."""
        if self.at is not None and now > self.at:
            self.tokens = min(self.depth, self.tokens + (now - self.at) * self.rate)
        self.at = now if self.at is None else max(self.at, now)

    def ready(self, size: int) -> bool:
        """True when a packet of ``size`` bytes may leave now."""
        return self.tokens + _EPSILON >= min(size, self.depth)

    def spend(self, size: int) -> None:
        """Take a leaving packet's tokens (the bucket may go negative for a jumbo packet)."""
        self.tokens -= size

    def when_ready(self, size: int) -> float:
        """Time at which a packet of ``size`` bytes may leave, assuming no rate change."""
        assert self.at is not None
        missing = min(size, self.depth) - self.tokens
        return self.at + max(0.0, missing) / self.rate


@register("bandwidth_constrictor")
class BandwidthConstrictor(Component[BandwidthConstrictorParams]):
    """A traffic shaper: passes packets at once while under the limit, queues them above it.

    Unlike ``bandwidth_limit_*`` (which emulate a link: every packet waits for its own
    transmission time), the constrictor adds no delay to traffic within the limit and its
    ``burst_bytes``; above it packets wait in a FIFO of ``max_queue_size`` and leave at the
    limit's pace. Packets that find the FIFO full are dropped.
    """

    params_type = BandwidthConstrictorParams

    def __init__(self, *, component_id: str, params: BandwidthConstrictorParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._shaper = Shaper(rate=params.bandwidth_limit_mbit * 125_000, depth=params.burst_bytes)
        self._queue: deque[Packet] = deque()
        self.bytes_out = 0

    def limit_at(self, now: float) -> float:
        """The limit in force at ``now``, Mbit/s; the sequencer overrides this."""
        return self.params.bandwidth_limit_mbit

    def _update_rate(self, now: float) -> None:
        self._shaper.refill(now)
        self._shaper.rate = self.limit_at(now) * 125_000

    def handle(self, port: int, batch: Batch, now: float) -> None:
        self.poll(now)
        room = self.params.max_queue_size - len(self._queue)
        out: Batch = []
        for packet in batch:
            size = len(packet.payload)
            if not self._queue and self._shaper.ready(size):
                self._shaper.spend(size)
                self.bytes_out += size
                out.append(packet)
            elif room > 0:
                self._queue.append(packet)
                room -= 1
            else:
                self.packets_dropped += 1
        if out:
            self.emit(0, out)

    def poll(self, now: float) -> None:
        self._update_rate(now)
        queue, shaper = self._queue, self._shaper
        out: Batch = []
        while queue and shaper.ready(len(queue[0].payload)):
            packet = queue.popleft()
            shaper.spend(len(packet.payload))
            self.bytes_out += len(packet.payload)
            out.append(packet)
        if out:
            self.emit(0, out)

    def next_deadline(self) -> float | None:
        if not self._queue:
            return None
        return self._shaper.when_ready(len(self._queue[0].payload))

    def pending(self) -> int:
        return len(self._queue)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            gauge("queued", len(self._queue), "packets", "Packets waiting for their turn."),
            counter("bytes_out", self.bytes_out, "bytes", "Payload bytes let through."),
            gauge("bandwidth_limit", self.limit_at(now) * 1e6, "bit/s", "Limit in force now."),
        )


# ---- bandwidth_constrictor_sequencer --------------------------------------------------------


@dataclass(frozen=True)
class ConstrictorStep:
    """One step of ``bandwidth_constrictor_sequencer``."""

    duration: int = param(
        1000, doc="Length of the step, milliseconds.", minimum=1, maximum=UINT32_MAX
    )
    bandwidth_limit_mbit: float = _rate_param(10.0, "Limit reached in this step, Mbit/s.")
    transition: int = param(
        0,
        doc="Milliseconds at the start of the step over which the limit moves linearly from "
        "the previous step's to this one's; 0 jumps.",
        minimum=0,
        maximum=UINT32_MAX,
    )


@dataclass(frozen=True)
class BandwidthConstrictorSequencerParams:
    """Parameters of ``bandwidth_constrictor_sequencer``."""

    input: str | None = param(None, doc="Link the packets arrive on.", link=True)
    output: str | None = param(None, doc="Link the shaped packets leave on.", link=True)
    steps: tuple[ConstrictorStep, ...] = param(
        (ConstrictorStep(),), doc="Limits over time, from the start of the run.", minimum=1
    )
    repeat: bool = param(True, doc="Start the steps over after the last; else keep the last.")
    burst_bytes: int = _burst_param()
    max_queue_size: int = _queue_param()


def limit_in_sequence(steps: tuple[ConstrictorStep, ...], elapsed: float, *, repeat: bool) -> float:
    """The limit (Mbit/s) ``elapsed`` seconds after the start, transitions interpolated."""
    total = sum(step.duration for step in steps) / 1000.0
    if repeat:
        elapsed = (elapsed + _EPSILON) % total
    elif elapsed >= total:
        return steps[-1].bandwidth_limit_mbit
    for index, step in enumerate(steps):
        length = step.duration / 1000.0
        if elapsed < length:
            ramp = min(step.transition, step.duration) / 1000.0
            if ramp == 0 or elapsed >= ramp:
                return step.bandwidth_limit_mbit
            previous = steps[index - 1].bandwidth_limit_mbit
            return previous + (step.bandwidth_limit_mbit - previous) * elapsed / ramp
        elapsed -= length
    return steps[-1].bandwidth_limit_mbit


@register("bandwidth_constrictor_sequencer")
class BandwidthConstrictorSequencer(BandwidthConstrictor):
    """A ``bandwidth_constrictor`` whose limit follows programmed steps over time.

    Each step holds its limit for ``duration`` ms, reaching it by a linear ramp of
    ``transition`` ms from the previous step's limit (the first step ramps from the last).
    The queue is re-timed whenever it is polled, so a limit that rises lets waiting packets
    go sooner; while ramping, the deadline is at most one millisecond away.
    """

    params_type = BandwidthConstrictorSequencerParams  # type: ignore[assignment]
    RAMP_TICK = 0.001
    """Seconds between re-timings while a transition is under way."""

    def __init__(self, *, component_id: str, params: BandwidthConstrictorSequencerParams) -> None:
        first = params.steps[0].bandwidth_limit_mbit
        constrictor = BandwidthConstrictorParams(
            input=params.input,
            output=params.output,
            bandwidth_limit_mbit=first,
            burst_bytes=params.burst_bytes,
            max_queue_size=params.max_queue_size,
        )
        super().__init__(component_id=component_id, params=constrictor)
        self.sequence = params
        self._start: float | None = None

    def start(self, now: float) -> None:
        self._start = now

    def limit_at(self, now: float) -> float:
        if self._start is None:
            self._start = now
        return limit_in_sequence(
            self.sequence.steps, now - self._start, repeat=self.sequence.repeat
        )

    def next_deadline(self) -> float | None:
        deadline = super().next_deadline()
        if deadline is None or self._shaper.at is None:
            return deadline
        # The rate may change before then: look again at the next step boundary or tick.
        return min(deadline, self._shaper.at + self.RAMP_TICK) if self._ramping() else deadline

    def _ramping(self) -> bool:
        return len(self.sequence.steps) > 1
