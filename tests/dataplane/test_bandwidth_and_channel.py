"""Bandwidth components and channel models on a fake clock: exact timings, seeded statistics."""

import statistics
from typing import Any

import pytest

from nanoping.dataplane import ConfigError, RunEnded, validate_config
from nanoping.dataplane.component import Component, component_types
from nanoping.dataplane.components.bandwidth import (
    BandwidthTracker,
    ConstrictorStep,
    limit_in_sequence,
)
from nanoping.dataplane.dataflow import Dataflow
from nanoping.dataplane.fakes import FakeClock, config_doc, run_virtual, wire
from nanoping.dataplane.packet import Packet
from nanoping.dataplane.parameter import parse_params

FLOW = {"input": "[c|in:0]-[up|out:0]", "output": "[down|in:0]-[c|out:0]"}


def build(name: str, **params: Any) -> Component[Any]:
    cls = component_types()[name]
    return cls(component_id="c", params=parse_params(cls.params_type, params))


def drive(
    component: Component[Any], arrivals: list[tuple[float, bytes]]
) -> list[tuple[bytes, float]]:
    """Push each payload at its time, poll at every deadline; return (payload, leave time)."""
    out: list[tuple[bytes, float]] = []
    component.start(0.0)
    pending = sorted(arrivals, reverse=True)  # popped from the end: earliest first
    now = 0.0

    def collect(at: float) -> None:
        for buffer in component.outputs:
            out.extend((packet.payload, at) for packet in buffer.take())

    while pending or component.next_deadline() is not None:
        deadline = component.next_deadline()
        if pending and (deadline is None or pending[-1][0] <= deadline):
            now, payload = pending.pop()
            component.push(0, [Packet(payload, now)], now)
        else:
            assert deadline is not None
            now = max(now, deadline)
            component.poll(now)
        collect(now)
    return out


def tag(i: int, size: int = 100) -> bytes:
    return i.to_bytes(4, "big") + bytes(size - 4)


def test_bandwidth_source_spaces_packets_to_its_rate() -> None:
    source = build("bandwidth_traffic_source", bandwidth_mbit=8, packet_size=1000, total_packets=5)
    times = []
    source.start(0.0)
    deadline = source.next_deadline()
    while deadline is not None:
        source.poll(deadline)
        times += [deadline] * len(source.outputs[0].take())
        deadline = source.next_deadline()
    assert times == pytest.approx([0.0, 0.001, 0.002, 0.003, 0.004])  # 1000 B at 8 Mbit/s = 1 ms
    assert source.finished(0.004, inputs_done=True, outputs_done=False)


def test_bandwidth_tracker_reports_bytes_per_second_over_its_window() -> None:
    tracker = build("bandwidth_tracker", window_ms=1000)
    assert isinstance(tracker, BandwidthTracker)
    for at in (0.0, 0.5, 1.0, 1.5):
        tracker.push(0, [Packet(bytes(1000), at)], at)
    assert tracker.rate(1.5) == 2000.0  # the batches of 1.0 and 1.5 s are inside (0.5, 1.5]
    assert tracker.rate(2.2) == 1000.0
    assert tracker.rate(3.0) == 0.0
    assert tracker.metrics(3.0).value("bytes") == 4000
    assert len(tracker.outputs[0].take()) == 4


def test_source_and_tracker_agree_on_the_rate_in_a_run() -> None:
    to_t, to_s = wire("t", 0, "src", 0), wire("s", 0, "t", 0)
    doc = config_doc(
        {
            "src": {"bandwidth_traffic_source": {"output": to_t, "bandwidth_mbit": 4,
                                                 "packet_size": 500, "total_packets": 3000}},
            "t": {"bandwidth_tracker": {"input": to_t, "output": to_s, "window_ms": 500}},
            "s": {"traffic_sink": {"input": to_s}},
        }
    )  # fmt: skip
    flow = Dataflow(validate_config(doc))
    clock = FakeClock()
    assert run_virtual(flow, clock, until=2.0) is None
    rate = flow.snapshot(clock.now()).collection("t").value("bandwidth")
    assert rate == pytest.approx(500_000, rel=0.01)  # 4 Mbit/s = 500 kB/s
    assert run_virtual(flow, clock) == RunEnded(0, "all components finished")
    assert flow.components["s"].packets_in == 3000


def test_constant_limit_serialises_packets_and_drops_beyond_its_queue() -> None:
    link = build("bandwidth_limit_constant", flows=[FLOW], bandwidth_limit_mbit=1, max_queue_size=3)
    out = drive(link, [(0.0, tag(i, 1250)) for i in range(10)])
    assert [t for _, t in out] == pytest.approx([0.01, 0.02, 0.03, 0.04])  # 1250 B = 10 ms
    assert link.packets_dropped == 6


def test_constrictor_passes_traffic_under_its_limit_untouched_and_queues_above() -> None:
    shaper = build("bandwidth_constrictor", bandwidth_limit_mbit=1, burst_bytes=2500)
    slow = drive(shaper, [(i * 0.02, tag(i, 1250)) for i in range(5)])  # 0.5 Mbit/s
    assert [t for _, t in slow] == pytest.approx([i * 0.02 for i in range(5)])
    shaper = build("bandwidth_constrictor", bandwidth_limit_mbit=1, burst_bytes=2500,
                   max_queue_size=5)  # fmt: skip
    burst = drive(shaper, [(0.0, tag(i, 1250)) for i in range(10)])
    assert [t for _, t in burst] == pytest.approx([0, 0, 0.01, 0.02, 0.03, 0.04, 0.05])
    assert [int.from_bytes(p[:4], "big") for p, _ in burst] == list(range(7))
    assert shaper.packets_dropped == 3


