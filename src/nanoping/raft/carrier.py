"""One carrier as an endpoint sees it: receive accounting, estimates from feedback, pacing."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from nanoping.raft.rtt import RttEstimator
from nanoping.raft.wire import HEADER_BYTES, U32, Feedback

LATENESS_SPAN = 5.0
"""Seconds (one to two spans) the worst lateness of a carrier's arrivals is remembered."""
MISSING_MEMORY = 1024
"""Recently missing packet numbers kept so a late arrival is not counted as lost."""
MIN_RATE_BPS = 64_000.0
"""Floor of a carrier's capacity estimate, so a starved carrier still carries probes."""
OVERUSE_S = 0.006
"""Queueing delay above which a carrier is taken as saturated (its rate drops to delivery)."""
UNDERUSE_S = 0.003
"""Queueing delay below which the capacity estimate may probe upwards."""
FAST_LOSS_PACKETS = 80
"""Span (packets) of the fast loss average that lets repair react to a loss step at once."""
SLOW_LOSS_PACKETS = 100
"""Span (packets) of the slow loss average the repair rate follows.

Short enough that repair passes a 1 % -> 10 % step within ~300 ms (200 packets took ~450 ms);
its noise costs no overhead on average, as the repair rate now follows it without a max filter.
"""
PATH_BYTES = 28
"""Bytes the path carries per datagram beyond the datagram itself (IPv4 + UDP headers)."""
DRAIN = 0.95
"""Share of the measured capacity sent while the queue an overshoot built drains."""
PROBE_GAIN = 0.003
"""Growth of the capacity estimate per round trip at or above the capacity last measured.

Gentle on purpose (about 10 % per second on a 30 ms path): an overshoot builds a few
milliseconds of queue before the delay verdict, not the tens that make holes expire.
"""
CLIMB_GAIN = 0.15
"""Growth per round trip below the capacity last measured (or before any): no queue is at
stake yet, but the verdict on an overshoot comes a round trip late, so per round trip."""
PROBE_PAUSE = 5.0
"""Seconds a carrier stays at the settled rate before probing above the measured capacity.

Every probe ends in a few milliseconds of queue on the path that the scheduler cannot move
to another carrier; pausing keeps those episodes to a small share of the time (in-order
p99), while a capacity that grows is still found within seconds.
"""
SETTLE = 0.99
"""Share of the measured capacity to go back to after a drain: queues stay in our pacer."""
CLEAN_SPAN = 0.1
"""Seconds (one to two spans) a rate the path carried without a queue bounds a verdict:
longer than a host stall, short against a real capacity drop (S9 wants the queue gone in 1 s)."""
APP_LIMITED = 0.9
"""Below this share of the estimate the sender is app-limited; at or above this share of
what it sent (net of loss) the path keeps up with it."""


def unwrap(value: int, reference: int) -> int:
    """The integer congruent to ``value`` mod 2^32 closest to ``reference``."""
    delta = (value - reference) % U32
    if delta >= U32 // 2:
        delta -= U32
    return reference + delta


class WindowedMin:
    """Minimum over the last one to two windows of ``span`` seconds: follows clock drift."""

    __slots__ = ("_current", "_previous", "_span", "_started")

    def __init__(self, span: float) -> None:
        self._span = span
        self._started = 0.0
        self._current: float | None = None
        self._previous: float | None = None

    def add(self, value: float, now: float) -> float:
        """Record a value and return the current minimum."""
        current = self._current
        if current is None or now - self._started >= self._span:
            self._previous, self._current, self._started = current, value, now
        elif value < current:
            self._current = value
        return self.value

    @property
    def value(self) -> float:
        """The minimum (0.0 before any value)."""
        current, previous = self._current, self._previous
        if current is None:  # nothing yet (the previous window is only ever a former current)
            return 0.0
        return previous if previous is not None and previous < current else current

    def value_at(self, now: float) -> float:
        """The minimum over values at most two spans old at ``now`` (0.0 if none)."""
        age = now - self._started
        if self._current is None or age >= 2 * self._span:
            return 0.0
        if age >= self._span:
            return self._current
        return self.value


