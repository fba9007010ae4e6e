"""An engine's :class:`TelemetrySnapshot` as the API's ``TelemetrySample``.

Built inside the run process, so the node only relays bytes. Each component's collection keeps
its path (``/components/<id>``); each metric becomes the typed member its ``value_type`` names,
with kind, unit and description. KPIs take the member that fits their Python value; a KPI
without a value yet is sent as ``none_value``.
"""

from __future__ import annotations

from nanoping.api import metrics_pb2, pipelines_pb2
from nanoping.dataplane.metrics import (
    Kpi,
    Metric,
    MetricKind,
    MetricsCollection,
    TelemetrySnapshot,
    ValueType,
)


def telemetry_sample(snapshot: TelemetrySnapshot) -> pipelines_pb2.TelemetrySample:
    """The sample message for one snapshot."""
    sample = pipelines_pb2.TelemetrySample(
        metric_collections=[collection_message(item) for item in snapshot.collections],
        kpis=[kpi_message(kpi) for kpi in snapshot.kpis],
    )
    sample.timestamp.FromNanoseconds(round(snapshot.timestamp * 1e9))
    return sample


def collection_message(collection: MetricsCollection) -> metrics_pb2.Collection:
    """One component's metrics, keyed by metric name."""
    message = metrics_pb2.Collection(path=collection.path)
    for metric in collection.metrics:
        message.metrics[metric.name].CopyFrom(metric_message(metric))
    return message


def metric_message(metric: Metric) -> metrics_pb2.Metric:
    """The typed ``Metric`` member for one value (a negative "unsigned" value goes as int64)."""
    if metric.value_type is ValueType.BOOLEAN:
        boolean = metrics_pb2.BoolMetric(value=bool(metric.value), description=metric.description)
        if metric.unit:
            boolean.unit = metric.unit
        return metrics_pb2.Metric(boolean=boolean)
    message = metrics_pb2.Metric()
    number: metrics_pb2.Float64Metric | metrics_pb2.UInt64Metric | metrics_pb2.Int64Metric
    if metric.value_type is ValueType.FLOAT64:
        number = message.float64
        number.value = float(metric.value)
    elif metric.value_type is ValueType.UINT64 and metric.value >= 0:
        number = message.uint64
        number.value = int(metric.value)
    else:
        number = message.int64
        number.value = int(metric.value)
    number.description = metric.description
    number.kind = metrics_pb2.COUNTER if metric.kind is MetricKind.COUNTER else metrics_pb2.GAUGE
    if metric.unit:
        number.unit = metric.unit
    return message


def kpi_message(kpi: Kpi) -> pipelines_pb2.Kpi:
    """One KPI with the ``value`` member that fits its value."""
    message = pipelines_pb2.Kpi(id=kpi.id, field=kpi.field)
    value = kpi.value
    if value is None:
        message.none_value = True
    elif isinstance(value, bool):
        message.bool_value = value
    elif isinstance(value, int):
        if value >= 0:
            message.uint64_value = value
        else:
            message.int64_value = value
    else:
        message.float64_value = float(value)
    return message
