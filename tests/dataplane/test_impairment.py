"""Impairment cores on a fake timeline with seeded randomness: exact expectations."""

import random
from typing import Any

from nanoping.dataplane.component import Component
from nanoping.dataplane.components.impairment import (
    BandwidthLimitDynamic,
    BandwidthLimitDynamicParams,
    BandwidthPhase,
    DelayConstant,
    DelayConstantParams,
    LossDynamic,
    LossDynamicParams,
    LossPhase,
    TimedBurstLoss,
    TimedBurstLossParams,
)
from nanoping.dataplane.packet import Packet
from nanoping.dataplane.parameter import Flow

FLOW = Flow("[c|in:0]-[up|out:0]", "[down|in:0]-[c|out:0]")
CROSSED = (
    Flow("[c|in:0]-[a|out:0]", "[x|in:0]-[c|out:1]"),
    Flow("[c|in:1]-[b|out:0]", "[y|in:0]-[c|out:0]"),
)


def pkt(tag: int, size: int = 100) -> Packet:
    return Packet(tag.to_bytes(4, "big") + bytes(size - 4), 0.0)


def tags(batch: list[Packet]) -> list[int]:
    return [int.from_bytes(p.payload[:4], "big") for p in batch]


def out(component: Component[Any], port: int = 0) -> list[int]:
    return tags(component.outputs[port].take())


def test_delay_constant_releases_exactly_after_the_delay() -> None:
    delay = DelayConstant(component_id="d", params=DelayConstantParams(flows=(FLOW,), delay=50))
    delay.start(1.0)
    delay.push(0, [pkt(1), pkt(2)], 1.0)
    delay.push(0, [pkt(3)], 1.01)
    assert delay.next_deadline() == 1.05
    delay.poll(1.0499)
    assert out(delay) == []
    delay.poll(1.05)
    assert out(delay) == [1, 2]
    assert delay.next_deadline() == 1.06
    delay.poll(1.06)
    assert out(delay) == [3]
    assert delay.next_deadline() is None


def test_delay_routes_each_flow_to_its_own_output() -> None:
    delay = DelayConstant(component_id="d", params=DelayConstantParams(flows=CROSSED, delay=0))
    delay.push(0, [pkt(1)], 0.0)
    delay.push(1, [pkt(2)], 0.0)
    delay.poll(0.0)
    assert (out(delay, 0), out(delay, 1)) == ([2], [1])


def test_delay_jitter_is_seeded_and_keeps_order_by_default() -> None:
    params = DelayConstantParams(flows=(FLOW,), delay=50, jitter=20, seed=7)
    delay = DelayConstant(component_id="d", params=params)
    rng = random.Random(7)
    expected: list[float] = []
    for i in range(100):
        release = 1.0 + i * 0.001 + 0.05 + rng.uniform(-0.02, 0.02)
        expected.append(max([release, *expected[-1:]]))
        delay.push(0, [pkt(i)], 1.0 + i * 0.001)
    released: list[tuple[float, list[int]]] = []
    while (deadline := delay.next_deadline()) is not None:
        delay.poll(deadline)
        released.append((deadline, out(delay)))
    order = [tag for _, batch in released for tag in batch]
    assert order == list(range(100))
    times = {tag: at for at, batch in released for tag in batch}
    assert [times[i] for i in range(100)] == expected


def test_delay_jitter_with_reordering_lets_packets_overtake() -> None:
    params = DelayConstantParams(flows=(FLOW,), delay=50, jitter=20, allow_reordering=True, seed=7)
    delay = DelayConstant(component_id="d", params=params)
    for i in range(100):
        delay.push(0, [pkt(i)], 1.0 + i * 0.001)
    order: list[int] = []
    while (deadline := delay.next_deadline()) is not None:
        delay.poll(deadline)
        order += out(delay)
    assert sorted(order) == list(range(100))
    assert order != list(range(100))


def test_loss_dynamic_drops_exactly_the_seeded_draws() -> None:
    phases = (LossPhase(duration=1000, loss_probability=10.0),)
    loss = LossDynamic(
        component_id="l", params=LossDynamicParams(flows=(FLOW,), phases=phases, seed=42)
    )
    loss.start(0.0)
    for i in range(100):
        loss.push(0, [pkt(i * 100 + j) for j in range(100)], i * 0.001)
    rng = random.Random(42)
    expected_drops = sum(rng.random() * 100 < 10.0 for _ in range(10_000))
    kept = out(loss)
    assert loss.packets_dropped == expected_drops == 10_000 - len(kept)
    assert 900 < expected_drops < 1100