class ReceiveStats:
    """What the receiving side counts about one carrier, reported back in FEEDBACK."""

    def __init__(self) -> None:
        self.highest = -1
        self.received = 0
        self.lost = 0
        self.loss_runs = 0
        self.bytes = 0
        self.last_tx_us = 0
        self.last_arrival = 0.0
        self._missing: deque[int] = deque(maxlen=MISSING_MEMORY)
        self._base_owd = WindowedMin(10.0)
        self._lateness = WindowedMin(LATENESS_SPAN)
        """Of minus each arrival's delay above the base: its maximum, the worst lateness."""
        self.queue_delay = 0.0
        self.unreported = False

    def add(self, pkt_num: int, tx_us: int, size: int, now: float) -> None:
        """Account one datagram that arrived on the carrier."""
        self.received += 1
        self.bytes += size
        self.unreported = True
        num = pkt_num if self.highest < 0 else unwrap(pkt_num, self.highest)
        if num > self.highest:
            if self.highest >= 0 and num > self.highest + 1:
                gap = num - self.highest - 1
                self.lost += gap
                self.loss_runs += 1
                self._missing.extend(range(max(self.highest + 1, num - MISSING_MEMORY), num))
            self.highest = num
            self.last_tx_us = unwrap(tx_us, self.last_tx_us) if self.received > 1 else tx_us
            self.last_arrival = now
            self._track_delay(now)
        elif num in self._missing:
            self._missing.remove(num)
            self.lost -= 1

    def _track_delay(self, now: float) -> None:
        owd = now - self.last_tx_us / 1e6
        base = self._base_owd.add(owd, now)
        self.queue_delay += (owd - base - self.queue_delay) / 4
        self._lateness.add(base - owd, now)

    @property
    def base_delay(self) -> float:
        """Least one-way delay seen (receiver clock minus sender clock, so with their offset)."""
        return self._base_owd.value

    @property
    def lateness(self) -> float:
        """Most an arrival came after the base delay lately: path queues, and the time
        datagrams waited unread in the socket on a busy host."""
        return -self._lateness.value

    def report(self, now: float) -> Feedback:
        """The FEEDBACK body describing everything received so far."""
        self.unreported = False
        return Feedback(
            highest_pkt=max(self.highest, 0),
            received=self.received,
            lost=self.lost,
            loss_runs=self.loss_runs,
            bytes_received=self.bytes,
            rx_clock_us=int(now * 1e6),
            echo_tx_us=self.last_tx_us,
            hold_us=int(max(0.0, now - self.last_arrival) * 1e6),
            queue_delay_us=int(max(0.0, self.queue_delay) * 1e6),
        )


@dataclass(slots=True)
class FeedbackSample:
    """What one FEEDBACK told the sender, as differences to the previous one."""

    interval: float
    """Receiver clock seconds since the previous report."""
    received: int
    """Datagrams received in the interval."""
    lost: int
    """Packet numbers lost in the interval."""
    runs: int
    """Loss runs that started in the interval."""
    delivered_bps: float
    """Delivery rate over the interval, bits per second."""


