"""The done-when scenario: three nodes in three namespaces, one createNetwork with the default
blueprints, clients reaching each other through the relay; a member killed with -9 comes
back; deleting the network removes every generated pipeline and interface."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from nanoping.testing.netns import Namespace, namespaces, veth
from nanoping.testing.node_process import NodeProcess

API_CALL = str(Path(__file__).with_name("api_call.py"))
SERVICES = {
    "Networks": "/nanopinggrpc.networks.Networks/",
    "NetworkInstances": "/nanopinggrpc.networks.NetworkInstances/",
    "Config": "/nanopinggrpc.hub.ConfigService/",
    "Hub": "/nanopinggrpc.hub.HubServerService/",
    "Pipelines": "/nanopinggrpc.pipeline.PipelinesService/",
}


@dataclass
class Member:
    namespace: Namespace
    node: NodeProcess
    data_dir: Path
    underlay_ip: str

    def call(self, service: str, method: str, **request: Any) -> Any:
        out = self.namespace.run(
            sys.executable, API_CALL, self.node.grpc_address,
            SERVICES[service] + method, json.dumps(request),
        )  # fmt: skip
        return json.loads(out)

    def np(self, *args: str, check: bool = True) -> str:
        return self.namespace.run(sys.executable, "-m", "nanoping.cli.main", *args, check=check)

    def start(self, *global_args: str) -> None:
        self.node = NodeProcess(
            data_dir=self.data_dir,
            global_args=global_args,
            command_prefix=self.namespace.exec_prefix(),
        ).start()

    def ping(self, address: str) -> bool:
        out = self.namespace.run("ping", "-c", "1", "-W", "1", address, check=False)
        return " 0% packet loss" in out

    def tun_interfaces(self) -> list[str]:
        return [name for name in self.namespace.interfaces() if name.startswith("np")]


def wait_for(condition: Any, what: str, timeout: float = 20.0) -> float:
    """Seconds it took ``condition`` to hold; fails naming ``what`` after ``timeout``."""
    start = time.monotonic()
    while not condition():
        assert time.monotonic() - start < timeout, f"timed out after {timeout} s: {what}"
        time.sleep(0.1)
    return time.monotonic() - start


@pytest.fixture
def lan(tmp_path: Path) -> Iterator[tuple[Member, Member, Member]]:
    with namespaces(3, "np16") as (r, a, b):
        veth(r, a, "10.16.1.1/24", "10.16.1.2/24")
        veth(r, b, "10.16.2.1/24", "10.16.2.2/24")
        a.run("ip", "route", "add", "10.16.2.0/24", "via", "10.16.1.1")
        b.run("ip", "route", "add", "10.16.1.0/24", "via", "10.16.2.1")
        config = tmp_path / "relay.yaml"
        config.write_text(
            "node:\n  name: relay\nhttp:\n  address: 10.16.1.1:0\nhubServer:\n"
            "  authenticationByRequest:\n    timeout: 1m\ngrpcBridge:\n  address: 127.0.0.1:0\n"
        )
        members = []
        try:
            for namespace, name, underlay in ((r, "relay", "10.16.1.1"), (a, "a", "10.16.1.2"),
                                              (b, "b", "10.16.2.2")):  # fmt: skip
                member = Member(namespace, None, tmp_path / name, underlay)  # type: ignore[arg-type]
                member.start(*(("-c", str(config)) if name == "relay" else ()))
                members.append(member)
            relay, client_a, client_b = members
            hub = f"http://{relay.node.addresses['HTTP (hub server)']}"
            approver = r.popen(
                sys.executable, "-m", "nanoping.cli.main", "authentication-requests",
                "--grpc", relay.node.grpc_address, "--accept-all", "--count", "2",
                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            )  # fmt: skip
            assert approver.stderr is not None
            with approver.stderr:
                approver.stderr.readline()  # "waiting for authentication requests"
                for client in (client_a, client_b):
                    client.np("authenticate-by-request", hub, "--grpc", client.node.grpc_address)
                approver.wait(timeout=30)
            yield relay, client_a, client_b
        finally:
            for member in members:
                member.node.stop()


def test_clients_reach_each_other_through_the_relay(lan: tuple[Member, Member, Member]) -> None:
    relay, a, b = lan
    for member, port in ((relay, 4000), (a, 4100), (b, 4200)):
        carrier = {"address": {"ip": member.underlay_ip, "port": port}}
        member.call("Config", "setDefaultNetworkCarriers", carriers={"carriers": [carrier]})
    wait_for(
        lambda: sum(n.get("online", False) for n in relay.call("Hub", "getNodes")["nodes"]) == 3,
        "both clients online",
    )
    started = time.monotonic()
    created = relay.call(
        "Networks", "createNetwork", network={"name": "lan", "subnet_cidr": "100.65.254.0/24"}
    )
    ips = {node["node_id"]: node["node_ip"] for node in created["network"]["nodes"]}
    ip_a, ip_b = ips[a.node.node_id], ips[b.node.node_id]
    wait_for(lambda: a.ping(ip_b), "a ping from client a to client b", timeout=10)
    print(f"createNetwork to first answered ping: {time.monotonic() - started:.2f} s")
    assert b.ping(ip_a)
    assert relay.ping(ip_a)

    server = b.namespace.popen(
        "iperf3", "-s", "-1", "-B", ip_b, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_for(lambda: ":5201" in b.namespace.run("ss", "-H", "-t", "-l", "-n"),
                 "the iperf3 server to listen")  # fmt: skip
        report = json.loads(a.namespace.run("iperf3", "-c", ip_b, "-n", "4M", "-J"))
        # iperf3 stops counting at the receiver when the sender reports the end, so the
        # receiver's sum may trail what TCP delivered; the sender's is the whole transfer.
        assert report["end"]["sum_sent"]["bytes"] >= 4 * 1024 * 1024
        assert report["end"]["sum_received"]["bytes"] > 1024 * 1024
        print(f"TCP a -> b: {report['end']['sum_received']['bits_per_second'] / 1e6:.0f} Mbit/s")
    finally:
        server.kill()
        server.wait()

    # A member killed with -9 comes back with its network pipelines and connectivity.
    assert a.node.process is not None
    a.node.kill()
    wait_for(lambda: not a.tun_interfaces(), "the killed member's interface to go")
    a.start()
    wait_for(lambda: a.ping(ip_b), "connectivity after the restart")

    relay.call("Networks", "deleteNetwork", id=created["id"])
    for member in (relay, a, b):
        assert member.call("Pipelines", "getPipelines") == {}
        wait_for(lambda m=member: not m.tun_interfaces(), "the network interfaces to go")
