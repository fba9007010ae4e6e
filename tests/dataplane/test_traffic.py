"""Source and sink cores on a fake timeline."""

from nanoping.dataplane.components.traffic import (
    MAX_BATCH,
    TrafficSink,
    TrafficSinkParams,
    UniformTrafficSource,
    UniformTrafficSourceParams,
)
from nanoping.dataplane.header import TrafficHeader
from nanoping.dataplane.packet import Packet


def source(**params: object) -> UniformTrafficSource:
    return UniformTrafficSource(component_id="s", params=UniformTrafficSourceParams(**params))  # type: ignore[arg-type]


def test_source_emits_on_its_interval_in_milliseconds() -> None:
    src = source(total_packets=3, interval=25.0, packet_size=64)
    src.start(10.0)
    assert src.next_deadline() == 10.0
    src.poll(10.0)
    first = src.outputs[0].take()
    assert len(first) == 1
    assert len(first[0].payload) == 64
    assert TrafficHeader.unpack(first[0].payload) == (0, 10.0)
    assert src.next_deadline() == 10.025
    src.poll(10.024)
    assert src.outputs[0].take() == []
    src.poll(10.05)
    assert [TrafficHeader.unpack(p.payload) for p in src.outputs[0].take()] == [
        (1, 10.05),
        (2, 10.05),
    ]
    assert src.next_deadline() is None
    assert src.finished(10.05, inputs_done=True, outputs_done=False)


def test_source_catches_up_in_bounded_bursts() -> None:
    src = source(interval=0.001)
    src.start(0.0)
    src.poll(1.0)
    assert len(src.outputs[0].take()) == MAX_BATCH
    assert src.next_deadline() is not None
    assert not src.finished(1.0, inputs_done=True, outputs_done=True)


def test_sink_counts_loss_latency_budget_and_mtu() -> None:
    sink = TrafficSink(component_id="k", params=TrafficSinkParams(mtu=100, latency_budget=50))
    sink.start(0.0)
    batch = [
        Packet(TrafficHeader.pack(seq, 1.0) + bytes(pad), 1.0)
        for seq, pad in ((0, 10), (2, 200), (2, 10))
    ]
    batch.append(Packet(b"junk", 1.0))
    sink.push(0, batch, 1.06)
    metrics = sink.metrics(1.06)
    assert metrics.value("packets_received") == 4
    assert metrics.value("packets_lost") == 1
    assert metrics.value("packets_duplicated") == 1
    assert metrics.value("packets_timed_out") == 2
    assert metrics.value("packets_oversized") == 1
    assert metrics.value("packets_unrecognized") == 1
    assert round(float(metrics.value("latency_avg_ms")), 6) == 60.0


def test_sink_finishes_after_its_timeout_without_packets() -> None:
    sink = TrafficSink(component_id="k", params=TrafficSinkParams(timeout_ms=500))
    sink.start(0.0)
    sink.push(0, [Packet(b"x", 0.2)], 0.2)
    assert sink.next_deadline() == 0.7
    sink.poll(0.69)
    assert not sink.finished(0.69, inputs_done=False, outputs_done=True)
    sink.poll(0.7)
    assert sink.finished(0.7, inputs_done=False, outputs_done=True)
    assert sink.next_deadline() is None
