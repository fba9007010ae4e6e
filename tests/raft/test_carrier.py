"""A carrier's capacity estimate and pacer, fed receiver reports on a fake clock."""

from __future__ import annotations

import random

from nanoping.raft import wire
from nanoping.raft.carrier import (
    DRAIN,
    ITEM_BYTES,
    PATH_BYTES,
    PROBE_PAUSE,
    SETTLE,
    CarrierEstimate,
    Pacer,
)
from nanoping.raft.wire import Feedback

REPORT = 0.01
DATAGRAM = 1233


class Receiver:
    """Cumulative reports of a path that delivers ``rate_bps`` (path bits) with a given queue."""

    def __init__(self, estimate: CarrierEstimate) -> None:
        self.estimate = estimate
        self.now = 0.0
        self.received = 0
        self.lost = 0
        self.bytes = 0

    def report(self, *, rate_bps: float, queue: float, sent_bps: float, loss: float = 0.0) -> None:
        self.now += REPORT
        count = round(rate_bps * REPORT / 8 / (DATAGRAM + PATH_BYTES))
        self.received += count
        self.bytes += count * DATAGRAM
        self.lost += round(count * loss / (1 - loss))
        fb = Feedback(
            highest_pkt=self.received + self.lost,
            received=self.received,
            lost=self.lost,
            loss_runs=self.lost,
            bytes_received=self.bytes,
            rx_clock_us=int(self.now * 1e6),
            echo_tx_us=int((self.now - 0.03) * 1e6),
            hold_us=0,
            queue_delay_us=int(queue * 1e6),
        )
        self.estimate.on_feedback(fb, int(self.now * 1e6), self.now, sent_bps)


def test_a_full_path_sets_the_estimate_to_its_delivery_rate_then_drains_and_settles() -> None:
    estimate = CarrierEstimate(25e6)  # starts 25 % above the path's 20 Mbit/s
    path = Receiver(estimate)
    for _ in range(20):  # delivery is capped at 20 Mbit/s and a queue builds
        path.report(rate_bps=20e6, queue=0.012, sent_bps=25e6)
    # The capacity counts the IP/UDP headers, as the pacer does: within 1 % of the path.
    assert abs(estimate.capacity - 20e6) < 0.2e6
    assert estimate.rate_bps < 20e6 * (DRAIN + 0.01)  # below capacity while the queue drains
    for _ in range(3):
        path.report(rate_bps=DRAIN * 20e6, queue=0.001, sent_bps=DRAIN * 20e6)
    assert abs(estimate.rate_bps - SETTLE * estimate.capacity) < 0.1e6


def test_probing_is_quick_below_the_measured_capacity_and_paused_then_gentle_above() -> None:
    estimate = CarrierEstimate(10e6)
    path = Receiver(estimate)
    for _ in range(20):  # never measured: a backlogged sender climbs quickly
        path.report(rate_bps=estimate.rate_bps, queue=0.0, sent_bps=estimate.rate_bps)
    assert estimate.rate_bps > 13e6
    for _ in range(20):
        path.report(rate_bps=15e6, queue=0.012, sent_bps=estimate.rate_bps)
    for _ in range(3):
        path.report(rate_bps=13e6, queue=0.0, sent_bps=13e6)
    settled = estimate.rate_bps
    assert abs(settled - SETTLE * estimate.capacity) < 0.1e6

    def full_for(seconds: float) -> None:
        for _ in range(round(seconds / REPORT)):
            path.report(rate_bps=estimate.rate_bps, queue=0.0, sent_bps=estimate.rate_bps)

    full_for(PROBE_PAUSE - 0.5)
    assert estimate.rate_bps == settled  # no probe right after a verdict
    full_for(1.0)  # then half a second of probing: a few per cent, no more
    assert settled < estimate.rate_bps < 1.08 * settled


def test_an_idle_carrier_keeps_its_estimate() -> None:
    estimate = CarrierEstimate(10e6)
    path = Receiver(estimate)
    for _ in range(100):  # keep-alives only
        path.report(rate_bps=60e3, queue=0.0, sent_bps=60e3)
    assert estimate.rate_bps == 10e6


