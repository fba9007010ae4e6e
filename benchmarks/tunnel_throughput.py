"""TCP throughput and added ping RTT of a ``tun ⇄ udp_socket`` tunnel between two namespaces.

Two network namespaces joined by a veth pair; in each, a pipeline ``tun ⇄ udp_socket`` (its
own process) carries the TUN interface's IP packets as UDP datagrams over the veth. Measured:

- iperf3 TCP throughput between the TUN addresses (through both pipelines), and between the
  veth addresses (the kernel alone) for reference;
- ping round-trip time between the TUN addresses minus that between the veth addresses:
  the latency our two pipelines add (each packet crosses both, twice per round trip).

Needs root, iproute2, iperf3 and ping. Run: ``python benchmarks/tunnel_throughput.py
[--seconds 5] [--mtu 1400] [--generic-offload]``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics

from nanoping.dataplane.fakes import config_doc, wire
from nanoping.testing.netns import Namespace, PipelineProcess, namespaces, veth

PORT = 4000


def tunnel_doc(
    *, inner: str, bind: str, remote: str, mtu: int, offload: bool = False
) -> dict[str, object]:
    """``tun ⇄ udp_socket``."""
    to_udp, to_tun = wire("udp", 0, "tun", 0), wire("tun", 0, "udp", 0)
    return config_doc(
        {
            "tun": {"tun": {"interface_name": "npbench", "ip": inner, "mtu": mtu,
                            "generic_offload": offload, "output": to_udp, "input": to_tun}},
            "udp": {"udp_socket": {"bind_address": bind, "remote_address": remote,
                                   "input": to_udp, "output": to_tun}},
        }
    )  # fmt: skip


def iperf(client: Namespace, server: Namespace, address: str, seconds: float) -> float:
    """TCP goodput in Gbit/s from ``client`` to ``address`` in ``server``."""
    process = server.popen("iperf3", "-s", "-1", "-B", address, "--logfile", "/dev/null")
    server.wait_listening(5201)
    out = client.run("iperf3", "-c", address, "-t", str(seconds), "-J", timeout=seconds + 30)
    process.wait(timeout=10)
    report = json.loads(out)
    return float(report["end"]["sum_received"]["bits_per_second"]) / 1e9


def rtts(namespace: Namespace, address: str, count: int) -> list[float]:
    """Ping RTTs in ms (20 ms apart)."""
    out = namespace.run("ping", "-c", str(count), "-i", "0.02", "-W", "2", address)
    return [float(x) for x in re.findall(r"time=([0-9.]+) ms", out)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each iperf3 run")
    parser.add_argument("--mtu", type=int, default=1400, help="MTU of the TUN interfaces")
    parser.add_argument("--pings", type=int, default=200, help="pings per RTT measurement")
    parser.add_argument(
        "--generic-offload", action="store_true", help="TUN super-packets (generic_offload)"
    )
    args = parser.parse_args()
    with namespaces(2, "npbench") as (a, b):
        veth(a, b, "10.140.0.1/24", "10.140.0.2/24")
        one = PipelineProcess(a, tunnel_doc(inner="192.168.140.1", bind=f"10.140.0.1:{PORT}",
                                            remote=f"10.140.0.2:{PORT}", mtu=args.mtu,
                                            offload=args.generic_offload))  # fmt: skip
        with one, PipelineProcess(b, tunnel_doc(inner="192.168.140.2", bind=f"10.140.0.2:{PORT}",
                                                remote=f"10.140.0.1:{PORT}", mtu=args.mtu,
                                                offload=args.generic_offload)):  # fmt: skip
            rtts(a, "192.168.140.2", 5)  # warm up: ARP on the veth, caches
            veth_rtt = rtts(a, "10.140.0.2", args.pings)
            tunnel_rtt = rtts(a, "192.168.140.2", args.pings)
            veth_gbit = iperf(a, b, "10.140.0.2", args.seconds)
            tunnel_gbit = iperf(a, b, "192.168.140.2", args.seconds)
    print(f"TCP over veth (kernel only):       {veth_gbit:6.2f} Gbit/s")
    mode = "generic_offload" if args.generic_offload else "no offload"
    print(f"TCP through tun⇄udp⇄udp⇄tun:       {tunnel_gbit:6.2f} Gbit/s (MTU {args.mtu}, {mode})")
    print(f"ping RTT over veth, median:        {statistics.median(veth_rtt):6.3f} ms")
    print(f"ping RTT through tunnel, median:   {statistics.median(tunnel_rtt):6.3f} ms")
    added = statistics.median(tunnel_rtt) - statistics.median(veth_rtt)
    print(f"RTT added by the two pipelines:    {added:6.3f} ms (median)")


if __name__ == "__main__":
    main()
