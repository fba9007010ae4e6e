"""Telemetry: engine snapshots as API samples, and their fan-out to streams."""

from __future__ import annotations

import pytest

from nanoping.api import pipelines_pb2
from nanoping.dataplane.metrics import (
    Kpi,
    Metric,
    MetricKind,
    MetricsCollection,
    TelemetrySnapshot,
    ValueType,
    counter,
    gauge,
)
from nanoping.errors import FailedPrecondition
from nanoping.runs.telemetry_feed import QUEUE_LENGTH, TelemetryFeed
from nanoping.runs.telemetry_sample import telemetry_sample


def snapshot() -> TelemetrySnapshot:
    flag = Metric(
        name="open",
        value=True,
        kind=MetricKind.GAUGE,
        value_type=ValueType.BOOLEAN,
        unit="",
        description="Socket open.",
    )
    offset = Metric(
        name="offset",
        value=-4,
        kind=MetricKind.GAUGE,
        value_type=ValueType.INT64,
        unit="ms",
        description="Clock offset.",
    )
    metrics = (
        counter("packets_received", 5000, "packets", "Packets that arrived."),
        gauge("latency_avg_ms", 12.5, "ms", "Mean latency."),
        flag,
        offset,
    )
    kpis = (
        Kpi(id="elapsed_seconds", field="value", value=2.5),
        Kpi(id="components_total", field="value", value=2),
        Kpi(id="ok", field="value", value=False),
        Kpi(id="pending", field="value", value=None),
        Kpi(id="delta", field="value", value=-3),
    )
    return TelemetrySnapshot(
        timestamp=1_700_000_000.5,
        collections=(MetricsCollection("/components/sink-1", metrics),),
        kpis=kpis,
    )


def test_a_snapshot_becomes_a_sample_with_typed_metrics_and_kpis() -> None:
    sample = telemetry_sample(snapshot())
    assert sample.timestamp.ToNanoseconds() == 1_700_000_000_500_000_000
    (collection,) = sample.metric_collections
    assert collection.path == "/components/sink-1"
    received = collection.metrics["packets_received"].uint64
    assert (received.value, received.kind, received.unit) == (5000, 1, "packets")
    assert received.description == "Packets that arrived."
    latency = collection.metrics["latency_avg_ms"].float64
    assert (latency.value, latency.kind, latency.unit) == (12.5, 0, "ms")
    flag = collection.metrics["open"]
    assert flag.WhichOneof("type") == "boolean"
    assert flag.boolean.value is True
    assert not flag.boolean.HasField("unit")
    assert collection.metrics["offset"].int64.value == -4
    kinds = [(kpi.id, kpi.WhichOneof("value")) for kpi in sample.kpis]
    assert kinds == [
        ("elapsed_seconds", "float64_value"),
        ("components_total", "uint64_value"),
        ("ok", "bool_value"),
        ("pending", "none_value"),
        ("delta", "int64_value"),
    ]


def sample_at(seconds: int) -> pipelines_pb2.TelemetrySample:
    sample = pipelines_pb2.TelemetrySample()
    sample.timestamp.seconds = seconds
    return sample


async def test_subscribers_get_the_latest_sample_then_new_ones_then_the_end() -> None:
    feed = TelemetryFeed()
    feed.publish(sample_at(1))
    subscription = feed.subscribe()
    feed.publish(sample_at(2))
    feed.end("run r ended: all components finished")
    seen = [(await anext(subscription)).timestamp.seconds for _ in range(2)]
    assert seen == [1, 2]
    with pytest.raises(FailedPrecondition, match="run r ended: all components finished"):
        await anext(subscription)
    assert feed.subscriber_count == 0


async def test_a_slow_subscriber_loses_the_oldest_samples_only() -> None:
    feed = TelemetryFeed()
    with feed.subscribe() as subscription:
        for second in range(QUEUE_LENGTH + 3):
            feed.publish(sample_at(second))
        first = await anext(subscription)
        assert first.timestamp.seconds == 3
    assert feed.subscriber_count == 0


async def test_subscribing_after_the_end_gives_the_last_sample_and_the_end() -> None:
    feed = TelemetryFeed()
    feed.publish(sample_at(9))
    feed.end("run r ended")
    subscription = feed.subscribe()
    assert (await anext(subscription)).timestamp.seconds == 9
    with pytest.raises(FailedPrecondition):
        await anext(subscription)