class CarrierEstimate:
    """The sender's model of a carrier, built from the peer's FEEDBACK (not from loss alone)."""

    def __init__(self, initial_rate_bps: float) -> None:
        self.rtt = RttEstimator()
        self.loss = 0.0
        self.loss_fast = 0.0
        self.echo_us: int | None = None
        """Send time (our µs clock) of the newest datagram the peer reported having received."""
        self.echo_span: tuple[int | None, int, int | None] | None = None
        """The last report's (previous echo, echo, datagrams the peer counted lost between
        them, None if it cannot be told): what reached the peer of what was sent in that span."""
        self.observed = 0
        self.burst = 1.0
        self.rate_bps = initial_rate_bps
        self.delivered_bps = 0.0
        self.queue_delay = 0.0
        self.last_feedback = -1.0
        self.capacity = initial_rate_bps
        """Delivery rate measured the last time the carrier was full (bits per second)."""
        self._hold_until = 0.0
        self._draining = False
        self.measured = False
        """Whether :attr:`capacity` was measured on a full path (not just configured)."""
        self._probe_after = 0.0
        self.sent_bps = 0.0
        """Smoothed path bits per second we sent on the carrier."""
        self._previous: Feedback | None = None
        self._clean = WindowedMin(CLEAN_SPAN)
        """Negated rates the path accepted without a queue, over the last 0.1-0.2 s."""

    def forget_loss(self) -> None:
        """Start loss statistics afresh (a blackout is not the carrier's loss rate)."""
        self.loss = self.loss_fast = 0.0
        self.observed = 0
        self._previous = None

    @property
    def loss_for_repair(self) -> float:
        """The slow loss average, or the fast one when it clearly jumped above (a loss step)."""
        if self.loss_fast > 2 * self.loss + 0.01:
            return self.loss_fast
        return self.loss

    def on_feedback(self, fb: Feedback, tx_us_now: int, now: float, sent_bps: float) -> None:
        """Update RTT, loss, burst, delivery rate and capacity from one report."""
        self.last_feedback = now
        echo = unwrap(fb.echo_tx_us, tx_us_now)
        if echo <= tx_us_now:
            self.rtt.add((tx_us_now - echo - fb.hold_us) / 1e6)
        self.queue_delay = fb.queue_delay_us / 1e6
        sample = self._difference(fb)
        self._previous = fb
        # What this report says of the datagrams sent after the previous report's echo up
        # to this one's: how many of them the peer counted lost (None: cannot tell).
        self.echo_span = (self.echo_us, echo, None if sample is None else sample.lost)
        if self.echo_us is None or echo > self.echo_us:
            self.echo_us = echo
        if sample is not None:
            self._learn(sample, sent_bps, now)

    def _difference(self, fb: Feedback) -> FeedbackSample | None:
        prev = self._previous
        if prev is None:
            return None
        interval = ((fb.rx_clock_us - prev.rx_clock_us) % U32) / 1e6
        if interval <= 0.0 or interval > 10.0:
            return None
        received = (fb.received - prev.received) % U32
        lost = (fb.lost - prev.lost) % U32
        if lost > received + 65536:  # a late arrival made the cumulative count go down
            lost = 0
        runs = (fb.loss_runs - prev.loss_runs) % U32
        nbytes = (fb.bytes_received - prev.bytes_received) % U32
        # The path's capacity counts the IP/UDP headers too (the pacer spends them).
        path_bits = (nbytes + PATH_BYTES * received) * 8
        return FeedbackSample(interval, received, lost, min(runs, lost), path_bits / interval)

    def _learn(self, s: FeedbackSample, sent_bps: float, now: float) -> None:
        total = s.received + s.lost
        if total:
            # A plain mean over the first packets (keep-alives included), then an EWMA: the
            # estimate is right quickly after start and follows changes within ~100 packets.
            self.observed += total
            # Bursts make short averages swing: stretch the windows by the burst length (the
            # slow one at most twofold: the repair margin under bursts covers the rest).
            stretch = max(1.0, self.burst)
            slow_span = SLOW_LOSS_PACKETS * min(2.0, stretch)
            gain = min(1.0, total / min(slow_span, self.observed))
            self.loss += (s.lost / total - self.loss) * gain
            fast = min(1.0, total / min(FAST_LOSS_PACKETS * stretch, self.observed))
            self.loss_fast += (s.lost / total - self.loss_fast) * fast
        if s.runs:
            self.burst += (s.lost / s.runs - self.burst) / 8
        self.delivered_bps += (s.delivered_bps - self.delivered_bps) / 4
        if self.queue_delay < UNDERUSE_S:
            self._clean.add(-self._accepted, now)
        self._adapt_rate(now, sent_bps, s.interval)

    def _adapt_rate(self, now: float, sent_bps: float, interval: float) -> None:
        """Capacity from delivery rate and queueing delay; loss alone never lowers it.

        A growing queue while the path delivers a good share of the estimate means the path is
        full, so what it delivers is its capacity: remember that, and send a little below it
        until the queue drains (waiting one round trip between verdicts for the effect to
        show). Then go back to the measured capacity and probe upwards gently, and only while
        we send or the path delivers close to the estimate (a lossy path delivers less than it
        is sent), so an idle carrier's estimate never runs away from what it has shown. A
        queue we did not fill (little delivered: delay from others or the hosts) says nothing.
        """
        self.sent_bps += (sent_bps - self.sent_bps) / 4
        sent = self.sent_bps
        in_use = self.delivered_bps > 0.3 * self.rate_bps
        # Sending at the estimate (the pacer has a backlog) above the capacity last measured
        # is a probe, and a small queue is the answer it waits for.
        probing = sent > 0.9 * self.rate_bps and (not self.measured or sent > self.capacity)
        if self.queue_delay > (UNDERUSE_S if probing else OVERUSE_S) and in_use:
            if self._app_limited(sent):
                return
            if now >= self._hold_until:
                self._path_full(now, raise_only=probing and self.measured)
        elif self.queue_delay < UNDERUSE_S:
            self._probe(now, sent, min(1.0, interval / self.rtt.smoothed))

    def _app_limited(self, sent: float) -> bool:
        """Whether the sender, not the path, set the delivery rate, which the path kept up with.

        Such a sample cannot show the capacity (BBR-style delivery-rate estimators mark it
        app-limited): delay seen then is host scheduling noise or someone else's queue, and
        lowering the estimate to the delivery rate would refuse packets the path carries. A
        path that falls short of what we send (beyond its loss) is full even so.
        """
        pacer_limited = sent >= APP_LIMITED * self.rate_bps
        keeps_up = self.delivered_bps >= APP_LIMITED * sent * (1.0 - self.loss)
        return not pacer_limited and keeps_up

    @property
    def _accepted(self) -> float:
        return self.delivered_bps / max(0.5, 1.0 - self.loss)

    def _path_full(self, now: float, *, raise_only: bool) -> None:
        """The path is full: what it delivers is its capacity; drain below it for a while."""
        # What the path accepts from us: radio loss is not a lack of capacity, and taking the
        # delivery rate itself would lower a lossy carrier's estimate by its loss at every
        # verdict until the pacer, not the path, limits the stream.
        # Nor is it below what the path carried without a queue a moment ago: a verdict
        # taken across a stall of either host (a late loop, a busy core) sees a delivery
        # rate the stall, not the path, lowered.
        measured = max(
            self._accepted, -self._clean.value_at(now), 0.5 * self.rate_bps, MIN_RATE_BPS
        )
        # A probe only confirms or raises the capacity; lowering it takes a clear overuse.
        self.capacity = max(self.capacity, measured) if raise_only else measured
        self.measured = True
        self.rate_bps = max(DRAIN * self.capacity, MIN_RATE_BPS)
        self._draining = True
        self._hold_until = now + self.rtt.smoothed + 0.01

    def _probe(self, now: float, sent: float, rtts: float) -> None:
        """No queue: settle after a drain, climb to the measured capacity, then probe slowly."""
        if self._draining:
            self._draining = False
            self.rate_bps = max(self.rate_bps, SETTLE * self.capacity)
            self._probe_after = now + PROBE_PAUSE
        elif max(self.delivered_bps, sent) > 0.85 * self.rate_bps:
            if not self.measured or self.rate_bps < SETTLE * self.capacity:
                self.rate_bps *= 1 + CLIMB_GAIN * rtts
            elif now >= self._probe_after:
                self.rate_bps *= 1 + PROBE_GAIN * rtts


