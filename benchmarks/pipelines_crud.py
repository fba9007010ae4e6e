"""Pipelines API benchmark against real `np up` nodes on 127.0.0.1 (gRPC, port 0).

Measures:
1. create -> getPipelineById -> delete round trips per second through the gRPC API;
2. with 10,000 stored pipelines: getPipelines latency and response size;
3. node start-up time (process start to banner) with an empty and a 10,000-pipeline store;
4. for reference, the in-process cost of listing 10,000 pipelines (store read + messages).

Usage: ``python benchmarks/pipelines_crud.py [--round-trips N] [--pipelines N]``.
Each node gets a fresh temporary data dir. Numbers depend on the machine and its disk: every
write is an fsync'd SQLite transaction (WAL, synchronous=FULL).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc

from nanoping.api import pipelines_pb2, pipelines_pb2_grpc
from nanoping.node.data_dir import DataDir
from nanoping.pipelines.feed import PipelineFeed
from nanoping.pipelines.json_config import JsonConfig
from nanoping.pipelines.settings import PipelineSettings
from nanoping.pipelines.store import PipelineStore
from nanoping.service.pipelines import pipeline_message
from nanoping.storage.database import Database
from nanoping.testing.cluster import join, start_controller
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

# The seed's example config (product notes, section 4.2).
EXAMPLE_CONFIG = """{"version": 13, "plumr_config": {"pipeline": {
  "traffic_sink-1": {"traffic_sink": {
    "input": "[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]", "mtu": 1500}},
  "uniform_traffic_source-1": {"uniform_traffic_source": {
    "output": "[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]",
    "total_packets": 5000, "interval": 25}}}}}"""
FDS = Path(__file__).resolve().parent.parent / "tests" / "data" / "nanoping.fds"
BIG_MESSAGES = [("grpc.max_receive_message_length", 256 * 1024 * 1024)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--round-trips", type=int, default=1000)
    parser.add_argument("--pipelines", type=int, default=10_000)
    parser.add_argument("--listings", type=int, default=20)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        crud_round_trips(root / "crud", arguments.round_trips)
        routed = root / "routed"
        routed.mkdir()
        routed_round_trips(routed, arguments.round_trips)
        seeded = root / "big"
        seed_store(seeded, arguments.pipelines)
        listing(seeded, arguments.pipelines, arguments.listings)
        start_up(root / "empty", seeded, arguments.pipelines)
        in_process_listing(seeded, arguments.pipelines)


# ---- 1. round trips ---------------------------------------------------------------------------


def crud_round_trips(data_dir: Path, count: int) -> None:
    with node_stub(data_dir) as stub:
        for _ in range(min(50, count)):  # warm-up: connections, caches, page cache
            one_round_trip(stub)
        timings: dict[str, list[float]] = {"create": [], "getById": [], "delete": []}
        started = time.perf_counter()
        for _ in range(count):
            one_round_trip(stub, timings)
        elapsed = time.perf_counter() - started
    print(f"create -> getPipelineById -> delete: {count} round trips in {elapsed:.2f} s")
    print(f"  {count / elapsed:,.0f} round trips/s ({3 * count / elapsed:,.0f} calls/s)")
    for name, samples in timings.items():
        print(f"  {name:<8} {describe(samples)}")


def one_round_trip(
    stub: Any, timings: dict[str, list[float]] | None = None, node_id: str = ""
) -> None:
    created = timed(
        timings,
        "create",
        lambda: stub.createPipeline(
            pipelines_pb2.CreatePipelineRequest(
                node_id=node_id, name="bench", json_config=EXAMPLE_CONFIG
            )
        ),
    )
    pipeline_id = created.pipeline.id
    timed(
        timings,
        "getById",
        lambda: stub.getPipelineById(
            pipelines_pb2.GetPipelineByIdRequest(node_id=node_id, id=pipeline_id)
        ),
    )
    timed(
        timings,
        "delete",
        lambda: stub.deletePipeline(
            pipelines_pb2.DeletePipelineRequest(node_id=node_id, id=pipeline_id)
        ),
    )


def routed_round_trips(root: Path, count: int) -> None:
    """The same round trips made on a client node's API for the controller's pipelines."""
    api = ReferenceApi(FDS)
    controller = start_controller(root)
    client = NodeProcess(data_dir=root / "client").start()
    try:
        join(api, controller, client)
        time.sleep(0.5)
        with grpc.insecure_channel(client.grpc_address) as channel:
            stub = pipelines_pb2_grpc.PipelinesServiceStub(channel)
            for _ in range(min(50, count)):
                one_round_trip(stub, node_id=controller.node_id)
            timings: dict[str, list[float]] = {"create": [], "getById": [], "delete": []}
            started = time.perf_counter()
            for _ in range(count):
                one_round_trip(stub, timings, node_id=controller.node_id)
            elapsed = time.perf_counter() - started
    finally:
        client.stop()
        controller.stop()
    print(f"routed (client API -> hub -> controller): {count} round trips in {elapsed:.2f} s")
    print(f"  {count / elapsed:,.0f} round trips/s ({3 * count / elapsed:,.0f} calls/s)")
    for name, samples in timings.items():
        print(f"  {name:<8} {describe(samples)}")


def timed(timings: dict[str, list[float]] | None, name: str, call: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = call()
    if timings is not None:
        timings[name].append(time.perf_counter() - started)
    return result


# ---- 2. listing 10,000 ------------------------------------------------------------------------


def seed_store(data_dir: Path, count: int) -> None:
    """Write ``count`` pipelines straight into a data dir's database, as a node would keep them."""
    opened = DataDir.open(data_dir)
    database = Database.open(opened.database_path)
    database.query("PRAGMA synchronous=OFF")  # seeding only; the node reopens with FULL
    store = PipelineStore(database, feed=PipelineFeed())
    settings = PipelineSettings(name="", config=JsonConfig.parse(EXAMPLE_CONFIG))
    started = time.perf_counter()
    for number in range(count):
        store.create(PipelineSettings(name=f"pipeline {number}", config=settings.config))
    print(f"seeded {count:,} pipelines in {time.perf_counter() - started:.1f} s (no fsync)")
    database.close()
    opened.close()


