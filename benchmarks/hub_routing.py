"""Control-plane benchmarks: routed vs local unary calls, and a hub with many member links.

    python benchmarks/hub_routing.py [--calls 3000] [--concurrency 16] [--members 1000]
        [--processes 4] [--limit 180] [--skip-routing]

Part 1 starts a controller and two client nodes as real processes. It measures getNode on
client A made through client B's API (B -> hub -> A, two link hops) next to the same call made
on A's own API, both with the same number of concurrent callers.

Part 2 registers N simulated members in the hub's registry, starts the hub and two real client
nodes, and has ``--processes`` load processes hold the N members' links (one event loop each,
one task per member running the real link core and reconnection policy, spread over loopback
source addresses). Three phases: first connect, steady (every link open, heartbeats at the
default interval), and reconnect after the hub is killed (SIGKILL) and restarted. Per phase it
reports the time until all members are online (or how many were after ``--limit`` seconds),
the hub's CPU and peak RSS, the load processes' CPU, how link attempts ended (welcomed, no
Welcome in time, refused, HTTP error from the door, open timeout, connect failure, dropped),
and probes run meanwhile: getNodes with a metadata filter, a trivial call (an upper bound of
the hub's event-loop lag) and a routed getNode from client B to client A.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import enum
import multiprocessing
import os
import random
import resource
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import uvloop
import websockets
from websockets.asyncio.client import ClientConnection, connect

from nanoping.api import (
    hub_client_pb2,
    hub_client_pb2_grpc,
    hub_node_pb2,
    hub_server_pb2,
    hub_server_pb2_grpc,
)
from nanoping.errors import StatusCode
from nanoping.hub.client import node_link_configuration
from nanoping.hub.link_session import BATCH_LIMIT
from nanoping.hub.registry import NodeRegistry
from nanoping.link import (
    CallStarted,
    HeartbeatTimedOut,
    HelloRefused,
    LinkClosed,
    LinkConnection,
    LinkPhase,
    LinkRole,
    Reconnector,
    Welcomed,
)
from nanoping.link.batch import pack, unpack
from nanoping.link.reconnector import retry_after
from nanoping.node import garbage_collection
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


class Tally(enum.IntEnum):
    """What one member's link attempts ended in; counted per load process in shared memory."""

    ONLINE = 0
    """Links welcomed and still open (a level, not a count of events)."""
    WELCOMED = 1
    """Attempts the hub welcomed."""
    WELCOME_TIMEOUT = 2
    """The socket opened but no Welcome came within the handshake timeout."""
    REFUSED = 3
    """The hub refused the Hello (it closed the link with a Refusal)."""
    HTTP_REJECTED = 4
    """The WebSocket upgrade was answered with an HTTP error (503/429 from an admission door)."""
    OPEN_TIMEOUT = 5
    """TCP connect plus WebSocket upgrade did not finish within OPEN_TIMEOUT."""
    CONNECT_FAILED = 6
    """The TCP connection failed (hub down: refused, reset)."""
    DROPPED = 7
    """Links that were open and closed (the hub went away or timed the link out)."""
    CLOSED_EARLY = 8
    """The hub closed the socket before welcoming or refusing (e.g. its Hello deadline)."""


OPEN_TIMEOUT = 20.0
"""Seconds a simulated member gives the TCP connect plus WebSocket upgrade."""


class Counters:
    """One load process's slice of the shared tally array."""

    def __init__(self, shared: Any, slot: int) -> None:
        self._shared = shared
        self._base = slot * len(Tally)

    def add(self, what: Tally, amount: int = 1) -> None:
        self._shared[self._base + what] += amount


async def simulated_member(
    url: str,
    node: hub_node_pb2.Node,
    secret: str,
    source: str,
    counters: Counters,
    phases: dict[str, Reconnector],
) -> None:
    """One member: the real link core and reconnection policy, one task, no per-link helpers.

    Lighter than a node's LinkSession (no writer task, no call channels): the load processes
    must leave the machine's CPU to the hub they measure.
    """
    loop = asyncio.get_running_loop()
    reconnector = phases[node.id] = Reconnector(rng=random.Random(node.id))
    reconnector.joined(loop.time())
    while True:
        attempt_at = reconnector.next_attempt_at(loop.time())
        if attempt_at is not None:
            await asyncio.sleep(attempt_at - loop.time())
        reconnector.attempt_started(loop.time())
        outcome, retry_after = await _one_link(url, node, secret, source, reconnector, counters)
        counters.add(outcome)
        reconnector.disconnected(loop.time(), retry_after=retry_after)


