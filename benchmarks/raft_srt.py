"""SRT (``srt-live-transmit`` from Debian's srt-tools) and raft on the single-path scenarios S1-S3.

The same impairment as the simulated scenarios, in real time on 127.0.0.1: a seeded relay in
this process delays every datagram by the one-way delay and drops it with the scenario's iid
loss, both directions. SRT runs with ``latency`` = budget - one-way delay - 20 ms, so its
play-out time (send + one-way delay + latency) meets the same budget; its too-late drop plays
the role of the deadline. An application sender paces numbered, time-stamped 1,200-byte packets
into the SRT sender's UDP input; the receiver's UDP output is read back here.

Raft runs through the same relay as two real pipeline processes, ``udp_socket -> raft ->
udp_socket`` on each side (one carrier, an ``on_ordered`` realtime stream whose timeout is the
budget minus the same 20 ms margin), fed and read by the same application sender and sink.

Reported: residual loss at the budget, overhead (relay bytes forward over the payload bytes
plus UDP/IP headers, minus one), delivery latency p50/p99. The virtual-time rows of
``benchmarks/raft_scenarios.py`` are the same scenarios without a real clock.

Run: ``python benchmarks/raft_srt.py [--packets N] [--only S1] [--contenders srt,raft]`` (real
time: N/1000 s per scenario and contender; external ports are picked free by binding port 0
first). RAFT_SRT_VERBOSE=1 also prints each raft pipeline's final telemetry and how many
packets never arrived or arrived late; RAFT_SRT_RATE_KBPS=N gives raft's carrier a known rate.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import socket
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

SCENARIOS = {
    "S1": (0.050, 0.05, 0.300),
    "S2": (0.050, 0.10, 0.300),
    "S3": (0.050, 0.10, 0.150),
}
"""name: (one-way delay s, iid loss, budget s)."""
TAG = struct.Struct(">Qd")
SIZE = 1200
UDP_IP = 28
VERBOSE = "RAFT_SRT_VERBOSE" in os.environ
KNOWN_RATE = (
    {"initial_rate_kbps": int(os.environ["RAFT_SRT_RATE_KBPS"])}
    if "RAFT_SRT_RATE_KBPS" in os.environ
    else {}
)
"""The carrier's known rate for raft's first estimate, if given (else raft's 10 Mbit/s)."""
SINK_BUFFER = 4 << 20
"""Receive buffer of the sink and the relay (bytes; capped at net.core.rmem_max)."""


def free_port() -> int:
    """A port nobody listens on right now (for the external tool, which needs a number)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Relay(asyncio.DatagramProtocol):
    """Delays and drops datagrams between the SRT caller and the SRT listener."""

    def __init__(self, *, delay: float, loss: float, seed: int, listener: tuple[str, int]) -> None:
        self.delay, self.loss = delay, loss
        self.rng = random.Random(seed)
        self.listener = listener
        self.caller: tuple[str, int] | None = None
        self.transport: asyncio.DatagramTransport | None = None
        self.forward_bytes = 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if addr == self.listener:
            target = self.caller
        else:
            self.caller = addr
            target = self.listener
            self.forward_bytes += len(data) + UDP_IP
        if target is None or self.rng.random() < self.loss:
            return
        loop = asyncio.get_running_loop()
        loop.call_later(self.delay, self._send, data, target)

    def _send(self, data: bytes, target: tuple[str, int]) -> None:
        if self.transport is not None:
            self.transport.sendto(data, target)


@dataclass
class Sink(asyncio.DatagramProtocol):
    """Collects what the SRT receiver hands back."""

    latencies: dict[int, float] = field(default_factory=dict)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) >= TAG.size:
            ident, sent = TAG.unpack_from(data)
            self.latencies.setdefault(ident, time.time() - sent)


async def start_srt(
    *, srt_in: int, relay_port: int, listener: int, app_out: int, latency: int
) -> list[asyncio.subprocess.Process]:
    """The SRT receiver (listener) and sender (caller, through the relay)."""
    quiet = asyncio.subprocess.DEVNULL
    receiver = await asyncio.create_subprocess_exec(
        "srt-live-transmit", "-q", f"srt://127.0.0.1:{listener}?mode=listener&latency={latency}",
        f"udp://127.0.0.1:{app_out}", stdout=quiet, stderr=quiet,
    )  # fmt: skip
    sender = await asyncio.create_subprocess_exec(
        "srt-live-transmit", "-q", f"udp://127.0.0.1:{srt_in}",
        f"srt://127.0.0.1:{relay_port}?mode=caller&latency={latency}", stdout=quiet, stderr=quiet,
    )  # fmt: skip
    await asyncio.sleep(1.5)  # SRT handshake
    return [sender, receiver]


def raft_doc(*, app: dict[str, str], carrier: dict[str, str], timeout_ms: int, sends: bool) -> str:
    """One side's pipeline: application socket, raft, carrier socket."""
    from nanoping.dataplane.fakes import config_doc, wire

    app_link = wire("raft", 0, "app", 0) if sends else wire("app", 0, "raft", 0)
    stream: dict[str, object] = {
        "stream_handle": 1,
        "realtime": {"timeout": timeout_ms, "delivery_policy": "on_ordered"},
        ("input" if sends else "output"): app_link,
    }
    into, out_of = wire("net", 0, "raft", 1), wire("raft", 1, "net", 0)
    raft: dict[str, object] = {
        "streams": [stream],
        "carriers": [{"input": out_of, "output": into, "carrier_handle": 1, **KNOWN_RATE}],
    }
    doc = config_doc(
        {
            "app": {"udp_socket": {**app, ("output" if sends else "input"): app_link}},
            "raft": {"raft": raft},
            "net": {"udp_socket": {**carrier, "input": into, "output": out_of}},
        }
    )
    return json.dumps(doc)


def config_file(config: str, workdir: str) -> str:
    """Write a pipeline config into ``workdir``; its path."""
    path = Path(workdir) / f"{secrets.token_hex(4)}.json"
    path.write_text(config)
    return str(path)


async def start_pipeline(path: str) -> asyncio.subprocess.Process:
    """A pipeline process; returns once it printed that its sockets are open."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "nanoping.testing.pipeline_process", path,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    assert process.stdout is not None
    async with asyncio.timeout(30):
        while (line := await process.stdout.readline()) and line.strip() != b"pipeline ready":
            pass
    return process


async def start_raft(
    *, app_in: int, relay_port: int, listener: int, app_out: int, timeout_ms: int, workdir: str
) -> list[asyncio.subprocess.Process]:
    """The receiving raft pipeline (carrier on ``listener``), then the sending one."""
    receiving = raft_doc(
        app={"remote_address": f"127.0.0.1:{app_out}"},
        carrier={"bind_address": f"127.0.0.1:{listener}"},
        timeout_ms=timeout_ms,
        sends=False,
    )
    sending = raft_doc(
        app={"bind_address": f"127.0.0.1:{app_in}"},
        carrier={"remote_address": f"127.0.0.1:{relay_port}"},
        timeout_ms=timeout_ms,
        sends=True,
    )
    receiver = await start_pipeline(config_file(receiving, workdir))
    sender = await start_pipeline(config_file(sending, workdir))
    await asyncio.sleep(0.5)  # handshake and first RTT samples
    return [sender, receiver]


async def run(name: str, contender: str, packets: int, seed: int) -> str:
    delay, loss, budget = SCENARIOS[name]
    loop = asyncio.get_running_loop()
    app_in, listener, app_out = free_port(), free_port(), free_port()
    sink = Sink()
    sink_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    # An on_ordered stream releases everything a late hole held back at once (a hundred
    # packets and more): the default buffer loses part of that burst while this busy loop
    # relays, and that loss would be counted against the contender.
    sink_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SINK_BUFFER)
    sink_socket.bind(("127.0.0.1", app_out))
    sink_transport, _ = await loop.create_datagram_endpoint(lambda: sink, sock=sink_socket)
    relay = Relay(delay=delay, loss=loss, seed=seed, listener=("127.0.0.1", listener))
    relay_socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    relay_socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SINK_BUFFER)  # only the
    relay_socket.bind(("127.0.0.1", 0))  # scenario's loss, not this loop's stalls
    relay_transport, _ = await loop.create_datagram_endpoint(lambda: relay, sock=relay_socket)
    relay_port = relay_transport.get_extra_info("sockname")[1]
    # SRT plays out at (first arrival base) + latency, i.e. send + one-way delay + latency:
    # the same budget from send time means latency = budget - one-way delay (- 20 ms margin
    # for the scheduling noise of this relay on a busy machine). Raft's timeout counts from
    # send time already: budget - the same margin.
    latency = int((budget - delay) * 1000) - 20
    timeout_ms = int(budget * 1000) - 20
    app = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    processes: list[asyncio.subprocess.Process] = []
    with tempfile.TemporaryDirectory() as workdir:
        try:
            if contender == "srt":
                label = f"srt (latency {latency} ms)"
                processes = await start_srt(
                    srt_in=app_in, relay_port=relay_port, listener=listener, app_out=app_out,
                    latency=latency,
                )  # fmt: skip
            else:
                label = f"raft (timeout {timeout_ms} ms)"
                processes = await start_raft(
                    app_in=app_in, relay_port=relay_port, listener=listener, app_out=app_out,
                    timeout_ms=timeout_ms, workdir=workdir,
                )  # fmt: skip
            relay.forward_bytes = 0  # count the stream, not the handshake
            start = time.monotonic()
            for i in range(packets):
                due = start + i / 1000
                if (wait := due - time.monotonic()) > 0:
                    await asyncio.sleep(wait)
                payload = TAG.pack(i, time.time()) + bytes(SIZE - TAG.size)
                app.sendto(payload, ("127.0.0.1", app_in))
            await asyncio.sleep(budget + 1.0)
        finally:
            app.close()
            for process in processes:
                if process.returncode is None:
                    process.terminate()
                async with asyncio.timeout(10):
                    out, _ = await process.communicate()
                if VERBOSE and out:  # a pipeline's final telemetry, for a closer look
                    print(out.decode().splitlines()[-1])
            sink_transport.close()
            relay_transport.close()
    if VERBOSE:  # where the residual comes from: never arrived, or arrived too late
        late = sum(1 for v in sink.latencies.values() if v > budget)
        print(f"{name} {contender}: {packets - len(sink.latencies)} missing, {late} late")
    on_time = sorted(v for v in sink.latencies.values() if v <= budget)
    residual = 1 - len(on_time) / packets
    overhead = relay.forward_bytes / (packets * (SIZE + UDP_IP)) - 1
    p50 = on_time[len(on_time) // 2] if on_time else 0.0
    p99 = on_time[int(0.99 * len(on_time))] if on_time else 0.0
    return (
        f"| {name} | {label} | {residual:.2e} | {100 * overhead:6.1f} % "
        f"| {1e3 * p50:6.1f} | {1e3 * p99:6.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--packets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="")
    parser.add_argument("--contenders", default="srt,raft")
    args = parser.parse_args()
    print(f"{args.packets} packets per scenario at 1000 pkt/s, seed {args.seed}\n")
    print("| scenario | contender | residual | overhead | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|---:|")
    for name in SCENARIOS:
        if not args.only or name in args.only.split(","):
            for contender in args.contenders.split(","):
                print(asyncio.run(run(name, contender, args.packets, args.seed)), flush=True)


if __name__ == "__main__":
    main()
