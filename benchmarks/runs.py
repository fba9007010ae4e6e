"""Run-level benchmark: pipelines run as run processes of a real `np up` node (gRPC, port 0).

Measures, through the public API:

1. time from startPipeline to running (the call returns once the run answered its start
   instruction): p50 / p90 / max over N starts of a small pipeline;
2. ``uniform_traffic_source → traffic_sink`` inside one run, as fast as it goes: packets/s
   (sink count over the engine's elapsed time) and CPU µs per packet of the run process
   (``cpu_seconds`` of its "run ended" log line, minus the CPU an empty run costs to start);
3. a UDP forwarder run (``udp_socket → udp_socket``) on loopback, fed by a sender run and
   drained by a sink run on the same node, at several offered rates: delivered rate, loss, and
   the forwarder run's CPU µs per forwarded packet (start-up CPU subtracted as in 2).

On a 2-core machine the node, three run processes and this client share two cores, so the
forwarder rates are bounded by the machine, not only by the forwarder.

Usage: ``python benchmarks/runs.py [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc

from nanoping.api import pipelines_pb2, pipelines_pb2_grpc
from nanoping.dataplane.fakes import config_doc, wire
from nanoping.testing.node_process import NodeProcess

PAYLOAD = 1200


@dataclass(frozen=True, kw_only=True)
class RunOutcome:
    """What one finished run reported."""

    final: pipelines_pb2.TelemetrySample
    """Its last telemetry sample (empty if the run ended before the stream opened)."""
    cpu_seconds: float
    """CPU time of the run process, from its "run ended" log line."""

    def metric(self, component: str, name: str) -> float:
        for collection in self.final.metric_collections:
            if collection.path == f"/components/{component}":
                metric = collection.metrics[name]
                value: float = getattr(metric, str(metric.WhichOneof("type"))).value
                return value
        raise KeyError(component)

    def kpi(self, name: str) -> float:
        for kpi in self.final.kpis:
            if kpi.id == name:
                value: float = getattr(kpi, str(kpi.WhichOneof("value")))
                return value
        raise KeyError(name)


class Node:
    """A node process, its PipelinesService stub and its data dir."""

    def __init__(self, data_dir: Path, stub: pipelines_pb2_grpc.PipelinesServiceStub) -> None:
        self.data_dir = data_dir
        self.stub = stub

    def create(self, name: str, document: dict[str, Any]) -> str:
        request = pipelines_pb2.CreatePipelineRequest(name=name, json_config=json.dumps(document))
        pipeline_id: str = self.stub.createPipeline(request).pipeline.id
        return pipeline_id

    def start(self, pipeline_id: str) -> str:
        run_id: str = self.stub.startPipeline(
            pipelines_pb2.StartPipelineRequest(id=pipeline_id)
        ).run_id
        return run_id

    def stop(self, pipeline_id: str) -> None:
        self.stub.stopPipeline(pipelines_pb2.StopPipelineRequest(id=pipeline_id))

    def follow(self, run_id: str) -> TelemetryFollower:
        return TelemetryFollower(self, run_id)

    def cpu_seconds(self, run_id: str) -> float:
        """The run's CPU time, once its "run ended" line is written."""
        path = self.data_dir / "runs" / f"{run_id}.log"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for line in path.read_text().splitlines():
                entry = json.loads(line)
                if entry["message"] == "run ended":
                    seconds: float = entry["data"]["cpu_seconds"]
                    return seconds
            time.sleep(0.02)
        raise TimeoutError(f"run {run_id} wrote no end line")


class TelemetryFollower:
    """Reads a run's telemetry stream on a thread until the run ends."""

    def __init__(self, node: Node, run_id: str) -> None:
        self._node = node
        self.run_id = run_id
        self.samples: list[pipelines_pb2.TelemetrySample] = []
        self._stream = node.stub.openTelemetryStream(
            pipelines_pb2.OpenTelemetryStreamRequest(run_id=run_id)
        )
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for sample in self._stream:
                self.samples.append(sample)
        except grpc.RpcError:
            pass  # the stream ends with an error when the run ends

    def first_port(self, component: str) -> int:
        """The bound port of a udp_socket, from the run's first sample."""
        deadline = time.monotonic() + 10
        while not self.samples:
            if time.monotonic() > deadline:
                raise TimeoutError("no telemetry sample")
            time.sleep(0.01)
        outcome = RunOutcome(final=self.samples[0], cpu_seconds=0.0)
        return int(outcome.metric(component, "local_port"))

    def outcome(self, timeout: float = 120) -> RunOutcome:
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError(f"run {self.run_id} did not end")
        final = self.samples[-1] if self.samples else pipelines_pb2.TelemetrySample()
        return RunOutcome(final=final, cpu_seconds=self._node.cpu_seconds(self.run_id))


@contextmanager
def running_node(root: Path) -> Iterator[Node]:
    data_dir = root / "node"
    with NodeProcess(data_dir=data_dir) as node, grpc.insecure_channel(node.grpc_address) as ch:
        yield Node(data_dir, pipelines_pb2_grpc.PipelinesServiceStub(ch))


