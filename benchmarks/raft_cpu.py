"""S10 end to end: one raft stream over two UDP carriers on loopback, 10 % FEC + AES-GCM.

Two real pipeline processes in a private network namespace (so fixed loopback ports cannot
clash): ``uniform_traffic_source -> raft => (udp, udp) => raft -> traffic_sink``. The stream
is protected by a repair rate pinned at 10 % (the benchmark's processes replace the adaptive
controller, which would sit near 1 % on a loss-free loopback) and sealed with AES-128-GCM,
either by raft's built-in AEAD (``--crypto aead``, the default) or by
``boringssl_encrypt``/``boringssl_decrypt`` between raft and each socket (``--crypto
components``), or not at all (``--crypto none``).

For each offered rate: packets the source generated, the sink received and lost, drops on the
sending side (raft's local drops and expired queue entries), and the CPU time each process
spent from the moment both were ready until the stream ended, per packet generated (so idle
wake-ups are included). A rate counts as sustained when the source kept its schedule and
nothing was lost or dropped.

Run as root: ``python benchmarks/raft_cpu.py [--rates 5,10,20,30] [--seconds 4]
[--crypto aead|components|none] [--no-offload] [--verbose]``; ``--in-process`` instead runs
two raft components back to back in this process (no sockets, no event loop) and reports the
CPU per packet of each side by input batch size and random loss: the component's own cost.
Setting RAFT_CPU_PROFILE=PREFIX writes a cProfile file per pipeline process. Every row ends
with the machine's 1-minute load average: on a shared machine the processes compete for the
cores, and the same code sustains less when the load is high.

Both modes pin the repair rate at 10 % and start every carrier's capacity estimate at
1 Gbit/s (``initial_rate_kbps``) instead of 10 Mbit/s: from 10 Mbit/s the estimate grows 2 %
per report only while the carrier is nearly full, so a 30 kpps stream would first spend seconds dropping packets that
cannot leave in time. How the estimate follows real capacity is the bonding scenarios' business
(S7, S9 in ``benchmarks/raft_scenarios.py``); this script measures the per-packet cost.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import random
import selectors
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import psutil

from nanoping.dataplane.fakes import config_doc, wire
from nanoping.testing.netns import READY_LINE, Namespace, namespaces

KEY = "000102030405060708090a0b0c0d0e0f"
SIZE = 1200
BASE_PORT = 6000
CARRIERS = 2
PROFILE_ENV = "RAFT_CPU_PROFILE"
SERVE = [sys.executable, __file__, "--serve"]


def raft_params(side: str, crypto: str) -> dict[str, Any]:
    """The raft component of one side (``tx`` sends the stream, ``rx`` delivers it)."""
    stream: dict[str, Any] = {
        "stream_handle": 1,
        "realtime": {"timeout": 200, "delivery_policy": "on_ordered"},
    }
    if side == "tx":
        stream["input"] = wire("raft", 0, "source", 0)
    else:
        stream["output"] = wire("sink", 0, "raft", 0)
    carriers = []
    for i in range(CARRIERS):
        near = f"enc{i}" if crypto == "components" else f"udp{i}"
        far = f"dec{i}" if crypto == "components" else f"udp{i}"
        carriers.append(
            {
                "input": wire("raft", 1 + i, far, 0),
                "output": wire(near, 0, "raft", 1 + i),
                "carrier_handle": 100 + i,
                "initial_rate_kbps": 1_000_000,  # see the module docstring
            }
        )
    params: dict[str, Any] = {"streams": [stream], "carriers": carriers}
    if crypto == "aead":
        params["aead"] = {"cipher_suite": "aes_128_gcm", "key": KEY}
    return params


def carrier_components(
    side: str, crypto: str, offload: bool
) -> dict[str, dict[str, dict[str, object]]]:
    """Each carrier's socket, and its cipher components when the crypto is done outside raft."""
    out: dict[str, dict[str, dict[str, object]]] = {}
    for i in range(CARRIERS):
        own, peer = (BASE_PORT + i, BASE_PORT + 100 + i)
        if side == "rx":
            own, peer = peer, own
        if crypto == "components":
            into, out_of = wire(f"udp{i}", 0, f"enc{i}", 0), wire(f"dec{i}", 0, f"udp{i}", 0)
            cipher = {"cipher_suite": "aes_128_gcm", "key": KEY}
            out[f"enc{i}"] = {
                "boringssl_encrypt": {
                    "input": wire(f"enc{i}", 0, "raft", 1 + i),
                    "output": into,
                    **cipher,
                }
            }
            out[f"dec{i}"] = {
                "boringssl_decrypt": {
                    "input": out_of,
                    "output": wire("raft", 1 + i, f"dec{i}", 0),
                    **cipher,
                }
            }
        else:
            into, out_of = wire(f"udp{i}", 0, "raft", 1 + i), wire("raft", 1 + i, f"udp{i}", 0)
        out[f"udp{i}"] = {
            "udp_socket": {
                "bind_address": f"127.0.0.1:{own}",
                "remote_address": f"127.0.0.1:{peer}",
                "offload": offload,
                "input": into,
                "output": out_of,
            }
        }
    return out


