"""The data plane: pipeline config, sans-IO components and the engine that runs them.

Entry points for other layers:

- :func:`validate_config` / :func:`parse_json_config` → :class:`PipelineGraph`, raising
  :class:`ConfigError` (INVALID_ARGUMENT) or :class:`IncompatibleVersionError` (INCOMPATIBLE).
- :class:`Engine`, :func:`run`, :func:`run_on_uvloop` → :class:`RunEnded` (exit code, reason).
- :class:`TelemetrySnapshot` of :class:`MetricsCollection` and :class:`Kpi` values.
- :func:`catalogue` lists every registered component type with its parameters.
"""

from nanoping.dataplane.component import Component, catalogue, component_types, register
from nanoping.dataplane.config import (
    SUPPORTED_VERSION,
    ComponentSpec,
    PipelineGraph,
    parse_json_config,
    validate_config,
)
from nanoping.dataplane.engine import Engine, run, run_on_uvloop
from nanoping.dataplane.errors import ConfigError, IncompatibleVersionError, PipelineConfigError
from nanoping.dataplane.events import ComponentFailed, ComponentFinished, Event, RunEnded
from nanoping.dataplane.metrics import (
    Kpi,
    Metric,
    MetricKind,
    MetricsCollection,
    TelemetrySnapshot,
    ValueType,
)

__all__ = [
    "SUPPORTED_VERSION",
    "Component",
    "ComponentFailed",
    "ComponentFinished",
    "ComponentSpec",
    "ConfigError",
    "Engine",
    "Event",
    "IncompatibleVersionError",
    "Kpi",
    "Metric",
    "MetricKind",
    "MetricsCollection",
    "PipelineConfigError",
    "PipelineGraph",
    "RunEnded",
    "TelemetrySnapshot",
    "ValueType",
    "catalogue",
    "component_types",
    "parse_json_config",
    "register",
    "run",
    "run_on_uvloop",
    "validate_config",
]
