"""What watching a node costs: metrics streams, flow capture and log streaming.

Three measurements on one real node process (``np up``), each comparing the node's CPU time
over a window with and without the watchers:

1. ``metrics``: the node's CPU with 10 open ``openMetricsStream`` watchers (gRPC) vs none.
2. ``flows``: UDP traffic of about 50 kpps on loopback (``iperf3``, 64-byte datagrams),
   with a flows watcher vs without: the node's CPU, the packets the capture counted in the
   iperf flow vs the packets iperf sent, and the packets the kernel dropped because the
   capture fell behind (the node logs them when the capture stops).
3. ``logs``: a run writing 10 000 lines/s (``log_chatter``) followed by one ``openLogStream``:
   lines received per second, the longest gap in the numbered lines (0 = none lost), and the
   node's CPU with the stream vs without.

Run: ``python benchmarks/observability.py [metrics|flows|logs ...] [--seconds S]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc
import psutil

from nanoping.api import (
    logging_pb2,
    logging_pb2_grpc,
    pipelines_pb2,
    pipelines_pb2_grpc,
    resources_pb2,
    resources_pb2_grpc,
)
from nanoping.dataplane.fakes import config_doc
from nanoping.testing.node_process import NodeProcess

WATCHERS = 10
FLOW_PPS = 50_000
DATAGRAM = 64
LOG_RATE = 10_000
LINE = re.compile(r"chatter line (\d+) ")


@contextmanager
def node() -> Iterator[NodeProcess]:
    with tempfile.TemporaryDirectory() as data, NodeProcess(data_dir=Path(data)) as process:
        yield process


def node_pid(process: NodeProcess) -> int:
    assert process.process is not None
    return process.process.pid


def cpu_percent(pid: int, seconds: float) -> float:
    """CPU time of ``pid`` over the next ``seconds``, as percent of one core."""
    process = psutil.Process(pid)
    before = sum(process.cpu_times()[:2])
    time.sleep(seconds)
    return 100.0 * (sum(process.cpu_times()[:2]) - before) / seconds


class Drain:
    """Reads a server stream in a thread, counting messages and keeping the last ones."""

    def __init__(self, stream: Any, keep: Callable[[Any], None] | None = None) -> None:
        self.stream = stream
        self.count = 0
        self._keep = keep
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for message in self.stream:
                self.count += 1
                if self._keep is not None:
                    self._keep(message)
        except grpc.RpcError:
            pass

    def close(self) -> None:
        self.stream.cancel()
        self._thread.join(timeout=10)


def bench_metrics(seconds: float) -> None:
    with node() as process, grpc.insecure_channel(process.grpc_address) as channel:
        stub = resources_pb2_grpc.ResourcesServiceStub(channel)
        time.sleep(2)
        idle = cpu_percent(node_pid(process), seconds)
        drains = [
            Drain(stub.openMetricsStream(resources_pb2.OpenMetricsStreamRequest()))
            for _ in range(WATCHERS)
        ]
        time.sleep(2)
        watched = cpu_percent(node_pid(process), seconds)
        samples = sum(drain.count for drain in drains)
        for drain in drains:
            drain.close()
    print(
        f"metrics: node CPU idle {idle:.2f}% of a core, with {WATCHERS} watchers "
        f"{watched:.2f}% ({samples} samples delivered)"
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def iperf_udp(seconds: float) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    """An iperf3 server and a client sending FLOW_PPS datagrams per second for ``seconds``."""
    port = free_port()
    server = subprocess.Popen(
        ["iperf3", "-s", "-1", "-B", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    time.sleep(0.5)
    rate = FLOW_PPS * DATAGRAM * 8
    client = subprocess.Popen(
        ["iperf3", "-c", "127.0.0.1", "-p", str(port), "-u", "-l", str(DATAGRAM),
         "-b", str(rate), "-t", str(int(seconds)), "-J"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        yield port, client
    finally:
        client.wait(timeout=seconds + 30)
        server.wait(timeout=30)


def sent_packets(client: subprocess.Popen[str]) -> int:
    assert client.stdout is not None
    report = json.loads(client.stdout.read())
    return int(report["end"]["sum"]["packets"])


def bench_flows(seconds: float) -> None:
    with node() as process, grpc.insecure_channel(process.grpc_address) as channel:
        stub = resources_pb2_grpc.ResourcesServiceStub(channel)
        with iperf_udp(seconds + 2):
            time.sleep(1)
            unwatched = cpu_percent(node_pid(process), seconds)
        latest: list[Any] = []
        drain = Drain(stub.openFlowsStream(resources_pb2.OpenFlowsStreamRequest()), latest.append)
        time.sleep(1.5)  # the capture runs before the measured traffic starts
        with iperf_udp(seconds + 2) as (port, client):
            time.sleep(1)
            watched = cpu_percent(node_pid(process), seconds)
        sent = sent_packets(client)
        time.sleep(2.5)  # a snapshot after the last datagram
        drain.close()
        time.sleep(1.5)
        flows = [f for f in latest[-1].flows if f.protocol == "UDP" and f.destination_port == port]
        counted = max((flow.sent_packets for flow in flows), default=0)
        app_log = Path(process.command[process.command.index("--data-dir") + 1]) / "node.log"
        missed = re.findall(r"flow capture stopped \((\d+) packets missed", app_log.read_text())
    print(
        f"flows: iperf3 sent {sent} datagrams of {DATAGRAM} bytes in {seconds + 2:.0f} s "
        f"(~{sent / (seconds + 2):.0f} pps); node CPU without a watcher {unwatched:.1f}%, "
        f"while capturing {watched:.1f}% of a core; the capture counted {counted} of them "
        f"({100.0 * counted / max(sent, 1):.1f}%); kernel drops reported: "
        f"{missed[-1] if missed else 'none logged'}"
    )


def bench_logs(seconds: float) -> None:
    document = config_doc({"chat": {"log_chatter": {"lines_per_second": LOG_RATE}}})
    with node() as process, grpc.insecure_channel(process.grpc_address) as channel:
        pipelines = pipelines_pb2_grpc.PipelinesServiceStub(channel)
        logs = logging_pb2_grpc.LoggingServiceStub(channel)
        pipeline = pipelines.createPipeline(
            pipelines_pb2.CreatePipelineRequest(name="chatty", json_config=json.dumps(document))
        ).pipeline
        pipelines.startPipeline(pipelines_pb2.StartPipelineRequest(id=pipeline.id))
        run_id = pipelines.getPipelineById(
            pipelines_pb2.GetPipelineByIdRequest(id=pipeline.id)
        ).pipeline.current_run
        time.sleep(1)
        unwatched = cpu_percent(node_pid(process), seconds / 2)
        numbers: list[int] = []

        def keep(batch: Any) -> None:
            for message in batch.messages:
                match = LINE.match(message.message)
                if match:
                    numbers.append(int(match.group(1)))

        request = logging_pb2.OpenLogStreamRequest()
        request.pipeline_run_log_stream_request.pipeline_run_id = run_id
        drain = Drain(logs.openLogStream(request), keep)
        started = time.monotonic()
        watched = cpu_percent(node_pid(process), seconds / 2)
        received = len(numbers)
        elapsed = time.monotonic() - started
        drain.close()
        pipelines.stopPipeline(pipelines_pb2.StopPipelineRequest(id=pipeline.id))
    gaps = [b - a - 1 for a, b in itertools.pairwise(numbers)]
    print(
        f"logs: run writing {LOG_RATE} lines/s; the stream delivered {received / elapsed:.0f} "
        f"lines/s, largest gap {max(gaps, default=0)} lines; node CPU without the stream "
        f"{unwatched:.1f}%, with it {watched:.1f}% of a core"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("which", nargs="*", default=["metrics", "flows", "logs"])
    parser.add_argument("--seconds", type=float, default=10.0)
    arguments = parser.parse_args()
    benches = {"metrics": bench_metrics, "flows": bench_flows, "logs": bench_logs}
    for name in arguments.which:
        benches[name](arguments.seconds)


if __name__ == "__main__":
    main()
