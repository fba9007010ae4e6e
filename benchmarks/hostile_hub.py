"""The attacks of the hostile-network report against a real controller: hub RSS and getNodes.

    python benchmarks/hostile_hub.py [--ping-mb 300] [--idle 2000] [--joins 1000] [--forged 2000]
        [--forged-sources 1]

Starts a controller (a real `np up` process) and, one after the other, runs:

1. one socket on /hub/link sending Ping frames (before any Hello) without reading, up to N MB;
2. N idle TCP connections on the hub's HTTP port, from 10 source addresses, held 15 s;
3. N join requests from N source addresses (127.1.x.y), held open while pending;
4. N links presenting a Hello with a forged credential, 200 at a time (from one address, or
   spread over ``--forged-sources`` addresses 127.3.x.y).

Throughout, a separate process calls getNodes on the controller's gRPC API every 20 ms and samples
the hub's RSS; each attack reports its outcome, the RSS peak and getNodes p50/p99/max. Beside them
stand what says how busy the machine was: its 1-minute load average, getNodes on a second, idle
controller called right after each probe call, and how late the probe's own 20 ms sleeps woke up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import queue
import resource
import socket
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import uvloop
import websockets
from websockets.asyncio.client import connect

from nanoping.api import hub_node_pb2, hub_server_pb2
from nanoping.internal import join_pb2, link_pb2
from nanoping.link import LINK_PROTOCOL_VERSION, encode_frame
from nanoping.link.batch import pack
from nanoping.testing.cluster import HUB_SERVER, hub_url, start_controller
from nanoping.testing.node_process import NodeProcess


@dataclass
class Samples:
    """What the probe saw between two reports."""

    latencies: list[float] = field(default_factory=list)
    """getNodes on the attacked controller (seconds)."""
    control: list[float] = field(default_factory=list)
    """getNodes on the idle control controller, called right after (seconds)."""
    lateness: list[float] = field(default_factory=list)
    """How much later than asked the probe's own 20 ms sleeps ended (seconds)."""
    failures: Counter[str] = field(default_factory=Counter)
    rss_peak: float = 0.0
    """Hub RSS peak (MiB)."""


class Probe:
    """getNodes latencies and hub RSS, sampled by a separate process while attacks run.

    A process of its own, so the attacker's event loop does not slow the measuring calls. Each
    round also calls getNodes on an idle control controller on the same machine: when its
    latency jumps too, the machine was short of CPU, not only the attacked hub's loop.
    """

    def __init__(self, node: NodeProcess, control: NodeProcess) -> None:
        assert node.process is not None
        context = multiprocessing.get_context("spawn")
        self._commands: multiprocessing.Queue[str] = context.Queue()
        self._results: multiprocessing.Queue[Samples] = context.Queue()
        self._process = context.Process(
            target=_probe_loop,
            args=(
                (node.grpc_address, control.grpc_address),
                node.process.pid,
                self._commands,
                self._results,
            ),
        )
        self._process.start()

    def reset(self) -> None:
        self._commands.put("reset")
        self._results.get()

    def report(self, name: str, outcome: str) -> None:
        self._commands.put("report")
        samples = self._results.get()
        failed = f", failed calls {dict(samples.failures)}" if samples.failures else ""
        print(
            f"{name}: {outcome}\n    hub RSS peak {samples.rss_peak:.0f} MiB; getNodes "
            f"{len(samples.latencies)} calls {_spread(samples.latencies)}{failed}\n"
            f"    machine: load average {os.getloadavg()[0]:.1f}; idle control node's getNodes "
            f"{_spread(samples.control)}; probe sleeps late by {_spread(samples.lateness)}",
            flush=True,
        )

    def close(self) -> None:
        self._commands.put("stop")
        self._process.join(10)


def _spread(seconds: list[float]) -> str:
    ordered = sorted(seconds) or [float("nan")]

    def pct(fraction: float) -> float:
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1e3

    return f"p50 {pct(0.5):.1f} ms p99 {pct(0.99):.1f} ms max {ordered[-1] * 1e3:.1f} ms"


