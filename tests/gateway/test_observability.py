"""Logs, metrics and flows of the controller, read from a client node's API over REST (the
public ``nanoping-api`` client, unchanged) and gRPC, and the controller's ``/metrics``."""

from __future__ import annotations

import contextlib
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import nanoping_api
import pytest
from nanoping_api import Code

from nanoping.api import (
    logging_pb2,
    logging_pb2_grpc,
    resources_pb2,
    resources_pb2_grpc,
)
from nanoping.testing.cluster import hub_url, wait_until
from nanoping.testing.node_process import NodeProcess

from .rest_cluster import (
    PIPELINE_CONFIG,
    Follower,
    JoinAnswers,
    api_error,
    join_when_answered,
    start_rest_controller,
    start_rest_node,
)

EVERY_LINE = 2**63 - 1
JOINED = "joined the hub"

pytestmark = pytest.mark.filterwarnings(
    "ignore:connect\\(\\) must be used as a context manager:DeprecationWarning"
)


@pytest.fixture
def cluster(
    tmp_path: Path,
) -> Iterator[tuple[NodeProcess, NodeProcess, nanoping_api.NanopingClient]]:
    """The controller and a client node joined to it; the REST client of the client node."""
    with contextlib.ExitStack() as stack:
        controller = start_rest_controller(tmp_path)
        stack.callback(controller.stop)
        client = start_rest_node(tmp_path / "client-data")
        stack.callback(client.stop)
        hub = stack.enter_context(nanoping_api.NanopingClient(controller.rest_url, timeout=30))
        edge = stack.enter_context(nanoping_api.NanopingClient(client.rest_url, timeout=30))
        JoinAnswers(hub, decide=lambda request: True)
        join_when_answered(client.rest_url, hub_url(controller))
        yield controller, client, edge


def collections(sample: Any) -> dict[str, Any]:
    return {collection.path: collection for collection in sample.collections}


def test_controller_logs_metrics_and_flows_through_a_client_node(
    cluster: tuple[NodeProcess, NodeProcess, nanoping_api.NanopingClient],
) -> None:
    controller, client, edge = cluster
    target = controller.node_id
    hub_port = int(hub_url(controller).rsplit(":", 1)[1])

    # The controller's application log: replayed, structured, and downloadable.
    app_log = Follower(
        edge.logging.open_log_stream(
            node_id=target,
            options=nanoping_api.Options(lines=EVERY_LINE),
            app_log_stream_request=nanoping_api.OpenAppLogStreamRequest(),
        )
    )
    wait_until(lambda: any(JOINED in m.message for b in app_log.messages for m in b.messages),
               what="the join in the controller's app log")  # fmt: skip
    joined = next(m for b in app_log.messages for m in b.messages if JOINED in m.message)
    assert json.loads(joined.data)["data"]["logger"] == "nanoping.hub.server"
    assert joined.level == nanoping_api.Level.INFO
    app_log.close()
    assert JOINED in edge.logging.download_log_file(
        node_id=target, app_log_file_request=nanoping_api.DownloadAppLogFileRequest()
    )

    # A run log of the controller, through LoggingService.
    pipeline = edge.pipelines.create_pipeline(
        node_id=target, name="observed", json_config=PIPELINE_CONFIG
    ).pipeline
    run_id = edge.pipelines.start_pipeline(node_id=target, id=pipeline.id).run_id
    run_log = Follower(
        edge.logging.open_log_stream(
            node_id=target,
            options=nanoping_api.Options(lines=EVERY_LINE),
            pipeline_run_log_stream_request=nanoping_api.OpenPipelineRunLogStreamRequest(
                pipeline_run_id=run_id
            ),
        )
    )
    wait_until(run_log.holds(1), what="the run's first log lines")
    assert "run started" in [m.message for b in run_log.messages for m in b.messages]
    run_log.close()
    text = edge.logging.download_log_file(
        node_id=target,
        pipeline_run_log_file_request=nanoping_api.DownloadPipelineRunLogFileRequest(
            pipeline_run_id=run_id
        ),
    )
    assert "run started" in text

    def run_in_app_log() -> bool:
        app_text = edge.logging.download_log_file(
            node_id=target, app_log_file_request=nanoping_api.DownloadAppLogFileRequest()
        )
        return f"run {run_id} of pipeline {pipeline.id} started" in app_text

    wait_until(run_in_app_log, what="the run's start in the controller's app log")

    # Metrics: a sample at once, with every collection; runs alive counted.
    metrics = Follower(edge.resources.open_metrics_stream(node_id=target))
    wait_until(metrics.holds(2), what="two metrics samples")
    metrics.close()
    latest = collections(metrics.messages[-1])
    assert {"/system/cpu", "/system/memory", "/system/disk", "/system/load", "/process"} <= set(
        latest
    )
    assert "/system/network/lo" in latest
    assert latest["/process"].metrics["runs_alive"].uint64.value == 1

    # Flows: the client's link to the hub is a TCP flow on loopback.
    flows = Follower(edge.resources.open_flows_stream(node_id=target))

    def link_flow() -> bool:
        return any(
            flow.protocol == "TCP" and hub_port in (flow.destination_port, flow.source_port)
            for sample in flows.messages
            for flow in sample.flows
        )

    wait_until(link_flow, what="the hub link among the controller's flows")
    flows.close()

    unknown = api_error(
        lambda: next(
            iter(
                edge.logging.open_log_stream(
                    node_id=target,
                    network_log_stream_request=nanoping_api.LoggingOpenNetworkLogStreamRequest(
                        network_id="n-1"
                    ),
                )
            )
        )
    )
    assert unknown.code == Code.NOT_FOUND
    _grpc_side(client.grpc_address, target, run_id)
    _prometheus(hub_url(controller), run_id)
    edge.pipelines.stop_pipeline(node_id=target, id=pipeline.id)