def listing(data_dir: Path, count: int, repeats: int) -> None:
    with node_stub(data_dir, options=BIG_MESSAGES) as stub:
        reply = stub.getPipelines(pipelines_pb2.GetPipelinesRequest())
        assert len(reply.pipelines) == count
        size = reply.ByteSize()
        samples = []
        for _ in range(repeats):
            started = time.perf_counter()
            stub.getPipelines(pipelines_pb2.GetPipelinesRequest())
            samples.append(time.perf_counter() - started)
    print(f"getPipelines with {count:,} pipelines ({size / 1e6:.1f} MB reply): {describe(samples)}")
    with node_stub(data_dir) as stub:
        try:
            stub.getPipelines(pipelines_pb2.GetPipelinesRequest())
            print("  with the default 4 MiB client receive limit: fits")
        except grpc.RpcError as error:
            print(f"  with the default 4 MiB client receive limit: {error.code().name}")


def in_process_listing(data_dir: Path, count: int) -> None:
    database = Database.open(data_dir / "node.sqlite3")
    store = PipelineStore(database, feed=PipelineFeed())
    reads, messages = [], []
    for _ in range(5):
        started = time.perf_counter()
        records = store.all()
        middle = time.perf_counter()
        pipelines_pb2.GetPipelinesResponse(pipelines=[pipeline_message(r) for r in records])
        reads.append(middle - started)
        messages.append(time.perf_counter() - middle)
    database.close()
    print(f"in process, {count:,} pipelines: store read {describe(reads)}")
    print(f"  building the reply {describe(messages)}")


# ---- 3. start-up ------------------------------------------------------------------------------


def start_up(empty: Path, seeded: Path, count: int) -> None:
    first = start_time(empty)
    again = statistics.median(start_time(empty) for _ in range(3))
    big = statistics.median(start_time(seeded) for _ in range(3))
    print("node start-up (process start to banner):")
    print(f"  new data dir {first * 1000:.0f} ms, empty store {again * 1000:.0f} ms, ", end="")
    print(f"{count:,} pipelines {big * 1000:.0f} ms")


def start_time(data_dir: Path) -> float:
    node = NodeProcess(data_dir=data_dir)
    started = time.perf_counter()
    node.start()
    elapsed = time.perf_counter() - started
    node.stop()
    return elapsed


# ---- helpers ----------------------------------------------------------------------------------


@contextmanager
def node_stub(data_dir: Path, options: list[tuple[str, int]] | None = None) -> Iterator[Any]:
    with (
        NodeProcess(data_dir=data_dir) as node,
        grpc.insecure_channel(node.grpc_address, options=options or []) as channel,
    ):
        yield pipelines_pb2_grpc.PipelinesServiceStub(channel)


def describe(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2]
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {p50 * 1000:.2f} ms, p99 {p99 * 1000:.2f} ms, mean {statistics.fmean(samples) * 1000:.2f} ms"


if __name__ == "__main__":
    main()
