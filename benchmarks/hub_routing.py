"""Control-plane benchmarks: routed vs local unary calls, and a hub with many member links.

    python benchmarks/hub_routing.py [--calls 3000] [--concurrency 16] [--members 1000]

Part 1 starts a controller and two client nodes as real processes. It measures getNode on
client A made through client B's API (B -> hub -> A, two link hops) next to the same call made
on A's own API, both with the same number of concurrent callers.

Part 2 registers N simulated members in the hub's registry, starts the hub, connects N link
clients from one process (each runs the real link core and reconnection backoff), and reports
the hub's memory, getNodes latency with a metadata filter, and the time until all members are
online again after the hub is killed and restarted.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import random
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc
import uvloop
import websockets
from websockets.asyncio.client import connect

from nanoping.api import (
    hub_client_pb2,
    hub_client_pb2_grpc,
    hub_node_pb2,
    hub_server_pb2,
    hub_server_pb2_grpc,
)
from nanoping.hub.link_session import LinkSession
from nanoping.hub.registry import NodeRegistry
from nanoping.link import LinkConnection, LinkRole, Reconnector, Welcomed
from nanoping.storage.database import Database
from nanoping.testing.cluster import hub_url, join, start_controller
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

FDS = Path(__file__).resolve().parent.parent / "tests" / "data" / "nanoping.fds"


async def timed_calls(
    address: str, node_id: str, calls: int, concurrency: int
) -> tuple[float, list[float]]:
    """Throughput (calls/s) and per-call latencies of getNode(node_id) on the API at address."""
    latencies: list[float] = []
    async with grpc.aio.insecure_channel(address) as channel:
        stub = hub_client_pb2_grpc.HubClientServiceStub(channel)
        request = hub_client_pb2.GetNodeRequest(node_id=node_id)
        await stub.getNode(request)  # warm up the channel and the route
        remaining = calls

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                await stub.getNode(request)
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return calls / elapsed, latencies


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def routed_vs_local(calls: int, concurrency: int) -> None:
    api = ReferenceApi(FDS)
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        controller = start_controller(tmp)
        a = NodeProcess(data_dir=tmp / "a").start()
        b = NodeProcess(data_dir=tmp / "b").start()
        try:
            join(api, controller, a)
            join(api, controller, b)
            time.sleep(1.0)
            local_rate, local = uvloop.run(
                timed_calls(a.grpc_address, a.node_id, calls, concurrency)
            )
            routed_rate, routed = uvloop.run(
                timed_calls(b.grpc_address, a.node_id, calls, concurrency)
            )
        finally:
            for node in (b, a, controller):
                node.stop()
    print(f"getNode, {calls} calls, {concurrency} concurrent callers")
    print(f"{'path':<28}{'calls/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for name, rate, latencies in (
        ("local (A's API)", local_rate, local),
        ("routed (B -> hub -> A)", routed_rate, routed),
    ):
        print(
            f"{name:<28}{rate:>10.0f}{percentile(latencies, 0.5) * 1e3:>10.2f}{percentile(latencies, 0.99) * 1e3:>10.2f}"
        )
    print(f"routed throughput = {routed_rate / local_rate:.0%} of local")


def seed_members(data_dir: Path, count: int) -> list[tuple[hub_node_pb2.Node, str]]:
    """Register simulated members directly in the hub's database; returns (node, secret) pairs."""
    data_dir.mkdir(parents=True, exist_ok=True)
    database = Database.open(data_dir / "node.sqlite3")
    registry = NodeRegistry(database=database, hub_node=lambda: hub_node_pb2.Node(id="unused"))
    members = []
    for index in range(count):
        kind = hub_node_pb2.NodeMetadataItem(string_value="even" if index % 2 == 0 else "odd")
        node = hub_node_pb2.Node(
            id=f"sim-{index:05d}", name=f"sim {index}", services=[hub_node_pb2.PIPELINES]
        )
        node.metadata.items["parity"].CopyFrom(kind)
        members.append((node, registry.admit(node)))
    database.close()
    return members


async def simulated_member(
    url: str,
    node: hub_node_pb2.Node,
    secret: str,
    online: Callable[[str, bool], None],
    source: str = "127.0.0.1",
) -> None:
    """One member's link: the real link core, reconnecting with the real backoff."""
    loop = asyncio.get_running_loop()
    node_id = node.id
    reconnector = Reconnector(rng=random.Random(node_id))
    reconnector.joined(loop.time())

    async def no_calls(call: object) -> None:
        return None

    while True:
        attempt_at = reconnector.next_attempt_at(loop.time())
        if attempt_at is not None:
            await asyncio.sleep(attempt_at - loop.time())
        reconnector.attempt_started(loop.time())
        try:
            async with connect(
                url,
                ping_interval=None,
                compression=None,
                proxy=None,
                open_timeout=20,
                local_addr=(source, 0),  # spread over addresses: the hub limits each source
            ) as websocket:
                connection = LinkConnection(role=LinkRole.NODE, now=loop.time())
                connection.send_hello(node=node, credential=secret)

                def on_event(event: object) -> None:
                    if isinstance(event, Welcomed):
                        reconnector.connected(loop.time())
                        online(node_id, True)

                session = LinkSession(
                    connection=connection,
                    send=websocket.send,
                    on_call=no_calls,
                    on_session_event=on_event,
                )

                async def receive() -> bytes | None:
                    try:
                        data = await websocket.recv()
                    except websockets.ConnectionClosed:
                        return None
                    return data if isinstance(data, bytes) else b""

                await session.run(receive)
        except (OSError, TimeoutError, websockets.InvalidHandshake, websockets.ConnectionClosed):
            pass
        online(node_id, False)
        reconnector.disconnected(loop.time())


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def source_address(index: int) -> str:
    """A loopback address of its own for every 200 members (the hub allows 256 per source)."""
    block = index // 200
    return f"127.{20 + block // 250}.{block % 250}.1"


