"""Two Raft cores over simulated links: the issue's scenarios, short, with fixed seeds.

Each run offers a few thousand packets (seconds of CPU); benchmarks/raft_scenarios.py runs
the same scenarios with 10^5 packets and reports every figure. The bounds here are what the
design holds at this length with these seeds, and they fail if recovery, bonding or the
estimators regress.
"""

from __future__ import annotations

from nanoping.raft.endpoint import RaftEndpoint
from nanoping.raft.scenarios import SCENARIOS, run_plain, run_raft


def test_s1_demo_link_loses_nothing_at_modest_overhead() -> None:
    rates: list[float] = []

    def watch(now: float, a: RaftEndpoint, b: RaftEndpoint) -> None:
        if 3.0 <= now <= 4.0:
            rates.append(a.stream_stats(0)["repair_rate"])

    plain = run_plain(SCENARIOS["S1"], count=4000, seed=3)
    outcome, _, b = run_raft(SCENARIOS["S1"], count=4000, seed=3, monitor=watch)
    assert plain.residual > 0.04  # the link really loses 5 %
    assert outcome.residual == 0.0
    assert outcome.duplicates == 0
    # 14.8 % at 10^5 packets; the first second, before the rate has adapted, weighs more here.
    assert outcome.overhead < 0.165
    assert outcome.quantile(0.5) < 0.055
    # A round trip (100 ms) outlasts the coding window (75 ms): repair covers the spread of a
    # window's loss, so the code rebuilds what ARQ would bring back only after one-way + RTT
    # (every loss of this run; ARQ on its own is tested below).
    assert outcome.quantile(0.99) <= 0.15
    assert b.stream_stats(0)["recovered_fec"] > 0
    # Adapted up from 1 % to 5 % + 2 standard deviations of a 75-source window's loss (~10 %).
    assert 0.08 < sum(rates) / len(rates) < 0.13


def test_s3_budget_below_a_round_trip_turns_arq_off_and_fec_carries_it() -> None:
    outcome, a, b = run_raft(SCENARIOS["S3"], count=4000, seed=3)
    assert outcome.residual <= 2e-3
    assert outcome.overhead < 0.38
    assert outcome.quantile(0.99) < 0.15
    assert a.stream_stats(0)["retransmitted"] == 0
    assert b.stream_stats(0)["nacks_sent"] == 0
    assert a.stream_stats(0)["repair_rate"] > 0.25


def test_s5_long_bursts_are_recovered_by_fec_and_arq_together() -> None:
    """S5 has an overhead goal and no latency goal, so its repair rate leaves the waves of
    bursty loss to ARQ's two rounds (a steady rate, no peak hold: 29 % overhead instead of
    47 % at 10^5 packets). More holes then wait for a resend, and in this short run raft's
    p99 falls behind ARQ alone's (221 against 204 ms; at 10^5 packets it is ahead, 200-207
    against 251-258 ms). What holds: every packet arrives inside the budget, the median
    packet does not wait for a resend as with ARQ alone, the tail is at most one RTT behind
    ARQ alone's, and FEC rebuilds most holes.
    """
    outcome, _, b = run_raft(SCENARIOS["S5"], count=4000, seed=3)
    arq_only, _, _ = run_raft(SCENARIOS["S5"], count=4000, seed=3, fec=False)
    assert outcome.residual == 0.0
    assert outcome.quantile(0.5) < arq_only.quantile(0.5)
    assert outcome.quantile(0.99) < arq_only.quantile(0.99) + 0.08
    stats = b.stream_stats(0)
    assert stats["recovered_fec"] > 2 * stats["recovered_arq"] > 0


def test_s6_repair_rate_follows_each_loss_phase() -> None:
    samples: list[tuple[float, float]] = []

    def watch(now: float, a: RaftEndpoint, b: RaftEndpoint) -> None:
        samples.append((now, a.stream_stats(0)["repair_rate"]))

    outcome, _, _ = run_raft(SCENARIOS["S6"], count=9800, seed=3, monitor=watch)
    assert outcome.residual <= 1e-3

    def rate_at(t: float) -> float:
        return [r for now, r in samples if now <= t][-1]

    assert rate_at(4.9) < 0.08  # 1 % phase
    # 10 % phase from t = 5 s: the rate passes the loss rate within 350 ms here (seed 3; the
    # benchmark measures every step of a long run against the 300 ms), and stays
    # above it through the phase on average. It follows a loss average over about a hundred
    # packets, so single samples swing by +-0.03 (down to 0.07 at times) with any change in
    # what crosses the links.
    assert min(now for now, r in samples if now >= 5.0 and r > 0.10) <= 5.35
    phase = [r for now, r in samples if 5.4 <= now <= 9.9]
    assert sum(phase) / len(phase) > 0.12
    assert rate_at(9.9) > 0.10
    assert rate_at(10.3) < rate_at(9.9)  # 3 % phase: decaying


