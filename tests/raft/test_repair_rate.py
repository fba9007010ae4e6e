"""The repair-rate policy: the table by ARQ rounds and burstiness, and how the rate follows it."""

from __future__ import annotations

import dataclasses
from itertools import pairwise

import pytest

from nanoping.fec.sliding_window import MIN_TAIL_SPACING, TAIL_REPAIRS
from nanoping.raft.carrier import CarrierEstimate
from nanoping.raft.repair import (
    STEADY,
    RateController,
    RepairInputs,
    StreamRepair,
    arq_rounds,
    resend_rounds,
    split,
    spread_rate,
    target_rate,
)
from nanoping.raft.wire import Feedback


def inputs(
    *, loss: float, budget: float, rtt: float, burst: float = 1.0, window: float = 0.0
) -> RepairInputs:
    return RepairInputs(
        loss=loss, burst=burst, budget=budget, rtt=rtt, rttvar=0.0, window_packets=window
    )


def test_the_rate_comes_from_the_rounds_of_arq_that_fit_in_the_budget() -> None:
    tight = inputs(loss=0.10, budget=0.15, rtt=0.1)  # S3: no time to resend
    roomy = inputs(loss=0.05, budget=0.3, rtt=0.1)  # S1: two rounds
    assert (arq_rounds(tight), arq_rounds(roomy)) == (0, 2)
    fec_only = RepairInputs(loss=0.05, burst=1.0, budget=0.3, rtt=0.1, rttvar=0.0, arq=False)
    assert arq_rounds(fec_only) == 0
    assert target_rate(tight) == pytest.approx(3.0 * 0.10 + 0.01)
    assert target_rate(roomy) == pytest.approx(1.25 * 0.05 + 0.005)
    bursty = inputs(loss=0.05, budget=0.3, rtt=0.1, burst=4.0)
    assert target_rate(bursty) == pytest.approx((1.5 * 0.05 + 0.01) * 1.24)


def test_the_rate_never_sits_at_the_loss_rate_and_has_a_floor_and_a_cap() -> None:
    for loss in (0.003, 0.02, 0.2, 0.4):
        assert target_rate(inputs(loss=loss, budget=1.0, rtt=0.02)) > loss
    assert target_rate(inputs(loss=0.0, budget=1.0, rtt=0.02)) == 0.01
    assert target_rate(inputs(loss=0.5, budget=0.05, rtt=0.1)) == 0.6


def test_random_loss_is_followed_directly_bursty_loss_keeps_its_peak_for_a_while() -> None:
    # One round of ARQ (two would leave the waves to ARQ, see the steady rule below).
    calm, noisy = RateController(), RateController()
    for loss in (0.10, 0.06):
        calm.update(inputs(loss=loss, budget=0.2, rtt=0.1))
        noisy.update(inputs(loss=loss, budget=0.2, rtt=0.1, burst=4.0))
    assert calm.rate == pytest.approx(target_rate(inputs(loss=0.06, budget=0.2, rtt=0.1)))
    peak = target_rate(inputs(loss=0.10, budget=0.2, rtt=0.1, burst=4.0))
    assert noisy.rate == pytest.approx(0.99 * peak)


def s5(*, loss: float, nack_delay: float) -> RepairInputs:
    """S5's path (80 ms RTT, 300 ms budget, bursts of 8)."""
    return RepairInputs(
        loss=loss, burst=8.0, budget=0.3, rtt=0.08, rttvar=0.001, nack_delay=nack_delay
    )


def test_resend_rounds_count_from_when_a_hole_can_be_nacked() -> None:
    # A burst of 8 at ~1.4 packets per ms, the copy's 3 bursts, 2 ms reordering, 6 ms hold.
    s5_delay = 4 * 8 / 1400 + 0.002 + 0.006
    assert arq_rounds(s5(loss=0.1, nack_delay=s5_delay)) == 2
    assert 2.4 < resend_rounds(s5(loss=0.1, nack_delay=s5_delay)) < 2.6
    # S4: 50 ms RTT, 150 ms budget, bursts of 4: two rounds from the first send, not from
    # when the hole can be asked for.
    s4 = RepairInputs(loss=0.05, burst=4.0, budget=0.15, rtt=0.05, rttvar=0.001, nack_delay=0.024)
    assert arq_rounds(s4) == 2
    assert 1.6 < resend_rounds(s4) < 1.9
    assert resend_rounds(dataclasses.replace(s4, arq=False)) == 0.0