def _grpc_side(address: str, target: str, run_id: str) -> None:
    with grpc.insecure_channel(address) as channel:
        logs = logging_pb2_grpc.LoggingServiceStub(channel)
        request = logging_pb2.OpenLogStreamRequest(node_id=target)
        request.app_log_stream_request.SetInParent()
        request.options.lines = 5
        stream = logs.openLogStream(request, timeout=30)
        assert len(next(stream).messages) >= 1
        stream.cancel()
        download = logging_pb2.DownloadLogFileRequest(node_id=target)
        download.pipeline_run_log_file_request.pipeline_run_id = run_id
        content = b"".join(c.file_chunk.content for c in logs.downloadLogFile(download, timeout=30))
        assert b"run started" in content
        missing = logging_pb2.DownloadLogFileRequest(node_id=target)
        missing.pipeline_run_log_file_request.pipeline_run_id = "no-such-run"
        chunks = list(logs.downloadLogFile(missing, timeout=30))
        assert [chunk.WhichOneof("response") for chunk in chunks] == ["error"]

        resources = resources_pb2_grpc.ResourcesServiceStub(channel)
        samples = resources.openMetricsStream(
            resources_pb2.OpenMetricsStreamRequest(node_id=target), timeout=30
        )
        assert "/process" in collections(next(samples))
        samples.cancel()
        snapshots = resources.openFlowsStream(
            resources_pb2.OpenFlowsStreamRequest(node_id=target), timeout=30
        )
        next(snapshots)  # a snapshot right away
        snapshots.cancel()


def _scrape(hub: str) -> dict[str, float]:
    with urllib.request.urlopen(f"{hub}/metrics", timeout=30) as response:
        assert response.headers["Content-Type"].startswith("text/plain")
        text = response.read().decode()
    return {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }


def _prometheus(hub: str, run_id: str) -> None:
    def run_counters() -> bool:
        return any(f'run="{run_id}"' in key for key in _scrape(hub))

    wait_until(run_counters, what="the live run's component counters in /metrics")
    values = _scrape(hub)
    assert values["nanoping_hub_members_online"] == 2
    assert values['nanoping_hub_joins_total{outcome="accepted"}'] == 1
    assert values["nanoping_hub_served_calls_total"] > 0
    assert values["nanoping_process_rss"] > 0
    assert 'nanoping_system_network_bytes_sent_total{interface="lo"}' in values
