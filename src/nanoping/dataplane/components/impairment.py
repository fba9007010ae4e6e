"""Network impairment emulators: constant delay, dynamic loss, timed burst loss, bandwidth.

Randomness comes from ``random.Random(seed)`` so a seeded impairment is exactly repeatable;
time comes only from the ``now`` the engine passes in.
"""

from __future__ import annotations

import heapq
import random
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from nanoping.dataplane.component import Component, flow_routes, register
from nanoping.dataplane.metrics import Metric, counter, gauge
from nanoping.dataplane.packet import Batch, Packet
from nanoping.dataplane.parameter import INT32_MAX, UINT32_MAX, Flow, param

_EPSILON = 1e-9
"""Time boundaries are met within a nanosecond, so sums of float milliseconds land on them."""
_FLOWS_DOC = "Paths through the component; each flow forwards its input to its output."


def _seed_param() -> int | None:
    return param(  # type: ignore[no-any-return]
        None,
        doc="Seed of the random generator; unset draws a fresh seed each run.",
        minimum=-INT32_MAX - 1,
        maximum=INT32_MAX,
    )


def _phase_at(durations: Sequence[float], elapsed: float) -> int:
    """Index of the phase active ``elapsed`` seconds after the start; phases loop."""
    position = (elapsed + _EPSILON) % sum(durations)
    for index, duration in enumerate(durations):
        if position < duration:
            return index
        position -= duration
    return len(durations) - 1


# ---- delay_constant -------------------------------------------------------------------------


@dataclass(frozen=True)
class DelayConstantParams:
    """Parameters of ``delay_constant``."""

    flows: tuple[Flow, ...] = param(doc=_FLOWS_DOC, minimum=1)
    delay: int = param(
        100, doc="Delay added to every packet, milliseconds.", minimum=0, maximum=UINT32_MAX
    )
    jitter: int = param(
        0,
        doc="Largest random deviation (+/-) from the delay, milliseconds, uniform.",
        minimum=0,
        maximum=UINT32_MAX,
    )
    allow_reordering: bool = param(
        False, doc="With jitter, let a packet overtake earlier ones; otherwise it waits for them."
    )
    seed: int | None = _seed_param()