def _probe_loop(
    addresses: tuple[str, str],
    pid: int,
    commands: multiprocessing.Queue[str],
    results: multiprocessing.Queue[Samples],
) -> None:
    status = Path(f"/proc/{pid}/status")
    samples = Samples()
    with (
        grpc.insecure_channel(addresses[0]) as channel,
        grpc.insecure_channel(addresses[1]) as idle,
    ):
        attacked, control = _get_nodes(channel), _get_nodes(idle)
        while True:
            with contextlib.suppress(queue.Empty):
                if commands.get_nowait() == "stop":
                    return
                results.put(samples)
                samples = Samples()
            try:
                samples.latencies.append(_timed(attacked))
                samples.control.append(_timed(control))
            except grpc.RpcError as error:
                samples.failures[str(error.code())] += 1
            with contextlib.suppress(OSError):
                samples.rss_peak = max(samples.rss_peak, _rss_mib(status))
            asleep = time.perf_counter()
            time.sleep(0.02)
            samples.lateness.append(time.perf_counter() - asleep - 0.02)


def _get_nodes(channel: grpc.Channel) -> Callable[..., Any]:
    return channel.unary_unary(
        HUB_SERVER + "getNodes",
        request_serializer=hub_server_pb2.GetNodesRequest.SerializeToString,
        response_deserializer=hub_server_pb2.GetNodesResponse.FromString,
    )


def _timed(call: Callable[..., Any]) -> float:
    started = time.perf_counter()
    call(hub_server_pb2.GetNodesRequest(), timeout=5)
    return time.perf_counter() - started


def _rss_mib(status: Path) -> float:
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def unread_pings(url: str, megabytes: int) -> str:
    """Ping frames without a Hello, never reading; how much the hub took before it closed."""
    frames = [encode_frame(link_pb2.Frame(ping=link_pb2.Ping(id=i + 1))) for i in range(20_000)]
    batch = pack(frames, limit=1 << 20)[0]
    sent = 0
    started = time.perf_counter()
    try:
        async with connect(url, proxy=None, max_size=None, compression=None) as websocket:
            while sent < megabytes * 2**20 and time.perf_counter() - started < 60:
                async with asyncio.timeout(10):
                    await websocket.send(batch)
                sent += len(batch)
    except (websockets.ConnectionClosed, OSError, TimeoutError) as error:
        return f"hub stopped it after {sent / 2**20:.1f} MB ({type(error).__name__})"
    return f"sent {sent / 2**20:.0f} MB in {time.perf_counter() - started:.1f} s, link still open"


async def idle_connections(host: str, port: int, count: int, hold: float) -> str:
    """``count`` TCP connections sending nothing, from 10 source addresses."""
    loop = asyncio.get_running_loop()
    fates: Counter[str] = Counter()

    async def one(index: int) -> None:
        sock = socket.socket()
        sock.setblocking(False)
        try:
            sock.bind((f"127.0.2.{index % 10 + 1}", 0))
            await loop.sock_connect(sock, (host, port))
            async with asyncio.timeout(hold):
                data = await loop.sock_recv(sock, 100)
            fates["refused (503)" if data.startswith(b"HTTP/1.1 503") else "closed by hub"] += 1
        except TimeoutError:
            fates[f"still open after {hold:g} s"] += 1
        except OSError as error:
            fates[f"error {error.errno}"] += 1
        finally:
            sock.close()

    await asyncio.gather(*(one(index) for index in range(count)))
    return ", ".join(f"{n} {fate}" for fate, n in fates.most_common())


