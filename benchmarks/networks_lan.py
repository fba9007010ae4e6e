"""A virtual LAN through the relay, next to a single ``tun ⇄ udp`` pair.

Measured on the LAN (three nodes in three namespaces, the default blueprints): the time from
the createNetwork call to the first ping answered between the two clients (it includes about
half a second of starting the helper process that makes the call), then ping RTT and TCP
throughput from client a to client b through the relay. Measured on the pair (two namespaces,
one pipeline each: ``tun`` wired to ``udp_socket``, sending straight to the other): RTT and TCP
throughput. Needs root, iproute2, ping and iperf3.

Run: ``python benchmarks/networks_lan.py [--seconds 5]``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from nanoping.testing.netns import Namespace, PipelineProcess, namespaces, veth
from nanoping.testing.virtual_lan import prepare_carriers, virtual_lan, wait_for


def rtt_ms(namespace: Namespace, address: str, count: int = 50) -> float:
    """Average ping round trip, milliseconds."""
    out = namespace.run("ping", "-q", "-c", str(count), "-i", "0.05", address)
    match = re.search(r"= [\d.]+/([\d.]+)/", out)
    assert match is not None, out
    return float(match.group(1))


def tcp_mbits(server: Namespace, client: Namespace, address: str, seconds: int) -> float:
    """TCP throughput from ``client`` to ``server`` (iperf3), Mbit/s."""
    process = server.popen(
        "iperf3", "-s", "-1", "-B", address, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: ":5201" in server.run("ss", "-H", "-t", "-l", "-n"), "iperf3 server")
        report = json.loads(client.run("iperf3", "-c", address, "-t", str(seconds), "-J"))
    finally:
        process.kill()
        process.wait()
    return float(report["end"]["sum_received"]["bits_per_second"]) / 1e6


def pair_doc(own: str, peer: str, tun_ip: str) -> dict[str, Any]:
    to_udp, to_tun = "[udp|in:0]-[tun|out:0]", "[tun|in:0]-[udp|out:0]"
    return {
        "version": 13,
        "plumr_config": {
            "pipeline": {
                "tun": {"tun": {"interface_name": "np16pair", "ip": tun_ip, "netmask": "24",
                                "mtu": 1400, "output": to_udp, "input": to_tun}},
                "udp": {"udp_socket": {"bind_address": f"{own}:5000",
                                       "remote_address": f"{peer}:5000",
                                       "input": to_udp, "output": to_tun}},
            }
        },
    }  # fmt: skip


def measure_pair(seconds: int) -> dict[str, float]:
    with namespaces(2, "np16b") as (a, b):
        veth(a, b, "10.16.9.1/24", "10.16.9.2/24")
        with (
            PipelineProcess(a, pair_doc("10.16.9.1", "10.16.9.2", "100.64.9.1")),
            PipelineProcess(b, pair_doc("10.16.9.2", "10.16.9.1", "100.64.9.2")),
        ):
            wait_for(lambda: " 0% packet loss" in a.run("ping", "-c", "1", "-W", "1",
                                                        "100.64.9.2", check=False), "pair ping")  # fmt: skip
            return {
                "rtt_ms": rtt_ms(a, "100.64.9.2"),
                "tcp_mbit_s": tcp_mbits(b, a, "100.64.9.2", seconds),
            }


def measure_lan(seconds: int) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory(prefix="np16-bench-") as directory,
        virtual_lan(Path(directory)) as (relay, a, b),
    ):
        prepare_carriers(relay, a, b)
        started = time.monotonic()
        created = relay.call(
            "Networks", "createNetwork", network={"name": "lan", "subnet_cidr": "100.65.254.0/24"}
        )
        call_done = time.monotonic()
        ips = {node["node_id"]: node["node_ip"] for node in created["network"]["nodes"]}
        ip_b = ips[b.running.node_id]
        wait_for(lambda: a.ping(ip_b), "the first ping", timeout=30)
        first_ping = time.monotonic()
        return {
            "create_call_s": call_done - started,
            "create_to_first_ping_s": first_ping - started,
            "rtt_ms": rtt_ms(a.namespace, ip_b),
            "tcp_mbit_s": tcp_mbits(b.namespace, a.namespace, ip_b, seconds),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=5, help="length of each TCP test")
    arguments = parser.parse_args()
    lan = measure_lan(arguments.seconds)
    pair = measure_pair(arguments.seconds)
    print(f"createNetwork call:                 {lan['create_call_s']:.2f} s")
    print(f"createNetwork to first ping:        {lan['create_to_first_ping_s']:.2f} s")
    print(
        f"ping RTT   client-relay-client:     {lan['rtt_ms']:.3f} ms   tun<->udp pair: {pair['rtt_ms']:.3f} ms"
    )
    print(
        f"TCP        client-relay-client:     {lan['tcp_mbit_s']:.0f} Mbit/s   tun<->udp pair: {pair['tcp_mbit_s']:.0f} Mbit/s"
    )


if __name__ == "__main__":
    main()