def source_to_sink(total: int, interval: float = 0) -> dict[str, Any]:
    link = wire("sink", 0, "source", 0)
    source = {"output": link, "total_packets": total, "interval": interval, "packet_size": PAYLOAD}
    return config_doc(
        {
            "source": {"uniform_traffic_source": source},
            "sink": {"traffic_sink": {"input": link}},
        }
    )


# ---- 1. start latency -------------------------------------------------------------------------


def start_latency(node: Node, count: int) -> None:
    pipeline_id = node.create("start latency", source_to_sink(0, interval=10))
    timings = []
    for _ in range(count):
        began = time.perf_counter()
        node.start(pipeline_id)
        timings.append(time.perf_counter() - began)
        node.stop(pipeline_id)  # the next start waits for this run to end first (not timed)
        wait_stopped(node, pipeline_id)
    timings.sort()
    print(
        f"startPipeline -> running, {count} starts: p50 {1000 * statistics.median(timings):.0f} ms, "
        f"p90 {1000 * timings[int(0.9 * (count - 1))]:.0f} ms, max {1000 * timings[-1]:.0f} ms"
    )


def wait_stopped(node: Node, pipeline_id: str) -> None:
    request = pipelines_pb2.GetPipelineByIdRequest(id=pipeline_id)
    deadline = time.monotonic() + 20
    while node.stub.getPipelineById(request).pipeline.started:
        if time.monotonic() > deadline:
            raise TimeoutError(f"pipeline {pipeline_id} did not stop")
        time.sleep(0.01)


# ---- 2. source -> sink inside a run -----------------------------------------------------------


def idle_run_cpu(node: Node) -> float:
    """CPU seconds of a run that does (almost) nothing: the start-up cost to subtract."""
    costs = []
    for _ in range(3):
        pipeline_id = node.create("idle", source_to_sink(1))
        costs.append(node.follow(node.start(pipeline_id)).outcome().cpu_seconds)
    return statistics.median(costs)


def in_run(node: Node, total: int, baseline: float) -> None:
    pipeline_id = node.create("source to sink", source_to_sink(total))
    outcome = node.follow(node.start(pipeline_id)).outcome()
    received = outcome.metric("sink", "packets_received")
    elapsed = outcome.kpi("elapsed_seconds")
    cpu = outcome.cpu_seconds - baseline
    print(
        f"source -> sink in one run, {total:,} packets of {PAYLOAD} B: "
        f"{received / elapsed:,.0f} packets/s, {cpu / received * 1e6:.2f} CPU µs/packet "
        f"({outcome.cpu_seconds:.2f} s CPU, {baseline:.2f} s of it start-up)"
    )


# ---- 3. a UDP forwarder run -------------------------------------------------------------------


def forwarder_at(node: Node, rate: int, seconds: float, baseline: float) -> None:
    link = wire("out", 0, "in", 0)
    sink_link = wire("sink", 0, "udp", 0)
    sink_id = node.create(
        "sink",
        config_doc(
            {
                "udp": {"udp_socket": {"output": sink_link, "bind_address": "127.0.0.1:0"}},
                "sink": {"traffic_sink": {"input": sink_link, "timeout_ms": 3_600_000}},
            }
        ),
    )
    sink = node.follow(node.start(sink_id))
    forwarder_id = node.create(
        "forwarder",
        config_doc(
            {
                "in": {"udp_socket": {"output": link, "bind_address": "127.0.0.1:0"}},
                "out": {
                    "udp_socket": {
                        "input": link,
                        "remote_address": f"127.0.0.1:{sink.first_port('udp')}",
                    }
                },
            }
        ),
    )
    forwarder = node.follow(node.start(forwarder_id))
    total = int(rate * seconds)
    send_link = wire("udp", 0, "source", 0)
    remote = f"127.0.0.1:{forwarder.first_port('in')}"
    source = {
        "output": send_link,
        "total_packets": total,
        "interval": 1000 / rate,
        "packet_size": PAYLOAD,
    }
    sender_id = node.create(
        "sender",
        config_doc(
            {
                "source": {"uniform_traffic_source": source},
                "udp": {"udp_socket": {"input": send_link, "remote_address": remote}},
            }
        ),
    )
    sent = node.follow(node.start(sender_id)).outcome()
    time.sleep(0.3)  # benchmark pacing: let datagrams in flight arrive before the stop
    node.stop(forwarder_id)
    node.stop(sink_id)
    forwarded, received = forwarder.outcome(), sink.outcome()
    count = forwarded.metric("out", "datagrams_sent")
    delivered = received.metric("sink", "packets_received")
    active = sent.kpi("elapsed_seconds")
    print(
        f"UDP forwarder run, offered {total / active:,.0f} pps: delivered "
        f"{delivered / active:,.0f} pps, loss {100 * (1 - delivered / total):.2f} %, "
        f"forwarder {(forwarded.cpu_seconds - baseline) / max(count, 1) * 1e6:.2f} CPU µs/packet"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, running_node(Path(scratch)) as node:
        start_latency(node, 10 if args.quick else 50)
        baseline = idle_run_cpu(node)
        in_run(node, 50_000 if args.quick else 500_000, baseline)
        seconds = 1.0 if args.quick else 3.0
        for rate in (10_000, 20_000, 40_000, 60_000, 80_000, 100_000):
            forwarder_at(node, rate, seconds, baseline)


if __name__ == "__main__":
    main()
