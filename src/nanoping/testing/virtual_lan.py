"""Three nodes in three network namespaces, joined to one hub: a relay and two clients.

For the virtual-LAN test and benchmark. Needs root and iproute2. Underlay: relay 10.16.1.1 on
the link to client a (10.16.1.2) and 10.16.2.1 on the link to client b (10.16.2.2); each client
routes the other link through the relay. Every node's gRPC API listens on 127.0.0.1 inside its
namespace, so calls are made from inside it (:meth:`Member.call`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nanoping.testing.netns import Namespace, namespaces, veth
from nanoping.testing.node_process import NodeProcess

SERVICES = {
    "Networks": "/nanopinggrpc.networks.Networks/",
    "Blueprints": "/nanopinggrpc.networks.Blueprints/",
    "NetworkInstances": "/nanopinggrpc.networks.NetworkInstances/",
    "Config": "/nanopinggrpc.hub.ConfigService/",
    "Hub": "/nanopinggrpc.hub.HubServerService/",
    "Pipelines": "/nanopinggrpc.pipeline.PipelinesService/",
}


@dataclass
class Member:
    """One node of the LAN, in its namespace."""

    namespace: Namespace
    data_dir: Path
    underlay_ip: str
    node: NodeProcess | None = None

    @property
    def running(self) -> NodeProcess:
        assert self.node is not None, "start() first"
        return self.node

    def call(self, service: str, method: str, **request: Any) -> Any:
        """One API call on this node, answered as JSON (field names as in the protos)."""
        out = self.namespace.run(
            sys.executable, "-m", "nanoping.testing.api_call", self.running.grpc_address,
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


@contextmanager
def virtual_lan(directory: Path) -> Iterator[tuple[Member, Member, Member]]:
    """The relay (hub) and clients a and b, joined; everything is removed afterwards."""
    with namespaces(3, "np16") as (r, a, b):
        veth(r, a, "10.16.1.1/24", "10.16.1.2/24")
        veth(r, b, "10.16.2.1/24", "10.16.2.2/24")
        a.run("ip", "route", "add", "10.16.2.0/24", "via", "10.16.1.1")
        b.run("ip", "route", "add", "10.16.1.0/24", "via", "10.16.2.1")
        config = directory / "relay.yaml"
        config.write_text(
            "node:\n  name: relay\nhttp:\n  address: 10.16.1.1:0\nhubServer:\n"
            "  authenticationByRequest:\n    timeout: 1m\ngrpcBridge:\n  address: 127.0.0.1:0\n"
        )
        members = [
            Member(r, directory / "relay", "10.16.1.1"),
            Member(a, directory / "a", "10.16.1.2"),
            Member(b, directory / "b", "10.16.2.2"),
        ]
        try:
            members[0].start("-c", str(config))
            for member in members[1:]:
                member.start()
            _join(*members)
            yield members[0], members[1], members[2]
        finally:
            for member in members:
                if member.node is not None:
                    member.node.stop()


def _join(relay: Member, *clients: Member) -> None:
    hub = f"http://{relay.running.addresses['HTTP (hub server)']}"
    approver = relay.namespace.popen(
        sys.executable, "-m", "nanoping.cli.main", "authentication-requests",
        "--grpc", relay.running.grpc_address, "--accept-all", "--count", str(len(clients)),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert approver.stderr is not None
    with approver.stderr:
        approver.stderr.readline()  # "waiting for authentication requests": it listens now
        for client in clients:
            client.np("authenticate-by-request", hub, "--grpc", client.running.grpc_address)
        approver.wait(timeout=30)


def create_default_network(relay: Member, a: Member, b: Member) -> tuple[str, str, str]:
    """Carriers on each node, then one createNetwork; returns (network id, ip of a, ip of b)."""
    prepare_carriers(relay, a, b)
    created = relay.call(
        "Networks", "createNetwork", network={"name": "lan", "subnet_cidr": "100.65.254.0/24"}
    )
    ips = {node["node_id"]: node["node_ip"] for node in created["network"]["nodes"]}
    return created["id"], ips[a.running.node_id], ips[b.running.node_id]


def prepare_carriers(relay: Member, a: Member, b: Member) -> None:
    """Each node's default carrier on its underlay address; returns once all are online."""
    for member, port in ((relay, 4000), (a, 4100), (b, 4200)):
        carrier = {"address": {"ip": member.underlay_ip, "port": port}}
        member.call("Config", "setDefaultNetworkCarriers", carriers={"carriers": [carrier]})
    wait_for(
        lambda: sum(n.get("online", False) for n in relay.call("Hub", "getNodes")["nodes"]) == 3,
        "both clients online",
    )
