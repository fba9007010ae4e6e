"""CPU per packet and loss-free rate of a ``udp_socket → udp_socket`` forwarder on loopback.

Three processes, so that the forwarder has a core to itself as far as the machine allows:

- this process offers 1,200-byte datagrams at a fixed rate from a batched sender (GSO sends
  of 16 datagrams, paced every millisecond);
- a forwarder process runs the pipeline ``udp_socket → udp_socket`` on uvloop and reports
  its CPU time;
- a sink process counts what arrives (GRO reads).

Each forwarder variant is measured at each offered rate: the CPU microseconds the forwarder
spent per packet it forwarded, the rate delivered to the sink and the loss. Variants:
``offload`` (this tree, GSO/GRO on), ``no-offload`` (this tree, ``offload: false``: batched
reads and writes without kernel offloads) and, with ``--baseline SRC``, the forwarder of
another source tree (e.g. the code before batching, exported with ``git archive``).

Run: ``python benchmarks/batched_udp.py [--seconds 2] [--rates 50000,100000,200000]
[--baseline /path/to/old/src]``.
"""

from __future__ import annotations

import argparse
import json
import os
import selectors
import socket
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

PAYLOAD = 1200
SEGMENTS = 16
SOL_UDP, UDP_SEGMENT, UDP_GRO = 17, 103, 104
HERE = Path(__file__).resolve()
SRC = HERE.parent.parent / "src"


@dataclass(frozen=True, kw_only=True)
class Result:
    """One line of the report."""

    variant: str
    offered_pps: float
    delivered_pps: float
    loss_percent: float
    cpu_us_per_packet: float


# ---- child roles ----------------------------------------------------------------------------


def run_sink() -> None:
    """Count datagrams on a GRO socket; answer ``count`` lines on stdin with the total."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024 * 1024)
    sock.setsockopt(SOL_UDP, UDP_GRO, 1)
    sock.bind(("127.0.0.1", 0))
    sock.setblocking(False)
    print(sock.getsockname()[1], flush=True)
    buffer = bytearray(65536)
    space = socket.CMSG_SPACE(4)
    count = 0
    selector = selectors.DefaultSelector()
    selector.register(sock, selectors.EVENT_READ, "socket")
    selector.register(sys.stdin, selectors.EVENT_READ, "stdin")
    while True:
        for key, _ in selector.select():
            if key.data == "stdin":
                line = sys.stdin.readline()
                if not line or line.strip() == "stop":
                    return
                print(count, flush=True)
                continue
            while True:
                try:
                    size, ancillary, _, _ = sock.recvmsg_into([buffer], space)
                except BlockingIOError:
                    break
                segment = next((struct.unpack("=i", d[:4])[0] for _, _, d in ancillary), size)
                count += -(-size // segment)


def run_forwarder(sink_port: int, offload: bool) -> None:
    """The pipeline ``udp_socket → udp_socket``; answers ``report`` with CPU time and count."""
    import asyncio

    import uvloop

    from nanoping.dataplane import Engine, validate_config
    from nanoping.dataplane.fakes import config_doc, wire

    async def serve() -> None:
        link = wire("out", 0, "in", 0)
        extra = {} if offload else {"offload": False}
        doc = config_doc(
            {
                "in": {"udp_socket": {"output": link, "bind_address": "127.0.0.1:0",
                                      "socket_buffer": 32 * 1024 * 1024, **extra}},
                "out": {"udp_socket": {"input": link, "socket_buffer": 32 * 1024 * 1024,
                                       "remote_address": f"127.0.0.1:{sink_port}", **extra}},
            }
        )  # fmt: skip
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        async with Engine(validate_config(doc)) as engine:
            port = engine.component("in").local_address[1]  # type: ignore[attr-defined]
            print(port, flush=True)
            while (await reader.readline()).decode().strip() not in ("", "stop"):
                forwarded = engine.component("out").packets_consumed
                print(json.dumps([time.process_time(), forwarded]), flush=True)

    uvloop.run(serve())


# ---- the measuring side ---------------------------------------------------------------------


class Child:
    """A role of this script in a child process, talked to line by line."""

    def __init__(self, args: list[str], pythonpath: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(pythonpath)}
        self.process = subprocess.Popen(
            [sys.executable, str(HERE), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.first = self.read()

    def read(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def ask(self, line: str) -> str:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write("stop\n")
        self.process.stdin.close()
        self.process.wait(10)


def offer(port: int, rate: float, seconds: float) -> float:
    """Send ``rate`` datagrams/s for ``seconds`` in GSO batches; return the achieved rate."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8 * 1024 * 1024)
    option = [(SOL_UDP, UDP_SEGMENT, struct.pack("=H", PAYLOAD))]
    data = bytes(PAYLOAD * SEGMENTS)
    address = ("127.0.0.1", port)
    sent, start = 0, time.perf_counter()
    end = start + seconds
    while (now := time.perf_counter()) < end:
        due = int((now - start) * rate)
        while sent + SEGMENTS <= due:
            try:
                sock.sendmsg([data], option, 0, address)
            except BlockingIOError:
                break
            sent += SEGMENTS
        time.sleep(0.001)
    elapsed = time.perf_counter() - start
    sock.close()
    return sent / elapsed


