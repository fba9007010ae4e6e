"""What a run's components counted, boiled down for its log and for `np pipelines stats`.

From one telemetry sample: per component, its counters (packets sent, received, lost, ...) and
its whole-run latency gauges; per-window gauges and descriptive constants are left out, since
a summary is read once, after the fact.
"""

from __future__ import annotations

from nanoping.api import metrics_pb2, pipelines_pb2

NUMERIC = ("uint64", "int64", "uint32", "int32", "float64", "float32")
"""The Metric members that carry a number."""
COMPONENTS_PREFIX = "/components/"
"""Collection paths of pipeline components."""


def summary(sample: pipelines_pb2.TelemetrySample) -> dict[str, dict[str, float | int]]:
    """``{component id: {metric: value}}`` of counters and whole-run latencies, by component."""
    result: dict[str, dict[str, float | int]] = {}
    for collection in sample.metric_collections:
        if not collection.path.startswith(COMPONENTS_PREFIX):
            continue
        values = {
            name: value
            for name, metric in sorted(collection.metrics.items())
            if (value := _summarised(name, metric)) is not None
        }
        if values:
            result[collection.path.removeprefix(COMPONENTS_PREFIX)] = values
    return result


def _summarised(name: str, metric: metrics_pb2.Metric) -> float | int | None:
    kind = metric.WhichOneof("type")
    if kind not in NUMERIC:
        return None
    typed = getattr(metric, kind)
    if not typed.HasField("value"):
        return None
    if typed.kind == metrics_pb2.COUNTER or (
        name.startswith("latency_") and not name.endswith("_window")
    ):
        value = typed.value
        return round(value, 3) if isinstance(value, float) else int(value)
    return None


def summary_lines(summary_by_component: dict[str, dict[str, float | int]]) -> list[str]:
    """One readable line per component: ``id: name=value ...``."""
    return [
        f"{component}: " + " ".join(f"{name}={value:g}" for name, value in values.items())
        for component, values in summary_by_component.items()
    ]
