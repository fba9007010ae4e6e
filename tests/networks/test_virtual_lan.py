"""The done-when scenario: three nodes in three namespaces, one createNetwork with the default
blueprints, clients reaching each other through the relay; a blueprint update regenerates
their pipelines; a member killed with -9 comes back; deleting the network removes every
generated pipeline and interface."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from nanoping.testing.virtual_lan import Member, create_default_network, virtual_lan, wait_for


@pytest.fixture
def lan(tmp_path: Path) -> Iterator[tuple[Member, Member, Member]]:
    with virtual_lan(tmp_path) as members:
        yield members


def test_clients_reach_each_other_through_the_relay(lan: tuple[Member, Member, Member]) -> None:
    relay, a, b = lan
    network_id, ip_a, ip_b = create_default_network(relay, a, b)
    wait_for(lambda: a.ping(ip_b), "a ping from client a to client b", timeout=10)
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
    finally:
        server.kill()
        server.wait()

    # Updating a blueprint regenerates the pipelines; the restarted ones carry traffic again.
    interface = "np" + network_id.replace("-", "")[:8]
    default = relay.call("Blueprints", "getBlueprint", id="default-client")["blueprint"]
    template = default["template"].replace("{{ or .parameters.mtu 1400 }}", "1300")
    mine = relay.call(
        "Blueprints", "createBlueprint", blueprint={"name": "mtu", "template": template}
    )["id"]
    relay.call(
        "Networks",
        "updateNetwork",
        id=network_id,
        network={"name": "lan", "subnet_cidr": "100.65.254.0/24",
                 "blueprints": {"client_blueprint": mine}},
    )  # fmt: skip
    for mtu in ("1300", "1280"):
        if mtu == "1280":
            changed = template.replace("1300", "1280")
            relay.call(
                "Blueprints", "updateBlueprint", id=mine,
                blueprint={"name": "mtu", "template": changed},
            )  # fmt: skip
        wait_for(
            lambda mtu=mtu: f"mtu {mtu} " in a.namespace.run("ip", "link", "show", interface,
                                                              check=False),
            f"client a's interface regenerated with MTU {mtu}",
        )  # fmt: skip
        wait_for(lambda: a.ping(ip_b), f"traffic to resume after the change to MTU {mtu}")

    # A member killed with -9 comes back with its network pipelines and connectivity.
    assert a.running.process is not None
    a.running.kill()
    wait_for(lambda: not a.tun_interfaces(), "the killed member's interface to go")
    a.start()
    wait_for(lambda: a.ping(ip_b), "connectivity after the restart")

    relay.call("Networks", "deleteNetwork", id=network_id)
    for member in (relay, a, b):
        assert member.call("Pipelines", "getPipelines") == {}
        wait_for(lambda m=member: not m.tun_interfaces(), "the network interfaces to go")