def measure(
    variant: str, pythonpath: Path, offload: bool, rates: list[float], seconds: float
) -> list[Result]:
    """One forwarder variant at each offered rate."""
    sink = Child(["--role", "sink"], SRC)
    args = ["--role", "forwarder", "--sink-port", sink.first] + (
        [] if offload else ["--no-offload"]
    )
    forwarder = Child(args, pythonpath)
    results = []
    try:
        for rate in rates:
            received0 = int(sink.ask("count"))
            cpu0, fwd0 = json.loads(forwarder.ask("report"))
            offered = offer(int(forwarder.first), rate, seconds)
            time.sleep(0.3)  # let the last datagrams through before counting
            cpu1, fwd1 = json.loads(forwarder.ask("report"))
            received = int(sink.ask("count")) - received0
            total = offered * seconds
            results.append(
                Result(
                    variant=variant,
                    offered_pps=offered,
                    delivered_pps=received / seconds,
                    loss_percent=max(0.0, 100 * (1 - received / total)),
                    cpu_us_per_packet=(cpu1 - cpu0) / max(1, fwd1 - fwd0) * 1e6,
                )
            )
    finally:
        forwarder.close()
        sink.close()
    return results


def report(results: list[Result]) -> str:
    """The results as a text table."""
    lines = [
        f"{'variant':<12} {'offered pps':>12} {'delivered pps':>14} {'loss %':>7} {'CPU µs/pkt':>11}",
        "-" * 60,
    ]
    for r in results:
        lines.append(
            f"{r.variant:<12} {r.offered_pps:>12,.0f} {r.delivered_pps:>14,.0f} "
            f"{r.loss_percent:>7.2f} {r.cpu_us_per_packet:>11.2f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--role", choices=["sink", "forwarder"], help=argparse.SUPPRESS)
    parser.add_argument("--sink-port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--no-offload", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=2.0, help="length of each measurement")
    parser.add_argument("--rates", default="50000,100000,200000,300000", help="offered pps list")
    parser.add_argument("--baseline", type=Path, help="another source tree's src directory")
    args = parser.parse_args()
    if args.role == "sink":
        run_sink()
        return
    if args.role == "forwarder":
        run_forwarder(args.sink_port, not args.no_offload)
        return
    rates = [float(x) for x in args.rates.split(",")]
    results = []
    if args.baseline is not None:
        results += measure("baseline", args.baseline, True, rates, args.seconds)
    results += measure("no-offload", SRC, False, rates, args.seconds)
    results += measure("offload", SRC, True, rates, args.seconds)
    print(report(results))


if __name__ == "__main__":
    main()
