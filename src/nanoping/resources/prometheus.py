"""``GET /metrics``: the node's metrics in the Prometheus text format, for a monitoring stack.

Families (all prefixed ``nanoping_``):

- node: every metric of a metrics sample (:mod:`nanoping.resources.system_metrics`) named
  ``nanoping_<collection>_<metric>``: ``/system/cpu`` ``core3`` becomes
  ``nanoping_system_cpu_core3``, and ``/system/network/<interface>`` metrics carry an
  ``interface`` label instead of the name in the path; rates are over the time since the
  previous scrape; text constants become ``..._info`` series with the text as a label;
- runs: the latest counters of every live run's components, as ``nanoping_run_<metric>``
  with ``pipeline``, ``run`` and ``component`` labels;
- hub (on the hub node): ``nanoping_hub_members_online``, ``nanoping_hub_members``,
  ``nanoping_hub_joins_total{outcome}``, ``nanoping_hub_routed_calls_total{status}`` and the
  ``nanoping_hub_routed_call_latency_seconds`` histogram.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from nanoping.api import metrics_pb2, pipelines_pb2
from nanoping.hub.server import HubServer
from nanoping.resources.sampler import MetricsSampler
from nanoping.resources.system_metrics import Readings

METRICS_PATH = "/metrics"
"""Where the metrics are served on the node's HTTP listeners."""
_UNSAFE = re.compile(r"[^a-zA-Z0-9_]")
_NETWORK = "/system/network/"

RunSamples = Callable[[], Iterable[tuple[str, str, pipelines_pb2.TelemetrySample]]]
"""(pipeline id, run id, latest telemetry sample) of every live run."""


def metric_name(*parts: str) -> str:
    """A valid Prometheus name from path parts: ``/system/cpu``, ``core0`` -> ``system_cpu_core0``."""
    joined = "_".join(part.strip("/") for part in parts if part.strip("/"))
    name = _UNSAFE.sub("_", joined.replace("/", "_")).strip("_")
    return f"nanoping_{name}"


def numeric(metric: metrics_pb2.Metric) -> tuple[float, bool] | None:
    """(value, is counter) of a numeric metric with a value; None for the rest."""
    kind = metric.WhichOneof("type")
    if kind is None or kind in ("constant", "enum8"):
        return None
    member = getattr(metric, kind)
    if not member.HasField("value"):
        return None
    counter = kind != "boolean" and member.kind == metrics_pb2.COUNTER
    return float(member.value), counter


class _Families:
    """Families by name, created on first use (one type per name: the first one seen)."""

    def __init__(self) -> None:
        self._families: dict[str, GaugeMetricFamily | CounterMetricFamily] = {}
        self._labels: dict[str, tuple[str, ...]] = {}

    def add(
        self, name: str, help_text: str, labels: dict[str, str], value: float, counter: bool
    ) -> None:
        family = self._families.get(name)
        if family is None:
            family_type = CounterMetricFamily if counter else GaugeMetricFamily
            family = family_type(name, help_text or name, labels=list(labels))
            self._families[name] = family
            self._labels[name] = tuple(labels)
        if tuple(labels) != self._labels[name]:
            return  # the same name with other labels would make the exposition invalid
        family.add_metric(list(labels.values()), value)

    def __iter__(self) -> Iterator[Metric]:
        return iter(self._families.values())


class NodeCollector(Collector):
    """Collects the node, run and hub families at each scrape."""

    def __init__(
        self,
        *,
        sampler: MetricsSampler,
        runs: RunSamples,
        hub: HubServer | None,
    ) -> None:
        self._sampler = sampler
        self._runs = runs
        self._hub = hub
        self._previous: Readings | None = None

    def collect(self) -> Iterable[Metric]:
        families = _Families()
        current = self._sampler.read()
        sample = self._sampler.sample(self._previous, current)
        self._previous = current
        for collection in sample.collections:
            _add_node_collection(families, collection)
        for pipeline_id, run_id, telemetry in self._runs():
            for collection in telemetry.metric_collections:
                _add_run_collection(families, collection, pipeline_id, run_id)
        yield from families
        if self._hub is not None:
            yield from self._hub_families(self._hub)

    @staticmethod
    def _hub_families(hub: HubServer) -> Iterable[Metric]:
        nodes = hub.registry.nodes()
        yield GaugeMetricFamily(
            "nanoping_hub_members", "Nodes of the cluster, the hub included", value=len(nodes)
        )
        yield GaugeMetricFamily(
            "nanoping_hub_members_online",
            "Nodes of the cluster online now, the hub included",
            value=sum(1 for node in nodes if node.online),
        )
        yield from hub.statistics.registry.collect()


def _add_node_collection(families: _Families, collection: metrics_pb2.Collection) -> None:
    labels: dict[str, str] = {}
    path = collection.path
    if path.startswith(_NETWORK):
        labels = {"interface": path[len(_NETWORK) :]}
        path = "/system/network"
    for name, metric in sorted(collection.metrics.items()):
        if metric.WhichOneof("type") == "constant" and metric.constant.HasField("string"):
            info = {**labels, name: metric.constant.string}
            families.add(metric_name(path, "info"), "Text facts", info, 1.0, False)
            continue
        found = numeric(metric) if metric.WhichOneof("type") != "constant" else _constant(metric)
        if found is not None:
            help_text = getattr(metric, str(metric.WhichOneof("type"))).description
            families.add(metric_name(path, name), help_text, labels, *found)


def _constant(metric: metrics_pb2.Metric) -> tuple[float, bool] | None:
    kind = metric.constant.WhichOneof("value")
    if kind in ("uint64", "int64", "float64"):
        return float(getattr(metric.constant, kind)), False
    return None


def _add_run_collection(
    families: _Families, collection: metrics_pb2.Collection, pipeline_id: str, run_id: str
) -> None:
    component = collection.path.rsplit("/", 1)[-1]
    labels = {"pipeline": pipeline_id, "run": run_id, "component": component}
    for name, metric in sorted(collection.metrics.items()):
        found = numeric(metric)
        if found is not None:
            help_text = getattr(metric, str(metric.WhichOneof("type"))).description
            families.add(metric_name("run", name), help_text, labels, *found)


class MetricsEndpoint:
    """Serves ``GET /metrics`` from a registry holding the node's collector."""

    def __init__(self, collector: NodeCollector) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(collector)

    async def __call__(self, request: Request) -> Response:
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


class WithMetrics:
    """An ASGI app answering ``GET /metrics`` itself and passing everything else to ``app``.

    Without an endpoint it passes everything on.
    """

    def __init__(self, app: ASGIApp, endpoint: MetricsEndpoint | None) -> None:
        self._app = app
        self._endpoint = endpoint

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._endpoint is not None and scope["type"] == "http" and scope["path"] == METRICS_PATH:
            request = Request(scope, receive)
            if request.method in ("GET", "HEAD"):
                response = await self._endpoint(request)
            else:
                response = Response("use GET\n", status_code=405, headers={"Allow": "GET"})
            await response(scope, receive, send)
            return
        await self._app(scope, receive, send)
