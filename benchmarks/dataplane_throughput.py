"""Packets per second and CPU per packet of the data plane, compared with the budgets.

Two measurements:

1. ``uniform_traffic_source → traffic_sink`` inside one engine (no sockets): the engine's
   own per-packet cost.
2. A UDP forwarder (``udp_socket → udp_socket``) in its own process on loopback, fed by a
   source engine and drained by a sink engine in this process, at several offered rates:
   delivered rate, loss, and the forwarder's CPU time per packet. On a 2-core machine this
   process (sender and sink together) saturates its core near 100 kpps, before the
   forwarder does.

Budget (research notes, 2-core VM): about 15 µs of Python per packet per hop, i.e. at least
50 kpps through one UDP hop on one core.

Run: ``python benchmarks/dataplane_throughput.py [--quick]``.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

import uvloop

from nanoping.dataplane import Engine, validate_config
from nanoping.dataplane.components.udp import UdpSocket
from nanoping.dataplane.fakes import config_doc, wire

PAYLOAD = 1200
BUDGET_PPS = 50_000
BUDGET_US = 15.0


@dataclass(frozen=True, kw_only=True)
class Result:
    """One line of the report."""

    name: str
    offered_pps: float | None
    delivered_pps: float
    loss_percent: float
    cpu_us_per_packet: float


def udp_port(engine: Engine, component_id: str) -> int:
    """The port a UDP component of a started engine is bound to."""
    component = engine.component(component_id)
    assert isinstance(component, UdpSocket)
    assert component.local_address is not None
    return component.local_address[1]


async def in_engine(total: int) -> Result:
    """Source → sink in one engine, as fast as the engine moves packets."""
    link = wire("sink", 0, "src", 0)
    doc = config_doc(
        {
            "src": {
                "uniform_traffic_source": {
                    "output": link,
                    "total_packets": total,
                    "interval": 0,
                    "packet_size": PAYLOAD,
                }
            },
            "sink": {"traffic_sink": {"input": link}},
        }
    )
    wall, cpu = time.perf_counter(), time.process_time()
    async with Engine(validate_config(doc)) as engine:
        await engine.wait()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return Result(
        name="source→sink, one engine",
        offered_pps=None,
        delivered_pps=total / wall,
        loss_percent=0.0,
        cpu_us_per_packet=cpu / total * 1e6,
    )


def forwarder_process(conn: Connection, sink_port: int) -> None:
    """Child process: forward datagrams from a bound port to the sink; report CPU per packet."""
    uvloop.run(_forward(conn, sink_port))


async def _forward(conn: Connection, sink_port: int) -> None:
    link = wire("out", 0, "in", 0)
    doc = config_doc(
        {
            "in": {"udp_socket": {"output": link, "bind_address": "127.0.0.1:0"}},
            "out": {"udp_socket": {"input": link, "remote_address": f"127.0.0.1:{sink_port}"}},
        }
    )
    loop = asyncio.get_running_loop()
    request = asyncio.Event()
    loop.add_reader(conn.fileno(), request.set)
    async with Engine(validate_config(doc)) as engine:
        conn.send(udp_port(engine, "in"))
        while True:
            request.clear()
            if not conn.poll():
                await request.wait()
            if conn.recv() == "stop":
                break
            conn.send((time.process_time(), engine.component("out").packets_consumed))
    loop.remove_reader(conn.fileno())
    conn.send((time.process_time(), engine.component("out").packets_consumed))


async def through_forwarder(
    conn: Connection, sink_port_holder: Engine, fw_port: int, rate: float | None, seconds: float
) -> Result:
    """Offer ``rate`` packets/s (None = as fast as possible) for ``seconds`` through the forwarder."""
    total = int((rate or 150_000) * seconds)
    link = wire("udp", 0, "src", 0)
    interval = 1000.0 / rate if rate else 0
    doc = config_doc(
        {
            "src": {
                "uniform_traffic_source": {
                    "output": link,
                    "total_packets": total,
                    "interval": interval,
                    "packet_size": PAYLOAD,
                }
            },
            "udp": {"udp_socket": {"input": link, "remote_address": f"127.0.0.1:{fw_port}"}},
        }
    )
    sink = sink_port_holder.component("sink")
    before_rx = sink.packets_in
    conn.send("report")
    cpu0, fwd0 = conn.recv()
    start = time.perf_counter()
    async with Engine(validate_config(doc)) as sender:
        await sender.wait()
    sent_for = time.perf_counter() - start
    await _settle(lambda: sink.packets_in)
    conn.send("report")
    cpu1, fwd1 = conn.recv()
    received = sink.packets_in - before_rx
    forwarded = max(1, fwd1 - fwd0)
    name = f"UDP forwarder, offered {rate / 1000:.0f} kpps" if rate else "UDP forwarder, unpaced"
    return Result(
        name=name,
        offered_pps=total / sent_for,
        delivered_pps=received / sent_for,
        loss_percent=100 * (1 - received / total),
        cpu_us_per_packet=(cpu1 - cpu0) / forwarded * 1e6,
    )


async def _settle(count: Callable[[], int]) -> None:
    """Let packets still in flight arrive: wait until the count stops moving (bounded)."""
    last = -1
    for _ in range(50):
        await asyncio.sleep(0.02)  # benchmark pacing, not a test: there is no event to wait on
        if count() == last:
            return
        last = count()


async def udp_benchmarks(rates: list[float | None], seconds: float) -> list[Result]:
    """Start sink and forwarder, then run each offered rate in turn."""
    link = wire("sink", 0, "udp", 0)
    sink_doc = config_doc(
        {
            "udp": {"udp_socket": {"output": link, "bind_address": "127.0.0.1:0"}},
            "sink": {"traffic_sink": {"input": link, "timeout_ms": 3_600_000}},
        }
    )
    results = []
    async with Engine(validate_config(sink_doc)) as sink_engine:
        parent, child = multiprocessing.Pipe()
        process = multiprocessing.get_context("spawn").Process(
            target=forwarder_process, args=(child, udp_port(sink_engine, "udp"))
        )
        process.start()
        fw_port = await asyncio.to_thread(parent.recv)
        for rate in rates:
            results.append(await through_forwarder(parent, sink_engine, fw_port, rate, seconds))
        parent.send("stop")
        parent.recv()
        process.join(10)
    return results


def report(results: list[Result]) -> str:
    """The results as a small text table with the budget verdict."""
    lines = [
        f"{'measurement':<34} {'offered pps':>12} {'delivered pps':>14} {'loss %':>7} {'CPU µs/pkt':>11}",
        "-" * 82,
    ]
    for r in results:
        offered = f"{r.offered_pps:,.0f}" if r.offered_pps else "-"
        lines.append(
            f"{r.name:<34} {offered:>12} {r.delivered_pps:>14,.0f} {r.loss_percent:>7.2f} {r.cpu_us_per_packet:>11.2f}"
        )
    lines.append(
        f"budget: >= {BUDGET_PPS:,} pps through one UDP hop on one core, <= {BUDGET_US:.0f} µs/packet/hop"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="short runs (smoke test)")
    args = parser.parse_args()
    seconds = 0.5 if args.quick else 2.0
    results = [uvloop.run(in_engine(50_000 if args.quick else 300_000))]
    results += uvloop.run(udp_benchmarks([20_000, 50_000, 80_000, 100_000], seconds))
    print(report(results))


if __name__ == "__main__":
    main()
