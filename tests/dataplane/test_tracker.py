"""Tracker pairs across a seeded in-memory datagram link: exact loss and delay."""

from nanoping.dataplane.components.tracker import (
    LatencyTrackerReceiver,
    LatencyTrackerReceiverParams,
    LatencyTrackerSender,
    LossTrackerReceiver,
    LossTrackerReceiverParams,
    LossTrackerSender,
    PassThroughParams,
    ThroughputTracker,
    ThroughputTrackerParams,
)
from nanoping.dataplane.fakes import FakeDatagramLink
from nanoping.dataplane.header import LatencyHeader
from nanoping.dataplane.packet import Packet


def test_trackers_measure_a_lossy_delayed_link_exactly() -> None:
    link = FakeDatagramLink(seed=5, loss=0.05, delay=0.030, reorder=0.02, duplication=0.01)
    loss_tx = LossTrackerSender(component_id="ls", params=PassThroughParams())
    latency_tx = LatencyTrackerSender(component_id="ts", params=PassThroughParams())
    latency_rx = LatencyTrackerReceiver(
        component_id="tr", params=LatencyTrackerReceiverParams(latency_budget=30)
    )
    loss_rx = LossTrackerReceiver(component_id="lr", params=LossTrackerReceiverParams())
    delivered: list[bytes] = []
    for i in range(2000):
        now = i * 0.001
        loss_tx.push(0, [Packet(i.to_bytes(4, "big"), now)], now)
        latency_tx.push(0, loss_tx.outputs[0].take(), now)
        for packet in latency_tx.outputs[0].take():
            link.send(packet.payload, now)
        arrived = [Packet(data, now) for data in link.receive(now)]
        latency_rx.push(0, arrived, now)
        loss_rx.push(0, latency_rx.outputs[0].take(), now)
        delivered += [p.payload for p in loss_rx.outputs[0].take()]
    now = 3.0
    latency_rx.push(0, [Packet(data, now) for data in link.receive(now)], now)
    loss_rx.push(0, latency_rx.outputs[0].take(), now)
    delivered += [p.payload for p in loss_rx.outputs[0].take()]

    loss = loss_rx.metrics(now)
    assert all(len(payload) == 4 for payload in delivered)  # headers removed
    assert len(delivered) == 2000 - link.lost + link.duplicated
    assert loss.value("packets_lost") == link.lost
    assert loss.value("packets_duplicated") == link.duplicated
    assert 80 < link.lost < 120
    latency = latency_rx.metrics(now)
    # All packets arrive after exactly 30 ms (polled on the millisecond); the last, late
    # batch is stamped at 3.0 s, so only the minimum is exact for all.
    assert round(float(latency.value("latency_min_ms")), 3) == 30.0
    assert latency.value("packets_measured") == 2000 - link.lost + link.duplicated


def test_latency_receiver_counts_over_budget_and_windows() -> None:
    receiver = LatencyTrackerReceiver(
        component_id="r",
        params=LatencyTrackerReceiverParams(sampling_interval_ms=100, latency_budget=10),
    )
    sender = LatencyTrackerSender(component_id="s", params=PassThroughParams())
    sender.push(0, [Packet(b"a", 0.0), Packet(b"b", 0.0)], 0.0)
    batch = sender.outputs[0].take()
    receiver.push(0, batch[:1], 0.005)
    receiver.push(0, [*batch[1:], Packet(b"foreign", 0.02)], 0.02)
    metrics = receiver.metrics(0.05)
    assert metrics.value("packets_over_budget") == 1
    assert metrics.value("packets_unrecognized") == 1
    assert round(float(metrics.value("latency_max_ms")), 6) == 20.0
    assert metrics.value("latency_avg_ms_window") == 0.0  # first window still open
    later = receiver.metrics(0.2)
    assert round(float(later.value("latency_avg_ms_window")), 6) == 12.5


def test_throughput_tracker_reports_rates_per_window() -> None:
    tracker = ThroughputTracker(component_id="t", params=ThroughputTrackerParams(interval_ms=100))
    tracker.push(0, [Packet(bytes(125), 0.0)], 0.0)
    for i in range(10):
        tracker.push(0, [Packet(bytes(125), 0.0)], 0.01 * (i + 1))
    metrics = tracker.metrics(0.1)
    assert metrics.value("bytes") == 11 * 125
    assert metrics.value("packets_per_second") == 100.0  # 10 packets in the 100 ms window
    assert metrics.value("bits_per_second") == 100_000.0
    assert tracker.packets_out == 11


def test_latency_is_never_below_zero_on_one_host() -> None:
    # A send time whose microseconds would round up lands after the receive time when the
    # packet is received at once; the stamp is truncated and the receiver clamps at zero.
    sender = LatencyTrackerSender(component_id="s", params=PassThroughParams())
    receiver = LatencyTrackerReceiver(component_id="r", params=LatencyTrackerReceiverParams())
    for sent in (1_700_000_000.0000007, 12.3456789, 0.0000005):
        sender.push(0, [Packet(b"x", sent)], sent)
        receiver.push(0, sender.outputs[0].take(), sent)
        receiver.outputs[0].take()
    metrics = receiver.metrics(1.0)
    assert float(metrics.value("latency_min_ms")) >= 0.0
    assert float(metrics.value("latency_min_ms_window")) >= 0.0
    assert metrics.value("packets_measured") == 3


def test_a_stamp_is_truncated_to_the_microsecond() -> None:
    assert LatencyHeader.unpack(LatencyHeader.pack(5.0000019)) == 5.000001