def test_loss_dynamic_follows_its_phases_in_a_loop() -> None:
    phases = (
        LossPhase(duration=100, loss_probability=0.0),
        LossPhase(duration=50, loss_probability=100.0),
    )
    loss = LossDynamic(
        component_id="l", params=LossDynamicParams(flows=(FLOW,), phases=phases, seed=1)
    )
    loss.start(10.0)
    seen = []
    for ms in range(0, 300, 10):
        loss.push(0, [pkt(ms)], 10.0 + ms / 1000)
        seen += out(loss)
    assert seen == [
        0,
        10,
        20,
        30,
        40,
        50,
        60,
        70,
        80,
        90,
        150,
        160,
        170,
        180,
        190,
        200,
        210,
        220,
        230,
        240,
    ]
    assert loss.packets_dropped == 10


def test_timed_burst_loss_by_packet_count() -> None:
    params = TimedBurstLossParams(interval_ms=100, burst_packets=3)
    burst = TimedBurstLoss(component_id="b", params=params)
    burst.start(0.0)
    passed = []
    for ms in range(0, 250, 10):
        burst.push(0, [pkt(ms)], ms / 1000)
        passed += out(burst)
    # grace 0-100 ms; burst drops 100, 110, 120; grace 120-220 ms; burst drops 220, 230, 240
    assert passed == [
        0,
        10,
        20,
        30,
        40,
        50,
        60,
        70,
        80,
        90,
        130,
        140,
        150,
        160,
        170,
        180,
        190,
        200,
        210,
    ]
    assert burst.packets_dropped == 6


def test_timed_burst_loss_by_duration() -> None:
    params = TimedBurstLossParams(interval_ms=50, burst_duration_ms=20)
    burst = TimedBurstLoss(component_id="b", params=params)
    burst.start(0.0)
    passed = []
    for ms in range(0, 150, 10):
        burst.push(0, [pkt(ms)], ms / 1000)
        passed += out(burst)
    # cycles of 70 ms: pass [0, 50), drop [50, 70), pass [70, 120), drop [120, 140)
    assert passed == [0, 10, 20, 30, 40, 70, 80, 90, 100, 110, 140]


def test_timed_burst_cancel_timer_ends_a_starved_burst() -> None:
    params = TimedBurstLossParams(interval_ms=10, burst_packets=100, cancel_timer_ms=5)
    burst = TimedBurstLoss(component_id="b", params=params)
    burst.start(0.0)
    burst.push(0, [pkt(1)], 0.011)
    burst.push(0, [pkt(2)], 0.016)
    assert out(burst) == [2]
    assert burst.packets_dropped == 1


def test_timed_burst_without_limits_drops_nothing() -> None:
    burst = TimedBurstLoss(component_id="b", params=TimedBurstLossParams())
    burst.start(0.0)
    burst.push(0, [pkt(i) for i in range(10)], 5.0)
    assert out(burst) == list(range(10))


def _bandwidth(
    max_queue: int | None, phases: tuple[BandwidthPhase, ...] = (BandwidthPhase(1000, 1.0),)
) -> BandwidthLimitDynamic:
    params = BandwidthLimitDynamicParams(flows=(FLOW,), phases=phases, max_queue_size=max_queue)
    limiter = BandwidthLimitDynamic(component_id="w", params=params)
    limiter.start(0.0)
    return limiter


def test_bandwidth_limit_serialises_packets_at_the_rate() -> None:
    limiter = _bandwidth(None)
    limiter.push(0, [pkt(i, size=1250) for i in range(3)], 0.0)  # 10 ms each at 1 Mbit/s
    assert limiter.next_deadline() == 0.01
    limiter.poll(0.0099)
    assert out(limiter) == []
    limiter.poll(0.02)
    assert out(limiter) == [0, 1]
    assert limiter.next_deadline() == 0.03


def test_bandwidth_limit_drops_when_the_queue_is_full() -> None:
    limiter = _bandwidth(2)
    limiter.push(0, [pkt(i, size=1250) for i in range(5)], 0.0)
    assert limiter.packets_dropped == 2  # one on the link, two waiting
    limiter.poll(1.0)
    assert out(limiter) == [0, 1, 2]


def test_bandwidth_zero_queue_drops_while_busy() -> None:
    limiter = _bandwidth(0)
    limiter.push(0, [pkt(1, size=1250), pkt(2, size=1250)], 0.0)
    limiter.push(0, [pkt(3, size=1250)], 0.01)
    limiter.poll(0.02)
    assert out(limiter) == [1, 3]
    assert limiter.packets_dropped == 1


def test_bandwidth_phase_sets_the_rate_when_transmission_starts() -> None:
    limiter = _bandwidth(None, (BandwidthPhase(10, 1.0), BandwidthPhase(10, 2.0)))
    limiter.push(0, [pkt(i, size=1250) for i in range(3)], 0.0)
    departures = []
    while (deadline := limiter.next_deadline()) is not None:
        limiter.poll(deadline)
        departures.append(round(deadline, 9))
        out(limiter)
    assert departures == [0.01, 0.015, 0.02]  # the third starts in the 2 Mbit/s phase