def test_bursty_loss_with_two_rounds_left_gets_a_steady_rate_from_averages() -> None:
    # Loss in waves: 20 % for 0.5 s, then none for 0.5 s (10 % on average), 4 s of updates.
    steady, tight = RateController(), RateController()
    for i in range(400):
        loss = 0.2 if (i // 50) % 2 == 0 else 0.0
        steady.update(s5(loss=loss, nack_delay=0.03))  # ~2.5 rounds
        tight.update(s5(loss=loss, nack_delay=0.11))  # ~1.6 rounds
    gain, offset = STEADY
    assert steady.loss == pytest.approx(0.1, abs=0.03)
    assert steady.rate == pytest.approx(gain * steady.loss + offset)
    # Without two rounds the peak of the last wave still holds the rate up.
    assert tight.rate > 2 * steady.rate


def test_where_a_round_trip_outlasts_the_window_repair_covers_the_spread_of_its_loss() -> None:
    def rate(loss: float, **kw: float) -> float:
        controller = RateController()
        controller.update(inputs(loss=loss, **kw))
        return controller.rate

    # S1 and S2: 100 ms round trip, 75 ms window of 75 sources: loss + 2 standard deviations
    # of the window's loss count, relatively more at 5 % than at 10 %.
    assert rate(0.05, budget=0.3, rtt=0.1, window=75) == pytest.approx(0.05 + 2 * 0.02517, 1e-3)
    assert rate(0.10, budget=0.3, rtt=0.1, window=75) == pytest.approx(0.10 + 2 * 0.03464, 1e-3)
    # A round trip shorter than the window (S6's 60 ms): a resend is as quick as a slow
    # rebuild, the table's share stays. Bursts and unknown windows keep the table too.
    table = 1.25 * 0.05 + 0.005
    assert rate(0.05, budget=0.2, rtt=0.06, window=75) == pytest.approx(table)
    assert rate(0.05, budget=0.3, rtt=0.1) == pytest.approx(table)
    bursty = inputs(loss=0.05, budget=0.3, rtt=0.1, burst=4.0, window=75)
    assert spread_rate(bursty, 0.05) == 0.0
    # No retransmission fits (S3's 150 ms budget): no round trip to beat, the FEC row rules.
    assert spread_rate(inputs(loss=0.05, budget=0.15, rtt=0.1, window=50), 0.05) == 0.0


def test_the_spread_margin_holds_through_the_swings_of_the_loss_estimate() -> None:
    controller = RateController()
    for _ in range(200):
        controller.update(inputs(loss=0.05, budget=0.3, rtt=0.1, window=75))
    rates = []
    for i in range(100):  # the estimate swings by +-2 points around 5 % (S1)
        loss = 0.03 if i % 2 else 0.07
        rates.append(controller.update(inputs(loss=loss, budget=0.3, rtt=0.1, window=75)))
    assert min(rates) > 0.095  # the table alone would follow the estimate down to 4.25 %
    assert controller.mean_loss == pytest.approx(0.05, abs=0.003)


def test_the_loss_for_repair_follows_a_step_within_about_a_hundred_packets() -> None:
    estimate = CarrierEstimate(10e6)
    received = lost = 0
    seen: list[float] = []
    for i in range(1, 120):  # 10 ms reports of 10 packets: 1 % loss for 0.6 s, then 10 %
        step = 1 if i > 60 or i % 10 == 0 else 0
        lost += step
        received += 10 - step
        fb = Feedback(received, received, lost, lost, received * 1200, i * 10_000, 0, 0, 0)
        estimate.on_feedback(fb, i * 10_000, i * 0.01, 0.0)
        seen.append(estimate.loss_for_repair)
    assert seen[59] < 0.02
    # 150 packets into the step the repair policy sees most of it: 1.25 x it passes 10 %.
    assert seen[74] > 0.08


def test_a_stream_that_goes_quiet_gets_several_spaced_tail_repairs_that_rebuild_its_tail() -> None:
    sender = StreamRepair(timeout=0.15, window_time=0.05, rate=0.1)
    receiver = StreamRepair(timeout=0.15, window_time=0.05, rate=0.1)
    now = 0.0
    for seq in range(20):
        now = seq * 0.001
        repairs = sender.encode(seq, seq, b"packet %d" % seq, now)
        if seq < 18:  # the last two sources are lost, and nothing comes after them
            receiver.source_arrived(seq, seq, b"packet %d" % seq, now)
        for repair in repairs:
            receiver.repair_arrived(repair, now)
    tail: list[tuple[float, bytes]] = []
    while (due := sender.next_deadline()) is not None and due < 1.0:
        tail += [(due, r) for r in sender.poll(due)]
    # TAIL_REPAIRS repairs (they stand in for the encoder's single flush), spaced out, all
    # while the last source is still in the window.
    times = [t for t, _ in tail]
    assert sender.tail_flushes == len(tail) == TAIL_REPAIRS
    assert times[0] >= 0.019 + MIN_TAIL_SPACING - 1e-9
    assert all(b - a >= MIN_TAIL_SPACING - 1e-9 for a, b in pairwise(times))
    assert times[-1] < 0.019 + 0.05
    rebuilt = [p for t, r in tail for p in receiver.repair_arrived(r, t)]
    parts = [split(p) for p in rebuilt]
    assert sorted(part[2] for part in parts if part is not None) == [b"packet 18", b"packet 19"]


def test_a_steady_stream_gets_no_tail_repairs() -> None:
    sender = StreamRepair(timeout=0.15, window_time=0.05, rate=0.1)
    for seq in range(200):
        now = seq * 0.001
        sender.encode(seq, seq, b"x", now)
        sender.poll(now)
    assert sender.tail_flushes == 0
