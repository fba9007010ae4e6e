"""The Prometheus exposition: names, labels, types, hub statistics and the /metrics door."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.responses import PlainTextResponse
from starlette.types import Receive, Scope, Send

from nanoping.api import metrics_pb2, pipelines_pb2
from nanoping.hub.statistics import HubStatistics
from nanoping.resources.prometheus import MetricsEndpoint, NodeCollector, WithMetrics, metric_name
from nanoping.resources.sampler import MetricsSampler


def test_metric_names_are_valid_and_prefixed() -> None:
    assert metric_name("/system/cpu", "core0") == "nanoping_system_cpu_core0"
    assert metric_name("run", "packets-out.total") == "nanoping_run_packets_out_total"


def run_sample() -> pipelines_pb2.TelemetrySample:
    sample = pipelines_pb2.TelemetrySample()
    collection = sample.metric_collections.add(path="/components/sink")
    collection.metrics["packets_in"].uint64.value = 42
    collection.metrics["packets_in"].uint64.kind = metrics_pb2.COUNTER
    collection.metrics["packets_in"].uint64.description = "Packets received"
    collection.metrics["label"].constant.string = "text is not a sample"
    return sample


async def scrape(app: WithMetrics, path: str = "/metrics") -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        return await client.get(path)


async def fallback(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("other")(scope, receive, send)


async def test_metrics_door_serves_node_and_run_families(tmp_path: Path) -> None:
    collector = NodeCollector(
        sampler=MetricsSampler(data_dir=tmp_path, runs_alive=lambda: 1),
        runs=lambda: [("p-1", "r-1", run_sample())],
        hub=None,
    )
    app = WithMetrics(fallback, MetricsEndpoint(collector))
    response = await scrape(app)
    assert response.status_code == 200
    families = {family.name: family for family in text_string_to_metric_families(response.text)}
    run = families["nanoping_run_packets_in"]
    assert run.type == "counter"
    [sample] = run.samples
    assert sample.labels == {"pipeline": "p-1", "run": "r-1", "component": "sink"}
    assert sample.value == 42
    assert "nanoping_run_label" not in families
    assert families["nanoping_process_runs_alive"].samples[0].value == 1
    lo = [s for s in families["nanoping_system_network_bytes_sent"].samples if s.labels]
    assert {"interface": "lo"} in [s.labels for s in lo]
    assert (await scrape(app, "/v1/nodes")).text == "other"


async def test_only_get_is_answered(tmp_path: Path) -> None:
    collector = NodeCollector(
        sampler=MetricsSampler(data_dir=tmp_path, runs_alive=lambda: 0), runs=list, hub=None
    )
    transport = httpx.ASGITransport(app=WithMetrics(fallback, MetricsEndpoint(collector)))
    async with httpx.AsyncClient(transport=transport, base_url="http://node") as client:
        response = await client.post("/metrics")
    assert (response.status_code, response.headers["allow"]) == (405, "GET")


def test_hub_statistics_count_joins_and_time_routed_calls() -> None:
    statistics = HubStatistics()
    statistics.joined(True)
    statistics.joined(False)
    statistics.joined(None)
    with statistics.routed_call() as call:
        call.answered()
    with statistics.routed_call() as call:
        call.status = "UNAVAILABLE"
    registry = statistics.registry
    for outcome in ("accepted", "rejected", "timed_out"):
        assert registry.get_sample_value("nanoping_hub_joins_total", {"outcome": outcome}) == 1
    assert registry.get_sample_value("nanoping_hub_routed_calls_total", {"status": "OK"}) == 1
    assert (
        registry.get_sample_value("nanoping_hub_routed_calls_total", {"status": "UNAVAILABLE"}) == 1
    )
    assert registry.get_sample_value("nanoping_hub_routed_call_latency_seconds_count") == 2
