"""Building the API's ``metrics.Metric`` messages: a gauge, a counter, a constant."""

from __future__ import annotations

from nanoping.api import metrics_pb2


def gauge(
    value: float,
    description: str,
    *,
    unit: str | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> metrics_pb2.Metric:
    """A float gauge (a value that moves both ways, such as a percentage or a rate)."""
    metric = metrics_pb2.Metric()
    member = metric.float64
    member.value = float(value)
    member.description = description
    member.kind = metrics_pb2.GAUGE
    if unit is not None:
        member.unit = unit
    if minimum is not None:
        member.min = minimum
    if maximum is not None:
        member.max = maximum
    return metric


def amount(value: int, description: str, *, unit: str | None = None) -> metrics_pb2.Metric:
    """An unsigned integer gauge (a size or a count at this instant)."""
    metric = metrics_pb2.Metric()
    member = metric.uint64
    member.value = max(0, int(value))
    member.description = description
    member.kind = metrics_pb2.GAUGE
    if unit is not None:
        member.unit = unit
    return metric


def counter(value: int, description: str, *, unit: str | None = None) -> metrics_pb2.Metric:
    """An unsigned integer counter (a total that only grows)."""
    metric = amount(value, description, unit=unit)
    metric.uint64.kind = metrics_pb2.COUNTER
    return metric


def constant(value: str | int, description: str) -> metrics_pb2.Metric:
    """A fixed value, such as a mount point or the number of CPU threads."""
    metric = metrics_pb2.Metric()
    if isinstance(value, str):
        metric.constant.string = value
    else:
        metric.constant.uint64 = value
    metric.constant.description = description
    return metric
