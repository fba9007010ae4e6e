"""Unary call rate of the REST gateway vs the gRPC bridge, on one real `np up` node (127.0.0.1).

Both doors serve the same method table, so the difference is the door: HTTP/1.1 + JSON through
uvicorn and the gateway's codec, against HTTP/2 + protobuf through grpcio. Measured for
``getLocalNodeId`` (smallest) and ``getNode`` (a node with metadata), each:
- sequentially on one kept-alive connection (latency-bound);
- sequentially through the public ``nanoping-api`` client, to show its own overhead;
- with N client processes calling sequentially at once (throughput-bound). Processes, not an
  asyncio client: httpx's asyncio client tops out well below what the node serves, so it would
  measure itself.

Usage: ``python benchmarks/rest_vs_grpc.py [--calls N] [--callers N]``. Numbers depend on the
machine; client processes and the node share its cores.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import httpx
import nanoping_api

from nanoping.api import hub_client_pb2, hub_client_pb2_grpc, hub_node_pb2
from nanoping.testing.node_process import NodeProcess


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--callers", type=int, default=4)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        node = NodeProcess(
            data_dir=Path(scratch) / "node",
            up_args=("--grpc", "127.0.0.1:0", "--rest-api", "127.0.0.1:0"),
        ).start()
        try:
            name_the_node(node)
            for method in ("getLocalNodeId", "getNode"):
                compare(node, method, arguments.calls, arguments.callers)
        finally:
            node.stop()


def name_the_node(node: NodeProcess) -> None:
    items = {f"key-{n}": hub_node_pb2.NodeMetadataItem(string_value="v" * 20) for n in range(8)}
    with grpc.insecure_channel(node.grpc_address) as channel:
        hub_client_pb2_grpc.HubClientServiceStub(channel).setNode(
            hub_client_pb2.SetNodeRequest(
                name="bench", metadata=hub_node_pb2.NodeMetadata(items=items)
            )
        )


REST_PATHS = {"getLocalNodeId": "/v1/hub-client/local-node-id", "getNode": "/v1/nodes/"}


def compare(node: NodeProcess, method: str, calls: int, callers: int) -> None:
    print(f"\n{method} ({calls} calls per measurement)")
    report("gRPC, sequential", timed_grpc(node.grpc_address, method, calls))
    report("REST, sequential", timed_rest(node.rest_url, method, calls))
    with nanoping_api.NanopingClient(node.rest_url) as client:
        api_call = (
            client.hub_client.get_local_node_id
            if method == "getLocalNodeId"
            else client.hub_client.get_node
        )
        report("REST via nanoping-api, sequential", sequential(api_call, calls))
    for door, target in (("gRPC", node.grpc_address), ("REST", node.rest_url)):
        rate = parallel_rate(door, target, method, calls // callers, callers)
        print(f"  {door}, {callers} caller processes{'':15} {rate:8.0f} calls/s")


def timed_grpc(address: str, method: str, calls: int) -> list[float]:
    with grpc.insecure_channel(address) as channel:
        stub = hub_client_pb2_grpc.HubClientServiceStub(channel)
        if method == "getLocalNodeId":
            return sequential(
                lambda: stub.getLocalNodeId(hub_client_pb2.GetLocalNodeIdRequest()), calls
            )
        return sequential(lambda: stub.getNode(hub_client_pb2.GetNodeRequest()), calls)


def timed_rest(url: str, method: str, calls: int) -> list[float]:
    with httpx.Client(base_url=url) as http:
        path = REST_PATHS[method]
        return sequential(lambda: http.get(path).raise_for_status(), calls)


def sequential(call: Callable[[], object], calls: int) -> list[float]:
    for _ in range(min(200, calls)):  # warm up connections and caches
        call()
    latencies = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        latencies.append(time.perf_counter() - started)
    return latencies


def report(label: str, latencies: list[float]) -> None:
    rate = len(latencies) / sum(latencies)
    median = statistics.median(latencies) * 1e6
    p99 = statistics.quantiles(latencies, n=100)[98] * 1e6
    print(f"  {label:36} {rate:8.0f} calls/s  median {median:6.0f} us  p99 {p99:6.0f} us")


def parallel_rate(door: str, target: str, method: str, calls: int, callers: int) -> float:
    """Total calls/s of ``callers`` processes, each timing ``calls`` sequential calls."""
    timed = timed_grpc if door == "gRPC" else timed_rest
    with multiprocessing.Pool(callers) as pool:
        spans = pool.starmap(_span, [(timed, target, method, calls)] * callers)
    return callers * calls / max(spans)


def _span(
    timed: Callable[[str, str, int], list[float]], target: str, method: str, calls: int
) -> float:
    return sum(timed(target, method, calls))


if __name__ == "__main__":
    main()