async def _one_link(
    url: str,
    node: hub_node_pb2.Node,
    secret: str,
    source: str,
    reconnector: Reconnector,
    counters: Counters,
) -> tuple[Tally, float | None]:
    """Dial once and keep the link until it closes; returns how it ended."""
    loop = asyncio.get_running_loop()
    try:
        async with connect(
            url,
            ping_interval=None,
            compression=None,
            proxy=None,
            open_timeout=OPEN_TIMEOUT,
            close_timeout=1,
            local_addr=(source, 0),  # spread over addresses: the hub limits each source
        ) as websocket:
            connection = LinkConnection(
                role=LinkRole.NODE, now=loop.time(), configuration=node_link_configuration()
            )
            connection.send_hello(node=node, credential=secret)
            return await _pump(websocket, connection, reconnector, counters), None
    except websockets.InvalidStatus as error:
        return Tally.HTTP_REJECTED, retry_after(error.response.headers.get("Retry-After"))
    except TimeoutError:
        return Tally.OPEN_TIMEOUT, None
    except (OSError, websockets.InvalidHandshake, websockets.ConnectionClosed, AssertionError):
        # websockets 17 asserts in its handshake when the server closes during the upgrade
        return Tally.CONNECT_FAILED, None


async def _pump(
    websocket: ClientConnection,
    connection: LinkConnection,
    reconnector: Reconnector,
    counters: Counters,
) -> Tally:
    loop = asyncio.get_running_loop()
    welcomed = False
    try:
        while True:
            while (event := connection.next_event()) is not None:
                if isinstance(event, Welcomed):
                    welcomed = True
                    reconnector.connected(loop.time())
                    counters.add(Tally.WELCOMED)
                    counters.add(Tally.ONLINE)
                elif isinstance(event, CallStarted):
                    connection.end_call(event.call_id, StatusCode.UNIMPLEMENTED, "simulated")
                elif isinstance(event, LinkClosed):
                    await _send(websocket, connection)
                    return _closing(event, welcomed)
            await _send(websocket, connection)
            deadline = connection.next_deadline()
            try:
                async with asyncio.timeout_at(deadline):
                    data = await websocket.recv()
            except TimeoutError:
                connection.handle_timer(loop.time())
                continue
            except websockets.ConnectionClosed:
                connection.connection_lost("the socket closed")
                continue
            now = loop.time()
            for frame in unpack(data if isinstance(data, bytes) else b"\xff"):
                connection.receive_bytes(frame, now)
    finally:
        if welcomed:
            counters.add(Tally.ONLINE, -1)


async def _send(websocket: ClientConnection, connection: LinkConnection) -> None:
    frames = connection.data_to_send()
    if frames:
        with contextlib.suppress(websockets.ConnectionClosed):
            for message in pack(frames, limit=BATCH_LIMIT):
                await websocket.send(message)


def _closing(event: LinkClosed, welcomed: bool) -> Tally:
    if welcomed:
        return Tally.DROPPED
    if isinstance(event, HelloRefused):
        return Tally.REFUSED
    if isinstance(event, HeartbeatTimedOut):
        return Tally.WELCOME_TIMEOUT
    return Tally.CLOSED_EARLY


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


def source_address(index: int) -> str:
    """A loopback address of its own for every 200 members (the hub allows 256 per source)."""
    block = index // 200
    return f"127.{20 + block // 250}.{block % 250}.1"