class DelayLine:
    """Packets held until their release time, each bound for an output port; FIFO at equal times."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, int, Packet]] = []
        self._order = 0

    def hold(self, packet: Packet, out: int, release: float) -> None:
        """Keep ``packet`` until ``release``, then hand it to output ``out``."""
        self._order += 1
        heapq.heappush(self._heap, (release, self._order, out, packet))

    def due(self, now: float) -> dict[int, Batch]:
        """Remove and return what is due at ``now``, in release order, per output port."""
        heap = self._heap
        ready: dict[int, Batch] = {}
        while heap and heap[0][0] <= now:
            _, _, out, packet = heapq.heappop(heap)
            ready.setdefault(out, []).append(packet)
        return ready

    def next_release(self) -> float | None:
        """Earliest release time held, or None when empty."""
        return self._heap[0][0] if self._heap else None

    def __len__(self) -> int:
        return len(self._heap)


P = TypeVar("P")


class DelayingComponent(Component[P]):
    """A component that holds packets in a DelayLine until their release time.

    ``_hold`` with ``in_order`` keeps a packet from leaving before one held earlier for the
    same output (a FIFO link with variable delay).
    """

    def __init__(self, *, component_id: str, params: P) -> None:
        super().__init__(component_id=component_id, params=params)
        self._line = DelayLine()
        self._last_release: dict[int, float] = {}

    def _hold(self, packet: Packet, out: int, release: float, *, in_order: bool) -> float:
        """Hold ``packet`` for ``out`` until ``release`` (later when in order); returns when."""
        if in_order:
            release = max(release, self._last_release.get(out, release))
            self._last_release[out] = release
        self._line.hold(packet, out, release)
        return release

    def poll(self, now: float) -> None:
        for out, batch in self._line.due(now).items():
            self.emit(out, batch)

    def next_deadline(self) -> float | None:
        return self._line.next_release()

    def pending(self) -> int:
        return len(self._line)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (gauge("queued", len(self._line), "packets", "Packets being delayed."),)


@register("delay_constant")
class DelayConstant(DelayingComponent[DelayConstantParams]):
    """Holds every packet for ``delay`` ms (+/- uniform ``jitter``, never below zero).

    Without ``allow_reordering`` a packet never leaves before the one that arrived before it
    on the same flow. One random draw per packet, only when ``jitter`` > 0.
    """

    params_type = DelayConstantParams
    live_parameters = frozenset({"delay", "jitter", "allow_reordering"})

    def __init__(self, *, component_id: str, params: DelayConstantParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._routes = flow_routes(params.flows)
        self._delay = params.delay / 1000.0
        self._jitter = params.jitter / 1000.0
        self._rng = random.Random(params.seed)

    def handle(self, port: int, batch: Batch, now: float) -> None:
        out = self._routes[port]
        in_order = bool(self._jitter) and not self.params.allow_reordering
        for packet in batch:
            self._hold(packet, out, self._release_time(now), in_order=in_order)

    def reconfigure(self, params: DelayConstantParams) -> None:
        """New delay and jitter apply to packets arriving from now on."""
        super().reconfigure(params)
        self._delay = params.delay / 1000.0
        self._jitter = params.jitter / 1000.0

    def _release_time(self, now: float) -> float:
        if not self._jitter:
            return now + self._delay
        offset = self._rng.uniform(-self._jitter, self._jitter)
        return max(now, now + self._delay + offset)


# ---- loss_dynamic ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LossPhase:
    """One phase of ``loss_dynamic``."""

    duration: int = param(
        1000, doc="Length of the phase, milliseconds.", minimum=1, maximum=UINT32_MAX
    )
    loss_probability: float = param(
        1.0,
        doc="Chance that a packet is dropped during the phase, percent.",
        minimum=0,
        maximum=100,
    )


@dataclass(frozen=True)
class LossDynamicParams:
    """Parameters of ``loss_dynamic``."""

    flows: tuple[Flow, ...] = param(doc=_FLOWS_DOC, minimum=1)
    phases: tuple[LossPhase, ...] = param(
        (LossPhase(),), doc="Loss phases, repeated in a loop from the start of the run.", minimum=1
    )
    seed: int | None = _seed_param()


@register("loss_dynamic")
class LossDynamic(Component[LossDynamicParams]):
    """Drops packets at random with a probability that follows a looping list of phases.

    Each packet takes one ``random()`` draw (when the phase's probability is above zero) and is
    dropped when draw x 100 < probability. Phases start counting at the start of the run.
    """

    params_type = LossDynamicParams
    live_parameters = frozenset({"phases"})

    def __init__(self, *, component_id: str, params: LossDynamicParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._routes = flow_routes(params.flows)
        self._durations = [phase.duration / 1000.0 for phase in params.phases]
        self._rng = random.Random(params.seed)
        self._start: float | None = None
        self._probability = params.phases[0].loss_probability

    def reconfigure(self, params: LossDynamicParams) -> None:
        """New phases apply from the next packet, timed from the start of the run as before."""
        super().reconfigure(params)
        self._durations = [phase.duration / 1000.0 for phase in params.phases]

    def start(self, now: float) -> None:
        self._start = now

    def handle(self, port: int, batch: Batch, now: float) -> None:
        if self._start is None:
            self._start = now
        index = _phase_at(self._durations, now - self._start)
        probability = self._probability = self.params.phases[index].loss_probability
        if probability > 0:
            draw = self._rng.random
            kept = [packet for packet in batch if draw() * 100 >= probability]
            self.packets_dropped += len(batch) - len(kept)
            batch = kept
        if batch:
            self.emit(self._routes[port], batch)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            gauge(
                "loss_probability", self._probability, "%", "Loss probability of the current phase."
            ),
        )


# ---- timed_burst_loss -----------------------------------------------------------------------


@dataclass(frozen=True)
class TimedBurstLossParams:
    """Parameters of ``timed_burst_loss``."""

    input: str | None = param(None, doc="Link the packets arrive on.", link=True)
    output: str | None = param(None, doc="Link the surviving packets leave on.", link=True)
    interval_ms: int = param(
        100,
        doc="Grace period before each burst, milliseconds; packets pass.",
        minimum=0,
        maximum=INT32_MAX,
    )
    burst_packets: int = param(
        0,
        doc="A burst ends after dropping this many packets; 0 = no packet limit.",
        minimum=0,
        maximum=INT32_MAX,
    )
    burst_duration_ms: int = param(
        0,
        doc="A burst ends after this many milliseconds; 0 = no time limit.",
        minimum=0,
        maximum=INT32_MAX,
    )
    cancel_timer_ms: int | None = param(
        None,
        doc="A burst still waiting for burst_packets is cancelled after this many milliseconds.",
        minimum=1,
        maximum=INT32_MAX,
    )


@register("timed_burst_loss")
class TimedBurstLoss(Component[TimedBurstLossParams]):
    """Alternates a grace period (packets pass) with a burst (every packet is dropped).

    The first grace period starts with the run. A burst ends at whichever comes first: its
    ``burst_packets``-th drop, ``burst_duration_ms`` after it began, or ``cancel_timer_ms``
    after it began; the next grace period starts then. With both ``burst_packets`` and
    ``burst_duration_ms`` at 0 there are no bursts and nothing is dropped.
    """

    params_type = TimedBurstLossParams

    def __init__(self, *, component_id: str, params: TimedBurstLossParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._enabled = bool(params.burst_packets or params.burst_duration_ms)
        self._grace = params.interval_ms / 1000.0
        self._duration = params.burst_duration_ms / 1000.0
        cancel = None if params.cancel_timer_ms is None else params.cancel_timer_ms / 1000.0
        limits = [x for x in (self._duration or None, cancel) if x is not None]
        self._limit = min(limits) if limits else None
        self._in_burst = False
        self._phase_start: float | None = None
        self._burst_drops = 0
        self.bursts = 0

    def start(self, now: float) -> None:
        self._phase_start = now

    def handle(self, port: int, batch: Batch, now: float) -> None:
        if self._phase_start is None:
            self._phase_start = now
        if not self._enabled:
            self.emit(0, batch)
            return
        kept: Batch = []
        for packet in batch:
            self._advance(now)
            if self._in_burst:
                self._drop_one(now)
            else:
                kept.append(packet)
        if kept:
            self.emit(0, kept)

    def _drop_one(self, now: float) -> None:
        self.packets_dropped += 1
        self._burst_drops += 1
        if self.params.burst_packets and self._burst_drops >= self.params.burst_packets:
            self._end_burst(now)

    def _advance(self, now: float) -> None:
        """Apply every phase change due by ``now``."""
        assert self._phase_start is not None
        while True:
            if not self._in_burst:
                if now + _EPSILON < self._phase_start + self._grace:
                    return
                self._begin_burst(self._phase_start + self._grace)
                continue
            limit = self._limit
            if limit is None or now + _EPSILON < self._phase_start + limit:
                return
            self._end_burst(self._phase_start + limit)

    def _begin_burst(self, at: float) -> None:
        self._in_burst = True
        self._phase_start = at
        self._burst_drops = 0
        self.bursts += 1

    def _end_burst(self, at: float) -> None:
        self._in_burst = False
        self._phase_start = at

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            counter("bursts", self.bursts, "bursts", "Bursts begun so far."),
            gauge(
                "in_burst", float(self._in_burst), "bool", "1 while a burst is dropping packets."
            ),
        )


# ---- bandwidth_limit_dynamic ----------------------------------------------------------------


def _positive(value: float) -> str | None:
    return None if value > 0 else f"must be > 0, got {value:g}"


@dataclass(frozen=True)
class BandwidthPhase:
    """One phase of ``bandwidth_limit_dynamic``."""

    duration: int = param(
        1000, doc="Length of the phase, milliseconds.", minimum=1, maximum=UINT32_MAX
    )
    bandwidth_limit_mbit: float = param(
        1.0, doc="Link rate during the phase, megabits (10^6 bits) per second.", check=_positive
    )


@dataclass(frozen=True)
class BandwidthLimitDynamicParams:
    """Parameters of ``bandwidth_limit_dynamic``."""

    flows: tuple[Flow, ...] = param(doc=_FLOWS_DOC, minimum=1)
    phases: tuple[BandwidthPhase, ...] = param(
        (BandwidthPhase(),),
        doc="Rate phases, repeated in a loop from the start of the run.",
        minimum=1,
    )
    max_queue_size: int | None = param(
        1000,
        doc="Packets that may wait for the link; null = unlimited; 0 = drop whatever "
        "arrives while the link is busy.",
        minimum=0,
        maximum=UINT32_MAX,
    )


@register("bandwidth_limit_dynamic")
class BandwidthLimitDynamic(Component[BandwidthLimitDynamicParams]):
    """Emulates one link of limited rate shared by all flows, with a FIFO queue in front.

    A packet of *n* bytes occupies the link for *n* x 8 / rate seconds, at the rate of the
    phase in force when its transmission starts; packets that find the queue full are dropped.
    """

    params_type = BandwidthLimitDynamicParams

    def __init__(self, *, component_id: str, params: BandwidthLimitDynamicParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._routes = flow_routes(params.flows)
        self._durations = [phase.duration / 1000.0 for phase in params.phases]
        self._start: float | None = None
        self._busy_until = -1.0
        self._queue: deque[tuple[float, float, int, Packet]] = deque()
        self.bytes_out = 0

    def start(self, now: float) -> None:
        self._start = now

    def handle(self, port: int, batch: Batch, now: float) -> None:
        if self._start is None:
            self._start = now
        self.poll(now)
        out = self._routes[port]
        limit = self.params.max_queue_size
        for packet in batch:
            if limit is not None and self._busy_until > now and self._waiting(now) >= limit:
                self.packets_dropped += 1
                continue
            begin = max(now, self._busy_until)
            self._busy_until = begin + len(packet.payload) * 8 / self._rate_at(begin)
            self._queue.append((begin, self._busy_until, out, packet))

    def _waiting(self, now: float) -> int:
        queue = self._queue
        return len(queue) - 1 if queue and queue[0][0] <= now else len(queue)

    def _rate_at(self, at: float) -> float:
        assert self._start is not None
        phase = self.params.phases[_phase_at(self._durations, at - self._start)]
        return phase.bandwidth_limit_mbit * 1_000_000

    def poll(self, now: float) -> None:
        queue = self._queue
        ready: dict[int, Batch] = {}
        while queue and queue[0][1] <= now:
            _, _, out, packet = queue.popleft()
            self.bytes_out += len(packet.payload)
            ready.setdefault(out, []).append(packet)
        for out, batch in ready.items():
            self.emit(out, batch)

    def next_deadline(self) -> float | None:
        return self._queue[0][1] if self._queue else None

    def pending(self) -> int:
        return len(self._queue)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        rate = (
            self._rate_at(now)
            if self._start is not None
            else self.params.phases[0].bandwidth_limit_mbit * 1e6
        )
        return (
            gauge("queued", len(self._queue), "packets", "Packets waiting for or on the link."),
            counter("bytes_out", self.bytes_out, "bytes", "Payload bytes that crossed the link."),
            gauge("bandwidth_limit", rate, "bit/s", "Link rate of the current phase."),
        )