def test_s7_below_the_fast_carrier_capacity_only_the_fast_carrier_carries_data() -> None:
    outcome, a, _ = run_raft(SCENARIOS["S7a"], count=3000, seed=3)
    assert outcome.residual == 0.0
    assert outcome.reordered == 0
    assert outcome.quantile(0.99) <= 0.016
    assert a.carrier_stats(1)["sent_bytes"] < 0.02 * a.carrier_stats(0)["sent_bytes"]


def test_s7_above_it_both_carriers_carry_data_in_order() -> None:
    outcome, a, _ = run_raft(SCENARIOS["S7b"], count=8000, seed=3)
    assert outcome.residual == 0.0
    assert outcome.reordered / outcome.sent < 0.01
    assert outcome.quantile(0.99) <= 0.08
    # Once the capacity estimates have settled (the first 2 s climb from below), in-order
    # delivery is bound by the slow carrier's 40 ms and stays under the 45 ms goal.
    steady = sorted(outcome.latencies[4600:])
    assert steady[int(0.99 * len(steady))] <= 0.045
    assert a.carrier_stats(1)["sent_bytes"] > 0.05 * a.carrier_stats(0)["sent_bytes"]


def test_s7_near_the_bonded_capacity_goodput_holds_and_only_the_sender_refuses() -> None:
    outcome, a, b = run_raft(SCENARIOS["S7c"], count=10000, seed=3)
    assert outcome.residual <= 0.05  # goodput >= 95 % of 24 Mbit/s on 25 Mbit/s of carriers
    assert outcome.reordered / outcome.sent < 0.01
    # What is not delivered was refused before it was numbered: no hole, nothing late.
    lost = outcome.sent - len(outcome.delivered_ids)
    assert a.stream_stats(0)["dropped_local"] == lost
    assert b.stream_stats(0)["lost"] == b.stream_stats(0)["late"] == 0
    assert outcome.quantile(0.99) < 0.2


def test_s8_a_blacked_out_carrier_costs_no_packet() -> None:
    events: list[object] = []

    def watch(now: float, a: RaftEndpoint, b: RaftEndpoint) -> None:
        events.extend(a.take_events())

    outcome, _, _ = run_raft(SCENARIOS["S8"], count=5500, seed=3, monitor=watch)
    assert outcome.residual == 0.0
    assert outcome.duplicates == 0
    names = [type(e).__name__ for e in events]
    assert "CarrierExcluded" in names
    assert "CarrierRestored" in names


def test_s9_queueing_delay_recovers_after_a_capacity_drop() -> None:
    queue: list[tuple[float, float]] = []
    overfilled: list[float] = []

    def watch(now: float, a: RaftEndpoint, b: RaftEndpoint) -> None:
        queue.append((now, a.carrier_stats(1)["queue_delay_ms"]))
        est = a.carriers[1].estimate
        # B carries at most what the sender gives it: an estimate left above the new 2 Mbit/s
        # (B is app-limited, so its samples cannot lower it) must not be acted on.
        if now >= 4.5 and est.rate_bps > 2.6e6 and est.sent_bps > 2.2e6:
            overfilled.append(now)

    outcome, _, _ = run_raft(SCENARIOS["S9"], count=8000, seed=3, monitor=watch)
    assert outcome.residual <= 1e-3
    after = [q for now, q in queue if 5.0 <= now <= 6.0]
    assert max(after) < 20.0  # back under 20 ms within 1 s of the drop at 4 s
    assert not overfilled


def test_arq_alone_survives_lost_nacks_and_lost_last_resends() -> None:
    # NACK copies and doubled last-chance resends: before them ARQ alone lost 5e-4 to 1.3e-3
    # of S1 and 1.4e-3 to 2.8e-3 of S6 at these lengths (seeds 3-5); now none or 1e-4.
    s1, _, b = run_raft(SCENARIOS["S1"], count=4000, seed=3, fec=False)
    assert s1.residual == 0.0
    assert b.stream_stats(0)["nack_copies"] > 0
    s6, a, _ = run_raft(SCENARIOS["S6"], count=9800, seed=3, fec=False)
    assert s6.residual <= 5e-4
    assert a.stream_stats(0)["resends_doubled"] > 0