def member_process(
    url: str,
    members: list[tuple[hub_node_pb2.Node, str, str]],
    slot: int,
    shared: Any,
    events: tuple[Any, Any],
) -> None:
    """One load-generating process: one event loop holding its share of the members' links."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    garbage_collection.tune()  # as a node does: no full collection stalls the members' loop
    uvloop.run(_members(url, members, Counters(shared, slot), events))


async def _members(
    url: str,
    members: list[tuple[hub_node_pb2.Node, str, str]],
    counters: Counters,
    events: tuple[Any, Any],
) -> None:
    go, stop = events
    while not go.is_set():  # noqa: ASYNC110 - every process dials from the same moment on
        await asyncio.sleep(0.05)
    phases: dict[str, Reconnector] = {}
    tasks = [
        asyncio.create_task(simulated_member(url, node, secret, source, counters, phases))
        for node, secret, source in members
    ]
    tasks.append(asyncio.create_task(garbage_collection.collect_on_schedule()))
    for task in tasks:
        task.add_done_callback(_report_failure)
    while not stop.is_set():  # noqa: ASYNC110 - a multiprocessing event, not awaitable
        await asyncio.sleep(0.2)
    offline = [
        f"{node_id} ({r.phase.value})"
        for node_id, r in phases.items()
        if r.phase is not LinkPhase.CONNECTED
    ]
    if offline:
        print(f"    offline at the end: {', '.join(offline[:10])}", file=sys.stderr, flush=True)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _report_failure(task: asyncio.Task[None]) -> None:
    """A member that stopped for good must not go unnoticed: it would never come online."""
    if not task.cancelled() and (error := task.exception()) is not None:
        where = "".join(traceback.format_exception(error)[-6:])
        print(f"    a simulated member stopped: {error!r}\n{where}", file=sys.stderr, flush=True)


class LoadGenerator:
    """``processes`` processes holding the simulated members' links between them."""

    def __init__(self, url: str, members: list[tuple[hub_node_pb2.Node, str]], processes: int):
        context = multiprocessing.get_context("spawn")
        self._slots = processes
        self._shared = context.Array("q", processes * len(Tally))
        self._go = context.Event()
        self._stop = context.Event()
        with_sources = [
            (node, secret, source_address(index)) for index, (node, secret) in enumerate(members)
        ]
        self._processes = [
            context.Process(
                target=member_process,
                args=(
                    url,
                    with_sources[slot::processes],
                    slot,
                    self._shared,
                    (self._go, self._stop),
                ),
            )
            for slot in range(processes)
        ]
        for process in self._processes:
            process.start()

    def go(self) -> None:
        """Let every process start dialing (they wait, so all start together)."""
        self._go.set()

    @property
    def pids(self) -> list[int]:
        return [process.pid for process in self._processes if process.pid is not None]

    def total(self, what: Tally) -> int:
        return sum(self._shared[slot * len(Tally) + what] for slot in range(self._slots))

    def online(self) -> int:
        return self.total(Tally.ONLINE)

    def tallies(self) -> dict[Tally, int]:
        return {what: self.total(what) for what in Tally}

    def close(self) -> None:
        self._stop.set()
        for process in self._processes:
            process.join(15)
            if process.is_alive():
                process.kill()


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mib(pid: int) -> float:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return float("nan")
    for line in lines:
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Phase:
    """CPU use of the hub and of the load processes over one phase, and the hub's peak RSS."""

    def __init__(self, hub_pid: int, load: LoadGenerator) -> None:
        self._hub = hub_pid
        self._load = load
        self._started = time.perf_counter()
        self._hub_cpu = cpu_seconds(hub_pid)
        self._load_cpu = sum(cpu_seconds(pid) for pid in load.pids)
        self._tallies = load.tallies()
        self.peak_rss = rss_mib(hub_pid)

    def sample(self) -> None:
        self.peak_rss = max(self.peak_rss, rss_mib(self._hub))

    def report(self) -> str:
        wall = time.perf_counter() - self._started
        hub = (cpu_seconds(self._hub) - self._hub_cpu) / wall
        load = (sum(cpu_seconds(pid) for pid in self._load.pids) - self._load_cpu) / wall
        now = self._load.tallies()
        changes = ", ".join(
            f"{what.name.lower()} {now[what] - self._tallies[what]}"
            for what in Tally
            if what is not Tally.ONLINE and now[what] != self._tallies[what]
        )
        return (
            f"hub CPU {hub:.0%} of a core, load processes {load:.0%} (all together), "
            f"hub peak RSS {self.peak_rss:.0f} MiB; link attempts: {changes or 'none'}"
        )