def test_sequencer_limits_follow_steps_and_ramps() -> None:
    steps = (
        ConstrictorStep(duration=1000, bandwidth_limit_mbit=1),
        ConstrictorStep(duration=1000, bandwidth_limit_mbit=3, transition=500),
    )
    at = [0.2, 1.0, 1.25, 1.6, 2.2]
    assert [limit_in_sequence(steps, t, repeat=True) for t in at] == pytest.approx([1, 1, 2, 3, 1])
    assert limit_in_sequence(steps, 5.0, repeat=False) == 3


def test_sequencer_shapes_to_each_step_in_turn() -> None:
    shaper = build(
        "bandwidth_constrictor_sequencer",
        steps=[
            {"duration": 1000, "bandwidth_limit_mbit": 1},
            {"duration": 1000, "bandwidth_limit_mbit": 4},
        ],
        repeat=False,
        burst_bytes=1250,
        max_queue_size=100_000,
    )
    offered = [(i * 0.004, tag(i, 1250)) for i in range(500)]  # 2.5 Mbit/s for 2 s
    out = drive(shaper, offered)
    first = sum(1 for _, t in out if t < 1.0)
    second = sum(1 for _, t in out if 1.0 <= t < 2.0)
    assert first == pytest.approx(100, abs=2)  # 1 Mbit/s of 1250-byte packets
    assert second == pytest.approx(400, abs=3)  # 4 Mbit/s: the backlog drains and new traffic flows
    assert len(out) == 500


def gilbert(seed: int, count: int, **params: Any) -> list[bool]:
    model = build("loss_gilbert_elliott", flows=[FLOW], seed=seed, **params)
    lost = []
    for i in range(count):
        model.push(0, [Packet(b"x", 0.0)], 0.0)
        lost.append(not model.outputs[0].take())
        del i
    return lost


def runs(lost: list[bool]) -> list[int]:
    lengths, current = [], 0
    for drop in lost:
        if drop:
            current += 1
        elif current:
            lengths.append(current)
            current = 0
    return lengths


def test_gilbert_elliott_loss_comes_in_bursts_of_the_expected_length() -> None:
    lost = gilbert(7, 100_000, p=5, r=20, loss_good=0, loss_bad=100)
    assert sum(lost) / len(lost) == pytest.approx(5 / 25, abs=0.01)
    assert statistics.mean(runs(lost)) == pytest.approx(1 / 0.2, rel=0.05)
    assert gilbert(7, 1000, p=5, r=20) == lost[:1000]  # seeded: exactly repeatable


def test_gilbert_elliott_with_partial_loss_in_each_state() -> None:
    lost = gilbert(3, 100_000, p=2, r=8, loss_good=1, loss_bad=50)
    expected = (2 * 50 + 8 * 1) / (2 + 8) / 100
    assert sum(lost) / len(lost) == pytest.approx(expected, abs=0.01)


def delays(seed: int, distribution: str, *, reorder: bool) -> list[tuple[int, float]]:
    jitter = build("jitter", flows=[FLOW], delay=20, spread=5, distribution=distribution,
                   seed=seed, allow_reordering=reorder)  # fmt: skip
    arrivals = [(i * 0.001, tag(i)) for i in range(20_000)]
    return [
        (index, leave - index * 0.001)
        for payload, leave in drive(jitter, arrivals)
        for index in [int.from_bytes(payload[:4], "big")]
    ]


def test_normal_jitter_has_the_configured_mean_and_deviation() -> None:
    out = delays(5, "normal", reorder=True)
    values = [d for _, d in out]
    assert statistics.mean(values) == pytest.approx(0.020, abs=0.0003)
    assert statistics.stdev(values) == pytest.approx(0.005, rel=0.05)
    assert [i for i, _ in out] != sorted(i for i, _ in out)  # reordering happened


def test_uniform_jitter_stays_in_its_band_and_keeps_order_unless_allowed() -> None:
    out = delays(6, "uniform", reorder=False)
    assert [i for i, _ in out] == list(range(20_000))
    assert min(d for _, d in out) >= 0.015 - 1e-9
    band = delays(6, "uniform", reorder=True)
    assert 0.015 - 1e-9 <= min(d for _, d in band) < max(d for _, d in band) <= 0.025 + 1e-9


@pytest.mark.parametrize("distribution", ["laplace", "exponential", "pareto"])
def test_other_distributions_give_their_spread(distribution: str) -> None:
    values = [d for _, d in delays(8, distribution, reorder=True)]
    assert min(values) >= 0
    spread = statistics.mean(abs(v - 0.020) for v in values)
    assert 0.002 < spread < 0.012


def test_an_unknown_distribution_is_refused_naming_the_known_ones() -> None:
    doc = config_doc({"j": {"jitter": {"flows": [FLOW], "distribution": "cauchy"}}})
    with pytest.raises(ConfigError, match="unknown distribution 'cauchy'; known: exponential"):
        validate_config(doc)