def sender_doc(rate_kpps: float, seconds: float, crypto: str, offload: bool) -> dict[str, object]:
    """Source, raft and sockets of the sending process."""
    source = {
        "output": wire("raft", 0, "source", 0),
        "interval": 1.0 / rate_kpps,
        "total_packets": int(rate_kpps * 1000 * seconds),
        "packet_size": SIZE,
    }
    return config_doc(
        {
            "source": {"uniform_traffic_source": source},
            "raft": {"raft": raft_params("tx", crypto)},
            **carrier_components("tx", crypto, offload),
        }
    )


def receiver_doc(crypto: str, offload: bool) -> dict[str, object]:
    """Sockets, raft and sink of the receiving process."""
    sink = {"input": wire("sink", 0, "raft", 0), "timeout_ms": 600_000}
    return config_doc(
        {
            "raft": {"raft": raft_params("rx", crypto)},
            "sink": {"traffic_sink": sink},
            **carrier_components("rx", crypto, offload),
        }
    )


class Pipeline:
    """One pipeline process (this script with ``--serve``) inside the namespace."""

    def __init__(self, namespace: Namespace, doc: dict[str, object], workdir: Path) -> None:
        config = workdir / f"{id(self)}.json"
        config.write_text(json.dumps(doc))
        self.process = namespace.popen(
            *SERVE, str(config),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._wait_ready(30.0)
        self.cpu = psutil.Process(self.process.pid)

    def _wait_ready(self, timeout: float) -> None:
        stdout = self.process.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(stdout, selectors.EVENT_READ)
            while (left := deadline - time.monotonic()) > 0 and selector.select(left):
                line = stdout.readline()
                if not line:
                    break
                self.lines.append(line)
                if line.strip() == READY_LINE:
                    return
        raise RuntimeError(f"pipeline did not start: {''.join(self.lines)}")

    def cpu_seconds(self) -> float:
        """User + system CPU the process used so far."""
        times = self.cpu.cpu_times()
        return float(times.user + times.system)

    def stop(self) -> dict[str, dict[str, float]]:
        """Stop it and return its final metrics by component."""
        self.process.terminate()
        out, _ = self.process.communicate(timeout=30)
        for line in reversed(out.splitlines()):
            if line.startswith("{") and "/components/" in line:
                metrics: dict[str, dict[str, float]] = json.loads(line)
                return {path.rsplit("/", 1)[1]: values for path, values in metrics.items()}
        raise RuntimeError(f"no telemetry from the pipeline: {out[-2000:]}")


def measure(namespace: Namespace, rate: float, args: argparse.Namespace, workdir: Path) -> str:
    """One offered rate: a table row."""
    seconds, crypto, offload = args.seconds, args.crypto, not args.no_offload
    receiver = Pipeline(namespace, receiver_doc(crypto, offload), workdir)
    sender = Pipeline(namespace, sender_doc(rate, seconds, crypto, offload), workdir)
    start = (sender.cpu_seconds(), receiver.cpu_seconds(), time.monotonic())
    time.sleep(seconds + 0.5)  # the stream's length, plus the budget for the last packets
    spent = (sender.cpu_seconds() - start[0], receiver.cpu_seconds() - start[1])
    wall = time.monotonic() - start[2]
    if args.verbose:
        print(namespace.run("nstat", "-az", "Udp*"))
    tx, rx = sender.stop(), receiver.stop()
    if args.verbose:
        print(json.dumps({"tx": tx, "rx": rx}))
    generated = tx["source"]["packets_sent"]
    expected = int(rate * 1000 * seconds)
    dropped = (
        tx["raft"]["stream_1_dropped_local"] + tx["raft"]["datagrams_refused_expired_in_queue"]
    )
    lost = expected - rx["sink"]["packets_unique"]
    repairs = tx["raft"]["stream_1_repairs_sent"] / max(generated, 1)
    sustained = generated == expected and lost == 0 and dropped == 0
    return (
        f"| {rate:5.1f} | {generated / seconds / 1e3:6.1f} | {rx['sink']['packets_unique']:8.0f} "
        f"| {lost:6.0f} | {dropped:6.0f} | {100 * repairs:5.1f} % "
        f"| {1e6 * spent[0] / max(generated, 1):6.1f} | {1e6 * spent[1] / max(generated, 1):6.1f} "
        f"| {100 * spent[0] / wall:4.0f} % | {100 * spent[1] / wall:4.0f} % | {'yes' if sustained else 'no'} "
        f"| {_load()} |"
    )


def _load() -> str:
    """The machine's 1-minute load average: other work competing for the same cores."""
    return f"{os.getloadavg()[0]:4.2f}"


def pinned_settings() -> None:
    """This process's raft: repair rate pinned at 10 % (the carriers' configuration starts
    their capacity estimates at 1 Gbit/s)."""
    from nanoping.raft import repair

    def pinned(self: repair.RateController, inputs: repair.RepairInputs) -> float:
        self.rate = 0.1
        return 0.1

    repair.RateController.update = pinned  # type: ignore[method-assign]


def in_process(batch: int, loss: float, packets: int, crypto: str) -> str:
    """Two raft components back to back in this process (no sockets, no event loop), batches
    of ``batch`` packets at 30 kpps of simulated time, ``loss`` dropped at random on every
    carrier: thread CPU per packet of each side, a table row."""
    from nanoping.dataplane.component import Component, component_types
    from nanoping.dataplane.packet import Packet
    from nanoping.dataplane.parameter import parse_params

    cls = component_types()["raft"]
    a, b = (
        cls(component_id=side, params=parse_params(cls.params_type, raft_params(side, crypto)))
        for side in ("tx", "rx")
    )
    rng = random.Random(1)
    spent = {"tx": 0.0, "rx": 0.0}
    now = 0.0

    def carry(src: Component[Any], dst: Component[Any], side: str, lossy: bool) -> None:
        for port in range(1, 1 + CARRIERS):
            got = src.outputs[port].take()
            arrived = [Packet(p.payload, now) for p in got if not lossy or rng.random() >= loss]
            if arrived:
                t0 = time.thread_time()
                dst.push(port, arrived, now)
                spent[side] += time.thread_time() - t0

    a.start(now)
    b.start(now)
    for _ in range(50):  # the handshake
        now += 0.01
        a.poll(now)
        b.poll(now)
        carry(a, b, "rx", False)
        carry(b, a, "tx", False)
    spent = {"tx": 0.0, "rx": 0.0}
    payload = bytes(SIZE)
    for _ in range(packets // batch):
        now += batch / 30_000
        t0 = time.thread_time()
        a.push(0, [Packet(payload, now) for _ in range(batch)], now)
        spent["tx"] += time.thread_time() - t0
        carry(a, b, "rx", True)
        t0 = time.thread_time()
        b.poll(now)
        spent["rx"] += time.thread_time() - t0
        b.outputs[0].take()
        carry(b, a, "tx", False)
    for _ in range(100):  # let the last repairs and retransmissions land
        now += 0.005
        a.poll(now)
        b.poll(now)
        carry(a, b, "rx", True)
        carry(b, a, "tx", False)
    got = {m.name: m.value for m in b.metrics(now).metrics}
    sent = packets // batch * batch
    return (
        f"| {batch:5d} | {100 * loss:4.1f} % | {1e6 * spent['tx'] / sent:6.1f} "
        f"| {1e6 * spent['rx'] / sent:6.1f} | {got['stream_1_delivered']:6.0f} / {sent} "
        f"| {got['stream_1_recovered_fec']:5.0f} | {got['stream_1_recovered_arq']:5.0f} "
        f"| {_load()} |"
    )


def serve(config: str) -> int:
    """Child process: one pipeline with :func:`pinned_settings`."""
    from nanoping.testing import pipeline_process

    pinned_settings()
    if PROFILE_ENV in os.environ:  # --profile: where the time goes, one file per process
        profile = cProfile.Profile()
        try:
            return profile.runcall(pipeline_process.main, [config])
        finally:
            profile.dump_stats(f"{os.environ[PROFILE_ENV]}.{os.getpid()}")
    return pipeline_process.main([config])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rates", default="10,20,30,40", help="offered kpps, comma-separated")
    parser.add_argument("--seconds", type=float, default=4.0, help="stream length per rate")
    parser.add_argument("--crypto", choices=("aead", "components", "none"), default="aead")
    parser.add_argument(
        "--in-process", action="store_true", help="only the in-process cost (batch x loss)"
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--verbose", action="store_true", help="print UDP counters, telemetry")
    parser.add_argument("--no-offload", action="store_true", help="sockets without GSO/GRO")
    args = parser.parse_args()
    if args.serve:
        sys.exit(serve(args.serve))
    if args.in_process:
        pinned_settings()
        print(f"S10 in process, {SIZE}-byte packets, FEC 10 %, crypto: {args.crypto}")
        print("| batch | loss | tx µs/pkt | rx µs/pkt | delivered | by FEC | by ARQ | load |")
        print("|---:|---:|---:|---:|---:|---:|---:|---:|")
        for batch, loss in ((1, 0.0), (16, 0.0), (64, 0.0), (16, 0.01), (16, 0.05)):
            print(in_process(batch, loss, 30_000, args.crypto), flush=True)
        return
    print(f"S10 on loopback, {SIZE}-byte packets, FEC 10 %, crypto: {args.crypto}")
    print("| offered kpps | source kpps | delivered | lost | tx drops | repairs "
          "| tx µs/pkt | rx µs/pkt | tx CPU | rx CPU | sustained | load |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    import tempfile

    with namespaces(1, "np14c") as (namespace,), tempfile.TemporaryDirectory() as workdir:
        for rate in (float(r) for r in args.rates.split(",")):
            print(measure(namespace, rate, args, Path(workdir)), flush=True)


if __name__ == "__main__":
    main()