class Probe:
    """Calls one method again and again until stopped; keeps latencies and error codes."""

    def __init__(self, call: Callable[[], Awaitable[object]], pause: float) -> None:
        self._call = call
        self._pause = pause
        self.latencies: list[float] = []
        self.errors: dict[str, int] = {}
        self.first_success: float | None = None
        self._started = time.perf_counter()

    async def run(self) -> None:
        while True:
            started = time.perf_counter()
            try:
                await self._call()
            except grpc.aio.AioRpcError as error:
                self.errors[error.code().name] = self.errors.get(error.code().name, 0) + 1
            else:
                self.latencies.append(time.perf_counter() - started)
                if self.first_success is None:
                    self.first_success = time.perf_counter() - self._started
            await asyncio.sleep(self._pause)

    def summary(self) -> str:
        if not self.latencies:
            return f"no call succeeded; errors {self.errors}"
        errors = f", errors {self.errors}" if self.errors else ""
        return (
            f"{len(self.latencies)} OK, median {statistics.median(self.latencies) * 1e3:.1f} ms, "
            f"p99 {percentile(self.latencies, 0.99) * 1e3:.1f} ms, "
            f"max {max(self.latencies) * 1e3:.1f} ms{errors}"
        )


class Probes:
    """The calls measured while members connect: filtered getNodes and a trivial call on the
    hub, and a routed getNode from client B to client A through the hub."""

    def __init__(self, hub_address: str, routed: tuple[NodeProcess, NodeProcess] | None) -> None:
        self._channels = [grpc.aio.insecure_channel(hub_address)]
        hub_server = hub_server_pb2_grpc.HubServerServiceStub(self._channels[0])
        hub_client = hub_client_pb2_grpc.HubClientServiceStub(self._channels[0])
        filtered = hub_server_pb2.GetNodesRequest()
        filtered.metadata_filters["parity"].string_value = "even"
        local = hub_client_pb2.GetLocalNodeIdRequest()
        self.probes = {
            "getNodes, metadata filter": Probe(
                lambda: hub_server.getNodes(filtered, timeout=30), 0.2
            ),
            "getLocalNodeId (hub loop lag bound)": Probe(
                lambda: hub_client.getLocalNodeId(local, timeout=30), 0.05
            ),
        }
        if routed is not None:
            a, b = routed
            self._channels.append(grpc.aio.insecure_channel(b.grpc_address))
            via_b = hub_client_pb2_grpc.HubClientServiceStub(self._channels[1])
            request = hub_client_pb2.GetNodeRequest(node_id=a.node_id)
            self.probes["routed getNode (B -> hub -> A)"] = Probe(
                lambda: via_b.getNode(request, timeout=10), 0.05
            )
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> Probes:
        self._tasks = [asyncio.create_task(probe.run()) for probe in self.probes.values()]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for channel in self._channels:
            await channel.close(None)

    def report(self, indent: str = "    ") -> str:
        lines = []
        for name, probe in self.probes.items():
            first = (
                f" (first OK after {probe.first_success:.1f} s)"
                if probe.first_success is not None and probe.errors
                else ""
            )
            lines.append(f"{indent}{name}: {probe.summary()}{first}")
        return "\n".join(lines)


async def wait_online(load: LoadGenerator, count: int, limit: float, phase: Phase) -> float | None:
    """Seconds until ``count`` members are online, None after ``limit``; progress every 15 s."""
    started = time.perf_counter()
    reported = started
    while (online := load.online()) < count:
        now = time.perf_counter()
        if now - started > limit:
            print(f"    GOAL MISSED: only {online} of {count} online after {limit:.0f} s")
            return None
        if now - reported >= 15:
            print(f"    {online} of {count} online after {now - started:.0f} s", flush=True)
            reported = now
        phase.sample()
        await asyncio.sleep(0.1)
    return time.perf_counter() - started