ITEM_BYTES = HEADER_BYTES + PATH_BYTES
"""What a queued body costs the path beyond its own bytes (Raft header, IP/UDP headers)."""


class Pacer:
    """Queue of encoded bodies waiting for their turn on one carrier, sent at ``rate_bps``."""

    BURST_S = 0.002
    """Credit an idle pacer keeps: a body queued after a pause may leave this far early."""
    CATCH_UP_S = 0.02
    """How far behind schedule a backlogged pacer may catch up after a late wake-up.

    Event-loop timers fire a millisecond or more late as a rule; while a backlog waited, that
    time is owed to the carrier, or the effective rate falls below the estimate and the queue
    grows until bodies expire. Bounded so that a long stall does not become a line-rate burst.
    """

    def __init__(self) -> None:
        self.urgent: deque[tuple[int, bytes, float]] = deque()
        self.normal: deque[tuple[int, bytes, float]] = deque()
        self.queued_bytes = 0
        self.next_send = 0.0
        self._backlogged = False
        self.expired = 0
        """Bodies dropped because they could no longer arrive before their deadline."""
        self.expired_bodies: list[tuple[int, bytes]] = []
        """(kind, body) of those, until the endpoint takes them (it tells the peer)."""

    def push(self, kind: int, body: bytes, deadline: float, *, urgent: bool = False) -> None:
        """Queue a body (without header) that must leave before ``deadline``."""
        (self.urgent if urgent else self.normal).append((kind, body, deadline))
        self.queued_bytes += len(body)

    def wait(self, now: float, rate_bps: float, extra_bytes: int = 0) -> float:
        """Seconds until ``extra_bytes`` queued now would have left the carrier."""
        items = len(self) + (1 if extra_bytes else 0)
        backlog = (self.queued_bytes + extra_bytes + ITEM_BYTES * items) * 8 / rate_bps
        return max(0.0, self.next_send - now) + backlog

    def pop(
        self, now: float, rate_bps: float, lead: float = 0.0
    ) -> tuple[int, bytes, float] | None:
        """The next body allowed to leave at ``now``, or None.

        Bodies that would arrive after their deadline (``now + lead`` past it) are dropped
        first and counted in :attr:`expired`, without spending the carrier's time on them.
        """
        if self.next_send > now:
            return None
        while self.urgent or self.normal:
            queue = self.urgent if self.urgent else self.normal
            item = queue.popleft()
            self.queued_bytes -= len(item[1])
            if now + lead > item[2]:
                self.expired += 1
                self.expired_bodies.append(item[:2])
                continue
            slack = self.CATCH_UP_S if self._backlogged else self.BURST_S
            start = max(self.next_send, now - slack)
            self.next_send = start + (len(item[1]) + ITEM_BYTES) * 8 / rate_bps
            # Busy from this send to the next: the time until it is owed to the carrier.
            self._backlogged = bool(self.urgent or self.normal)
            return item
        self._backlogged = False  # all of it expired: the carrier idles from here
        return None

    def __len__(self) -> int:
        return len(self.urgent) + len(self.normal)

    def due(self) -> float | None:
        """When the next queued body may leave, or None if the queue is empty."""
        return self.next_send if (self.urgent or self.normal) else None

    def drain(self) -> list[tuple[int, bytes, float]]:
        """Remove and return everything queued (the carrier is being excluded)."""
        items = [*self.urgent, *self.normal]
        self.urgent.clear()
        self.normal.clear()
        self.queued_bytes = 0
        self._backlogged = False
        return items


