"""Two joined nodes exchange UDP traffic on 127.0.0.1 through delay and loss components; the
trackers' telemetry, read through the API (the client node's through the hub), shows the
configured delay and loss.

No port is fixed or guessed: the client node's pipeline binds port 0 and answers whoever sends
to it; the controller's pipeline learns that port from the client run's telemetry.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from nanoping.dataplane.config import validate_config
from nanoping.dataplane.fakes import config_doc, wire
from nanoping.testing.cluster import joined_pair, wait_until
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

from .harness import PipelinesApi

PACKETS = 2000
INTERVAL_MS = 1
DELAY_MS = 30
LOSS_PERCENT = 10


def exchange(*, remote: str) -> dict[str, Any]:
    """Send numbered, time-stamped packets through delay and loss to a UDP peer; measure what
    comes back from it. ``remote`` empty = answer whoever sent last."""
    links = {
        name: wire(consumer, 0, producer, 0)
        for name, (producer, consumer) in {
            "source": ("source", "latency_tx"),
            "latency_tx": ("latency_tx", "loss_tx"),
            "loss_tx": ("loss_tx", "delay"),
            "delay": ("delay", "loss"),
            "loss": ("loss", "udp"),
            "udp": ("udp", "loss_rx"),
            "loss_rx": ("loss_rx", "latency_rx"),
            "latency_rx": ("latency_rx", "sink"),
        }.items()
    }
    source = {"total_packets": PACKETS, "interval": INTERVAL_MS, "packet_size": 200}
    phase = {"duration": 1000, "loss_probability": LOSS_PERCENT}
    udp = {"bind_address": "127.0.0.1:0", "remote_address": remote}
    return config_doc(
        {
            "source": {"uniform_traffic_source": {"output": links["source"], **source}},
            "latency_tx": {
                "latency_tracker_sender": {
                    "input": links["source"],
                    "output": links["latency_tx"],
                }
            },
            "loss_tx": {
                "loss_tracker_sender": {"input": links["latency_tx"], "output": links["loss_tx"]}
            },
            "delay": {
                "delay_constant": {
                    "flows": [{"input": links["loss_tx"], "output": links["delay"]}],
                    "delay": DELAY_MS,
                }
            },
            "loss": {
                "loss_dynamic": {
                    "flows": [{"input": links["delay"], "output": links["loss"]}],
                    "phases": [phase],
                    "seed": 20240611,
                }
            },
            "udp": {"udp_socket": {"input": links["loss"], "output": links["udp"], **udp}},
            "loss_rx": {
                "loss_tracker_receiver": {"input": links["udp"], "output": links["loss_rx"]}
            },
            "latency_rx": {
                "latency_tracker_receiver": {
                    "input": links["loss_rx"],
                    "output": links["latency_rx"],
                }
            },
            "sink": {"traffic_sink": {"input": links["latency_rx"], "timeout_ms": 1500}},
        }
    )


class TelemetryReader:
    """Reads one run's telemetry stream on a thread until it ends."""

    def __init__(self, api: PipelinesApi, run_id: str) -> None:
        self.samples: list[Any] = []
        self.error: Any = None
        self._stream = api.stream("openTelemetryStream", run_id=run_id)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for sample in self._stream:
                self.samples.append(sample)
        except grpc.RpcError as error:
            self.error = error

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._stream.cancel()
            raise AssertionError("the telemetry stream did not end")

    def metric(self, collection: str, name: str, *, sample: int = -1) -> float:
        for item in self.samples[sample].metric_collections:
            if item.path == f"/components/{collection}":
                metric = item.metrics[name]
                value: float = getattr(metric, metric.WhichOneof("type")).value
                return value
        raise AssertionError(f"no collection {collection}")


@pytest.fixture
def cluster(
    tmp_path: Path, reference_api: ReferenceApi
) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    with joined_pair(reference_api, tmp_path) as pair:
        yield pair


def test_udp_exchange_through_delay_and_loss(
    cluster: tuple[NodeProcess, NodeProcess], reference_api: ReferenceApi
) -> None:
    validate_config(exchange(remote=""))  # fail here, not in a node, if the config is wrong
    controller, client = cluster
    with grpc.insecure_channel(controller.grpc_address) as channel:
        here = PipelinesApi(reference_api, channel, controller.node_id)
        there = PipelinesApi(reference_api, channel, client.node_id)  # routed by the hub

        answering = there.create("answers", exchange(remote=""))
        there_run = there.start(answering.id)
        there_telemetry = TelemetryReader(there, there_run)
        wait_until(lambda: bool(there_telemetry.samples), what="the first sample of the client run")
        port = int(there_telemetry.metric("udp", "local_port", sample=0))
        assert port > 0

        calling = here.create("calls", exchange(remote=f"127.0.0.1:{port}"))
        here_telemetry = TelemetryReader(here, here.start(calling.id))
        # The client's run sends from its start, but to nobody until the controller's first
        # packet names its peer: how much of its stream the controller gets depends on how
        # long the controller's run took to start (seconds on a loaded machine). The client
        # hears the controller's whole stream, less the configured loss.
        for reader, least in ((here_telemetry, 100), (there_telemetry, PACKETS / 2)):
            reader.join(timeout=30)
            assert reader.error.code() == grpc.StatusCode.FAILED_PRECONDITION
            assert "ended: all components finished" in reader.error.details()
            received = reader.metric("sink", "packets_received")
            assert received > least
            latency = reader.metric("latency_rx", "latency_avg_ms")
            assert DELAY_MS <= latency <= DELAY_MS + 15
            loss = reader.metric("loss_rx", "loss_percent")
            assert LOSS_PERCENT - 3 <= loss <= LOSS_PERCENT + 3