def member_process(
    url: str,
    members: list[tuple[hub_node_pb2.Node, str, str]],
    slot: int,
    online_counts: Any,
    stop: Any,
) -> None:
    """One load-generating process: its share of the members, each a real link client."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    uvloop.run(_members(url, members, slot, online_counts, stop))


async def _members(
    url: str,
    members: list[tuple[hub_node_pb2.Node, str, str]],
    slot: int,
    online_counts: Any,
    stop: Any,
) -> None:
    status: dict[str, bool] = {}

    def online(node_id: str, value: bool) -> None:
        status[node_id] = value
        online_counts[slot] = sum(status.values())

    tasks = [
        asyncio.create_task(simulated_member(url, node, secret, online, source))
        for node, secret, source in members
    ]
    while not stop.is_set():  # noqa: ASYNC110 - a multiprocessing event, not awaitable
        await asyncio.sleep(0.2)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


class LoadGenerator:
    """``processes`` processes holding the simulated members' links between them."""

    def __init__(self, url: str, members: list[tuple[hub_node_pb2.Node, str]], processes: int):
        context = multiprocessing.get_context("spawn")
        self.online_counts = context.Array("i", processes)
        self._stop = context.Event()
        with_sources = [
            (node, secret, source_address(index)) for index, (node, secret) in enumerate(members)
        ]
        self._processes = [
            context.Process(
                target=member_process,
                args=(url, with_sources[slot::processes], slot, self.online_counts, self._stop),
            )
            for slot in range(processes)
        ]
        for process in self._processes:
            process.start()

    def online(self) -> int:
        return sum(self.online_counts[:])

    def close(self) -> None:
        self._stop.set()
        for process in self._processes:
            process.join(15)
            if process.is_alive():
                process.kill()


async def wait_online(load: LoadGenerator, count: int, limit: float) -> float:
    """Seconds until ``count`` members are online; prints progress every 15 s."""
    started = time.perf_counter()
    reported = started
    while (online := load.online()) < count:
        now = time.perf_counter()
        if now - started > limit:
            raise TimeoutError(f"only {online} of {count} members online after {limit} s")
        if now - reported >= 15:
            print(f"    {online} of {count} online after {now - started:.0f} s", flush=True)
            reported = now
        await asyncio.sleep(0.1)
    return time.perf_counter() - started


async def get_nodes_percentiles(address: str, rounds: int = 200) -> tuple[float, float, int]:
    """Median and p99 of getNodes with a metadata filter, and how many nodes it found."""
    async with grpc.aio.insecure_channel(address) as channel:
        stub = hub_server_pb2_grpc.HubServerServiceStub(channel)
        request = hub_server_pb2.GetNodesRequest()
        request.metadata_filters["parity"].string_value = "even"
        samples = []
        found = 0
        for _ in range(rounds):
            started = time.perf_counter()
            reply = await stub.getNodes(request)
            samples.append(time.perf_counter() - started)
            found = len(reply.nodes)
            await asyncio.sleep(0.01)
    return statistics.median(samples), percentile(samples, 0.99), found


async def many_members(tmp: Path, count: int, processes: int) -> None:
    started = time.perf_counter()
    members = seed_members(tmp / "controller-data", count)
    print(f"\nhub with {count} simulated members ({processes} load processes)", flush=True)
    print(f"  registered in {time.perf_counter() - started:.1f} s", flush=True)
    controller = start_controller(tmp)
    nodes = [controller]
    url = hub_url(controller).replace("http://", "ws://") + "/hub/link"
    idle_rss = rss_mib(controller.process.pid if controller.process else 0)
    load = LoadGenerator(url, members, processes)
    try:
        first = await wait_online(load, count, 300)
        print(f"  all members online after first connect: {first:.2f} s", flush=True)
        await asyncio.sleep(10)  # two heartbeat rounds with every link open
        rss = rss_mib(controller.process.pid if controller.process else 0)
        median, p99, found = await get_nodes_percentiles(controller.grpc_address)
        print(
            f"  hub RSS idle (registry loaded): {idle_rss:.1f} MiB; all links open: {rss:.1f} MiB"
        )
        print(
            f"  getNodes with a metadata filter ({found} of {count + 1} match): "
            f"median {median * 1e3:.2f} ms, p99 {p99 * 1e3:.2f} ms",
            flush=True,
        )
        port = int(controller.addresses["HTTP (hub server)"].rsplit(":", 1)[1])
        controller.kill()
        while load.online() > 0:  # noqa: ASYNC110 - counts kept by other processes
            await asyncio.sleep(0.1)
        nodes.append(start_controller(tmp, http_port=port))
        again = await wait_online(load, count, 300)
        print(
            f"  all members online again after hub kill -9 + restart: {again:.2f} s "
            "(backoff base 1 s, full jitter)",
            flush=True,
        )
    finally:
        load.close()
        for node in nodes:
            if node.process is not None and node.process.poll() is None:
                node.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--members", type=int, default=1000)
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--skip-routing", action="store_true")
    arguments = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if not arguments.skip_routing:
        routed_vs_local(arguments.calls, arguments.concurrency)
    with tempfile.TemporaryDirectory() as folder:
        uvloop.run(many_members(Path(folder), arguments.members, arguments.processes))


if __name__ == "__main__":
    main()