async def steady_get_nodes(address: str, rounds: int = 200) -> str:
    """getNodes with a metadata filter, one call at a time, with every link open."""
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
            await asyncio.sleep(0.1)  # ten a second: the probe must not become the load
    return (
        f"{found} nodes match; median {statistics.median(samples) * 1e3:.2f} ms, "
        f"p99 {percentile(samples, 0.99) * 1e3:.2f} ms, max {max(samples) * 1e3:.2f} ms"
    )


def start_hub(tmp: Path, members: int, http_port: int = 0) -> NodeProcess:
    """The controller, its hub door sized for the members plus the real nodes and probes.

    The default (http.maxConnections 10,000) would turn the last members away with a 503.
    """
    config = tmp / "controller.yaml"
    config.write_text(
        f"node:\n  name: hub\nhttp:\n  address: 127.0.0.1:{http_port}\n"
        f"  maxConnections: {members + 1000}\n"
        "hubServer:\n  authenticationByRequest:\n    timeout: 5m\n"
        "grpcBridge:\n  address: 127.0.0.1:0\n"
    )
    return NodeProcess(
        data_dir=tmp / "controller-data", global_args=["-c", str(config)], up_args=()
    ).start()


def pid_of(node: NodeProcess) -> int:
    assert node.process is not None
    return node.process.pid


def real_clients(tmp: Path, controller: NodeProcess) -> tuple[NodeProcess, NodeProcess]:
    """Two real nodes joined to the hub, for routed calls (B -> hub -> A)."""
    api = ReferenceApi(FDS)
    a = NodeProcess(data_dir=tmp / "a").start()
    b = NodeProcess(data_dir=tmp / "b").start()
    join(api, controller, a)
    join(api, controller, b)
    return a, b


async def many_members(tmp: Path, count: int, processes: int, limit: float) -> None:
    started = time.perf_counter()
    members = seed_members(tmp / "controller-data", count)
    print(f"\nhub with {count} simulated members ({processes} load processes)", flush=True)
    print(f"  registered in {time.perf_counter() - started:.1f} s", flush=True)
    controller = start_hub(tmp, count)
    nodes = [controller]
    routed = real_clients(tmp, controller)
    nodes.extend(routed)
    url = hub_url(controller).replace("http://", "ws://") + "/hub/link"
    print(f"  hub RSS idle (registry loaded): {rss_mib(pid_of(controller)):.1f} MiB", flush=True)
    load = LoadGenerator(url, members, processes)
    try:
        phase = Phase(pid_of(controller), load)
        load.go()
        async with Probes(controller.grpc_address, routed) as probes:
            first = await wait_online(load, count, limit, phase)
        if first is not None:
            print(f"  all members online after first connect: {first:.2f} s", flush=True)
        print(f"    {phase.report()}\n{probes.report()}", flush=True)
        phase = Phase(pid_of(controller), load)
        await asyncio.sleep(15)  # three heartbeat rounds with every link open
        steady = await steady_get_nodes(controller.grpc_address)
        phase.sample()
        print(f"  steady, every link open: {phase.report()}", flush=True)
        print(f"    getNodes with a metadata filter: {steady}", flush=True)
        port = int(controller.addresses["HTTP (hub server)"].rsplit(":", 1)[1])
        controller.kill()
        while load.online() > 0:  # noqa: ASYNC110 - counts kept by other processes
            await asyncio.sleep(0.1)
        nodes.append(restarted := start_hub(tmp, count, http_port=port))
        phase = Phase(pid_of(restarted), load)
        async with Probes(restarted.grpc_address, routed) as probes:
            again = await wait_online(load, count, limit, phase)
        if again is not None:
            print(
                f"  all members online again after hub kill -9 + restart: {again:.2f} s",
                flush=True,
            )
        print(f"    {phase.report()}\n{probes.report()}", flush=True)
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
    parser.add_argument(
        "--limit", type=float, default=180, help="seconds to wait for all members online"
    )
    parser.add_argument("--skip-routing", action="store_true")
    arguments = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if not arguments.skip_routing:
        routed_vs_local(arguments.calls, arguments.concurrency)
    with tempfile.TemporaryDirectory() as folder:
        uvloop.run(
            many_members(Path(folder), arguments.members, arguments.processes, arguments.limit)
        )


if __name__ == "__main__":
    main()