UP, EXCLUDED = "up", "excluded"


class CarrierState:
    """Everything one endpoint keeps about one carrier."""

    def __init__(self, *, index: int, handle: int, priority: int, initial_rate_bps: float) -> None:
        self.index = index
        self.handle = handle
        self.priority = priority
        self.established = False
        self.state = UP
        self.excluded_for = ""
        self.healthy_since = -1.0
        self.rx = ReceiveStats()
        self.estimate = CarrierEstimate(initial_rate_bps)
        self.pacer = Pacer()
        self.pkt_num = 0
        self.last_rx = -1.0
        self.last_data = -1.0
        """Local time a DATA packet last arrived on this carrier (-1: never)."""
        self.last_tx = -1.0
        self.first_tx_after_rx = -1.0
        self.sent_since_rx = 0
        self.last_feedback_sent = -1.0
        self.last_hello_reply = -1.0
        self.sent_datagrams = 0
        self.sent_bytes = 0
        self.window_bytes = 0
        self.window_start = 0.0
        self.path_free = 0.0
        """When the path would have sent all we gave it, at its measured capacity."""

    @property
    def usable(self) -> bool:
        """Established and not excluded: may carry stream packets."""
        return self.established and self.state == UP

    def expected_arrival(self, now: float, size: int) -> float:
        """When a packet of ``size`` bytes queued now would reach the peer.

        Once the path's capacity is measured, the queue we build on the path itself (while
        the estimate probes above it) is modelled too: the smoothed RTT shows it only a
        round trip later, after the scheduler has piled more onto this carrier.
        """
        est = self.estimate
        depart = now + self.pacer.wait(now, est.rate_bps, size)
        arrival = depart + est.rtt.one_way
        if est.measured:
            backlog = self.pacer.queued_bytes + size + ITEM_BYTES * (len(self.pacer) + 1)
            on_path = max(depart, self.path_free + backlog * 8 / est.capacity)
            arrival = max(arrival, on_path + est.rtt.min_rtt / 2)
        return arrival

    def note_sent(self, size: int, now: float) -> None:
        """Account a datagram handed to the carrier."""
        self.sent_datagrams += 1
        self.sent_bytes += size
        if self.estimate.measured:
            cost = (size + PATH_BYTES) * 8 / self.estimate.capacity
            self.path_free = max(self.path_free, now) + cost
        self.window_bytes += size + PATH_BYTES
        self.last_tx = now
        self.sent_since_rx += 1
        if self.first_tx_after_rx < 0:
            self.first_tx_after_rx = now

    def note_received(self, now: float) -> None:
        """Account anything received from the peer on this carrier."""
        self.last_rx = now
        self.first_tx_after_rx = -1.0
        self.sent_since_rx = 0

    def take_sent_rate(self, now: float) -> float:
        """Path bits per second sent since the last call (for the capacity probe)."""
        span = now - self.window_start
        rate = self.window_bytes * 8 / span if span > 0 else 0.0
        self.window_bytes, self.window_start = 0, now
        return rate

    def silent_for(self, now: float) -> float:
        """Seconds we have been sending without hearing anything back."""
        return now - self.first_tx_after_rx if self.first_tx_after_rx >= 0 else 0.0