async def join_flood(url: str, count: int, hold: float) -> str:
    """``count`` join requests from as many source addresses, each waiting for its answer."""
    outcomes: Counter[str] = Counter()

    async def one(index: int) -> None:
        source = f"127.1.{index // 250}.{index % 250 + 1}"
        node = hub_node_pb2.Node(id=str(uuid.uuid4()), name=f"flood {index}")
        request = join_pb2.JoinRequest(protocol_version=1, node=node).SerializeToString()
        try:
            async with connect(url, proxy=None, open_timeout=20, local_addr=(source, 0)) as ws:
                await ws.send(request)
                async with asyncio.timeout(hold):
                    answer = join_pb2.JoinAnswer.FromString(await ws.recv())  # type: ignore[arg-type]
                outcomes[f"declined {answer.declined.status_code}"] += 1
        except TimeoutError:
            outcomes["pending"] += 1
        except (OSError, websockets.WebSocketException) as error:
            outcomes[type(error).__name__] += 1

    await asyncio.gather(*(one(index) for index in range(count)))
    return ", ".join(f"{n} {outcome}" for outcome, n in outcomes.most_common())


async def forged_links(url: str, count: int, sources: int = 1, concurrency: int = 200) -> str:
    """Links whose Hello carries a made-up id and credential, from ``sources`` addresses."""
    outcomes: Counter[str] = Counter()
    gate = asyncio.Semaphore(concurrency)

    async def one(index: int) -> None:
        hello = link_pb2.Hello(
            protocol_version=LINK_PROTOCOL_VERSION,
            credential=uuid.uuid4().hex,
            node=hub_node_pb2.Node(id=str(uuid.uuid4())),
            call_window=8,
            max_message_size=1 << 20,
        )
        source = (
            "127.0.0.1" if sources == 1 else f"127.3.{index % sources // 250}.{index % 250 + 1}"
        )
        async with gate:
            try:
                async with connect(url, proxy=None, open_timeout=20, local_addr=(source, 0)) as ws:
                    await ws.send(
                        pack([encode_frame(link_pb2.Frame(hello=hello))], limit=1 << 20)[0]
                    )
                    async with asyncio.timeout(20):
                        await ws.recv()
                outcomes["answered (a refused Hello)"] += 1
            except websockets.ConnectionClosed:
                outcomes["closed"] += 1
            except websockets.InvalidStatus as refused:
                outcomes[f"refused {refused.response.status_code} before upgrading"] += 1
            except (OSError, TimeoutError, websockets.WebSocketException) as error:
                outcomes[type(error).__name__] += 1

    await asyncio.gather(*(one(index) for index in range(count)))
    return ", ".join(f"{n} {outcome}" for outcome, n in outcomes.most_common())


async def attacks(controller: NodeProcess, arguments: argparse.Namespace, probe: Probe) -> None:
    base = hub_url(controller)
    host, port = base.removeprefix("http://").rsplit(":", 1)
    ws = base.replace("http://", "ws://")
    runs: list[tuple[str, Callable[[], Awaitable[str]]]] = [
        ("1. unread pings", lambda: unread_pings(ws + "/hub/link", arguments.ping_mb)),
        ("2. idle connections", lambda: idle_connections(host, int(port), arguments.idle, 15)),
        ("3. join flood", lambda: join_flood(ws + "/hub/join", arguments.joins, 15)),
        (
            "4. forged credentials",
            lambda: forged_links(ws + "/hub/link", arguments.forged, arguments.forged_sources),
        ),
    ]
    probe.reset()
    await asyncio.sleep(3)
    probe.report("0. no attack", "baseline, 3 s")
    for name, attack in runs:
        probe.reset()
        outcome = await attack()
        probe.report(name, outcome)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--ping-mb", type=int, default=300)
    parser.add_argument("--idle", type=int, default=2000)
    parser.add_argument("--joins", type=int, default=1000)
    parser.add_argument("--forged", type=int, default=2000)
    parser.add_argument("--forged-sources", type=int, default=1, help="addresses (up to 62,500)")
    arguments = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # this process holds the sockets
    with tempfile.TemporaryDirectory() as folder:
        attacked, idle = Path(folder) / "attacked", Path(folder) / "control"
        attacked.mkdir()
        idle.mkdir()
        controller, control = start_controller(attacked), start_controller(idle)
        probe = Probe(controller, control)
        try:
            uvloop.run(attacks(controller, arguments, probe))
        finally:
            probe.close()
            control.stop()
            controller.stop()


if __name__ == "__main__":
    main()
