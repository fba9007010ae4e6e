"""SRT (``srt-live-transmit`` from Debian's srt-tools) on the single-path scenarios S1-S3.

The same impairment as the simulated scenarios, in real time on 127.0.0.1: a seeded relay in
this process delays every datagram by the one-way delay and drops it with the scenario's iid
loss, both directions. SRT runs with ``latency`` = budget - one-way delay - 20 ms, so its
play-out time (send + one-way delay + latency) meets the same budget; its too-late drop plays
the role of the deadline. An application sender paces numbered, time-stamped 1,200-byte packets
into the SRT sender's UDP input; the receiver's UDP output is read back here.

Reported: residual loss at the budget, overhead (relay bytes forward over the payload bytes
plus UDP/IP headers, minus one), delivery latency p50/p99. Compare with the raft rows of
``benchmarks/raft_scenarios.py``.

Run: ``python benchmarks/raft_srt.py [--packets N] [--only S1]`` (real time: N/1000 s per
scenario; external ports are picked free by binding port 0 first).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import struct
import time
from dataclasses import dataclass, field
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


async def run(name: str, packets: int, seed: int) -> str:
    delay, loss, budget = SCENARIOS[name]
    loop = asyncio.get_running_loop()
    srt_in, srt_listen, app_out = free_port(), free_port(), free_port()
    sink = Sink()
    sink_transport, _ = await loop.create_datagram_endpoint(
        lambda: sink, local_addr=("127.0.0.1", app_out)
    )
    relay = Relay(delay=delay, loss=loss, seed=seed, listener=("127.0.0.1", srt_listen))
    relay_transport, _ = await loop.create_datagram_endpoint(
        lambda: relay, local_addr=("127.0.0.1", 0)
    )
    relay_port = relay_transport.get_extra_info("sockname")[1]
    # SRT plays out at (first arrival base) + latency, i.e. send + one-way delay + latency:
    # the same budget from send time means latency = budget - one-way delay (- 20 ms margin
    # for the scheduling noise of this relay on a busy machine).
    latency = int((budget - delay) * 1000) - 20
    receiver = await asyncio.create_subprocess_exec(
        *[
            "srt-live-transmit",
            "-q",
            f"srt://127.0.0.1:{srt_listen}?mode=listener&latency={latency}",
            f"udp://127.0.0.1:{app_out}",
        ],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    sender = await asyncio.create_subprocess_exec(
        *[
            "srt-live-transmit",
            "-q",
            f"udp://127.0.0.1:{srt_in}",
            f"srt://127.0.0.1:{relay_port}?mode=caller&latency={latency}",
        ],
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    app = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        await asyncio.sleep(1.5)  # SRT handshake
        start = time.monotonic()
        for i in range(packets):
            due = start + i / 1000
            if (wait := due - time.monotonic()) > 0:
                await asyncio.sleep(wait)
            app.sendto(TAG.pack(i, time.time()) + bytes(SIZE - TAG.size), ("127.0.0.1", srt_in))
        await asyncio.sleep(budget + 1.0)
    finally:
        app.close()
        for process in (sender, receiver):
            process.terminate()
            async with asyncio.timeout(10):
                await process.wait()
        sink_transport.close()
        relay_transport.close()
    on_time = sorted(v for v in sink.latencies.values() if v <= budget)
    residual = 1 - len(on_time) / packets
    overhead = relay.forward_bytes / (packets * (SIZE + UDP_IP)) - 1
    p50 = on_time[len(on_time) // 2] if on_time else 0.0
    p99 = on_time[int(0.99 * len(on_time))] if on_time else 0.0
    return (
        f"| {name} | srt (latency {latency} ms) | {residual:.2e} | {100 * overhead:6.1f} % "
        f"| {1e3 * p50:6.1f} | {1e3 * p99:6.1f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--packets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    print(f"{args.packets} packets per scenario at 1000 pkt/s, seed {args.seed}\n")
    print("| scenario | contender | residual | overhead | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|---:|")
    for name in SCENARIOS:
        if not args.only or name in args.only.split(","):
            print(asyncio.run(run(name, args.packets, args.seed)), flush=True)


if __name__ == "__main__":
    main()