def test_the_pacer_drops_what_would_arrive_late_without_spending_carrier_time() -> None:
    pacer = Pacer()
    pacer.push(wire.DATA, bytes(1200), 1.00)
    pacer.push(wire.DATA, bytes(1200), 1.01)
    pacer.push(wire.DATA, bytes(1200), 2.00)
    item = pacer.pop(1.0, 10e6, 0.02)
    assert item is not None
    assert item[2] == 2.00
    assert pacer.expired == 2
    # Only the body that left counts against the carrier: the next may go 1 ms later.
    assert pacer.next_send < 1.0 + 0.0011
    assert pacer.queued_bytes == 0
    assert pacer.pop(2.0, 10e6) is None


def test_a_pacer_woken_one_to_three_ms_late_still_sends_at_its_rate() -> None:
    # Real event loops fire timers late; the time owed while a backlog waited is not lost.
    rng = random.Random(14)
    pacer = Pacer()
    for _ in range(3000):
        pacer.push(wire.DATA, bytes(1200), 100.0)
    rate, now, sent_bits = 10e6, 0.0, 0.0
    while now < 1.0:
        while (item := pacer.pop(now, rate)) is not None:
            sent_bits += (len(item[1]) + ITEM_BYTES) * 8
        due = pacer.due()
        assert due is not None
        now = max(now, due) + rng.uniform(0.001, 0.003)
    assert sent_bits / now > 0.98 * rate


def test_an_idle_pacer_does_not_bank_credit_for_a_burst() -> None:
    pacer = Pacer()
    pacer.push(wire.DATA, bytes(1200), 100.0)
    assert pacer.pop(0.0, 10e6) is not None
    for _ in range(50):  # a second of idleness, then a burst arrives
        pacer.push(wire.DATA, bytes(1200), 100.0)
    left = 0
    while pacer.pop(1.0, 10e6) is not None:
        left += 1
    assert left <= 1 + round(Pacer.BURST_S * 10e6 / ((1200 + ITEM_BYTES) * 8))


def test_an_app_limited_sender_keeps_its_estimate_through_delay_noise() -> None:
    # Half the estimate offered and all of it delivered: host scheduling noise in the delay
    # (a late receiver loop) is no sign of a full path, so the estimate must not fall.
    estimate = CarrierEstimate(20e6)
    path = Receiver(estimate)
    rng = random.Random(3)
    for i in range(500):
        queue = 0.009 if i % 7 == 0 else rng.uniform(0.0, 0.002)
        path.report(rate_bps=10e6, queue=queue, sent_bps=10e6)
    assert estimate.rate_bps >= 20e6
    assert not estimate.measured or estimate.capacity >= 10e6


def test_an_app_limited_sender_still_sees_a_capacity_drop() -> None:
    # Offered 4 Mbit/s on a path that falls to 2: delivery falls short of what was sent.
    estimate = CarrierEstimate(5e6)
    path = Receiver(estimate)
    for _ in range(50):
        path.report(rate_bps=4e6, queue=0.001, sent_bps=4e6)
    for _ in range(50):  # the pacer sends no faster than the estimate
        path.report(rate_bps=2e6, queue=0.03, sent_bps=min(4e6, estimate.rate_bps))
    assert estimate.rate_bps < 2.2e6


def test_a_lossy_full_path_is_measured_at_what_it_accepts_not_what_survives() -> None:
    # 10 % radio loss on a 20 Mbit/s path: 18 Mbit/s arrive, but 20 Mbit/s may be sent.
    estimate = CarrierEstimate(25e6)
    path = Receiver(estimate)
    for _ in range(20):
        path.report(rate_bps=18e6, queue=0.012, sent_bps=25e6, loss=0.1)
    assert abs(estimate.loss - 0.1) < 0.01
    assert abs(estimate.capacity - 20e6) < 0.3e6


def test_a_verdict_across_a_host_stall_keeps_the_rate_the_path_just_carried() -> None:
    # 11 Mbit/s carried without a queue, then a stall of the sending host: delivery dips,
    # the catch-up burst meets a late receiver loop (delay), and a verdict falls due.
    estimate = CarrierEstimate(12e6)
    path = Receiver(estimate)
    for _ in range(100):
        path.report(rate_bps=11e6, queue=0.0005, sent_bps=11.5e6)
    for _ in range(3):
        path.report(rate_bps=1e6, queue=0.0005, sent_bps=0.5e6)
    path.report(rate_bps=3e6, queue=0.02, sent_bps=20e6)
    assert estimate.measured  # the verdict was taken ...
    assert estimate.capacity > 10.5e6  # ... at the rate carried just before the stall
