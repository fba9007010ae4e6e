"""Metrics and telemetry as plain values; the API layer converts them to its protobufs.

Shapes mirror the public API's ``Collection``/``Metric``/``Kpi`` messages without importing
them, so the data plane stays free of generated code.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class MetricKind(enum.Enum):
    """Whether a metric only grows (COUNTER) or moves both ways (GAUGE)."""

    GAUGE = 0
    COUNTER = 1


class ValueType(enum.Enum):
    """Which typed member of the API's ``Metric`` oneof carries the value."""

    UINT64 = "uint64"
    INT64 = "int64"
    FLOAT64 = "float64"
    BOOLEAN = "boolean"


@dataclass(frozen=True, slots=True, kw_only=True)
class Metric:
    """One named value of a component."""

    name: str
    """Key in the collection, snake_case."""
    value: int | float | bool
    """Current value."""
    kind: MetricKind
    """Gauge or counter."""
    value_type: ValueType
    """How the API should encode the value."""
    unit: str
    """Unit such as ``packets``, ``bytes``, ``ms``, ``bit/s``, ``%``."""
    description: str
    """What the metric measures."""


@dataclass(frozen=True, slots=True)
class MetricsCollection:
    """All metrics of one component, under the path ``/components/<instance id>``."""

    path: str
    """Collection path."""
    metrics: tuple[Metric, ...]
    """Metrics in a stable order."""

    def value(self, name: str) -> int | float | bool:
        """Value of metric ``name``; KeyError when absent."""
        for metric in self.metrics:
            if metric.name == name:
                return metric.value
        raise KeyError(name)


@dataclass(frozen=True, slots=True, kw_only=True)
class Kpi:
    """One key performance indicator of the run."""

    id: str
    """Identifier of the KPI."""
    field: str
    """Field of the value, ``value`` for the engine's own KPIs."""
    value: int | float | bool | None
    """The value, None when it cannot be computed yet."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TelemetrySnapshot:
    """Everything a telemetry sample holds: collections of all components and run KPIs."""

    timestamp: float
    """Engine clock time of the sample (Unix-epoch seconds on the default clock)."""
    collections: tuple[MetricsCollection, ...]
    """One collection per component, in configuration order."""
    kpis: tuple[Kpi, ...]
    """Run-level indicators."""

    def collection(self, component_id: str) -> MetricsCollection:
        """The collection of component ``component_id``; KeyError when absent."""
        path = collection_path(component_id)
        for item in self.collections:
            if item.path == path:
                return item
        raise KeyError(component_id)


def collection_path(component_id: str) -> str:
    """Path of a component's metrics collection."""
    return f"/components/{component_id}"


def counter(name: str, value: int, unit: str, description: str) -> Metric:
    """An unsigned counter."""
    return Metric(
        name=name,
        value=value,
        kind=MetricKind.COUNTER,
        value_type=ValueType.UINT64,
        unit=unit,
        description=description,
    )


def gauge(name: str, value: float, unit: str, description: str) -> Metric:
    """A floating-point gauge."""
    return Metric(
        name=name,
        value=float(value),
        kind=MetricKind.GAUGE,
        value_type=ValueType.FLOAT64,
        unit=unit,
        description=description,
    )
