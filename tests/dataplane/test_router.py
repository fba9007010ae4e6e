"""ip_router: longest-prefix forwarding between flows, never back to the sender."""

from __future__ import annotations

import ipaddress

from nanoping.dataplane.components.router import IpRouter, IpRouterParams
from nanoping.dataplane.packet import Packet
from nanoping.dataplane.parameter import parse_params


def flow(number: int, destination: str) -> dict[str, str]:
    return {
        "input": f"[r|in:{number}]-[n{number}|out:0]",
        "output": f"[n{number}|in:0]-[r|out:{number}]",
        "destination": destination,
    }


def router() -> IpRouter:
    params = parse_params(
        IpRouterParams,
        {
            "flows": [
                flow(0, "100.65.254.1/32"),
                flow(1, "100.65.254.0/24"),
                flow(2, "100.65.254.3/32"),
            ]
        },
    )
    return IpRouter(component_id="r", params=params)


def ipv4(destination: str) -> Packet:
    header = bytearray(20)
    header[0] = 0x45
    header[16:20] = ipaddress.IPv4Address(destination).packed
    return Packet(bytes(header) + b"data", 0.0)


def outputs(component: IpRouter) -> list[int]:
    return [len(buffer.take()) for buffer in component.outputs]


def test_longest_prefix_wins() -> None:
    component = router()
    component.push(0, [ipv4("100.65.254.3"), ipv4("100.65.254.9")], 0.0)
    component.push(2, [ipv4("100.65.254.1")], 0.0)
    assert outputs(component) == [1, 1, 1]


def test_what_cannot_be_routed_is_dropped_and_counted() -> None:
    component = router()
    not_ip = Packet(b"\x60" + bytes(40), 0.0)  # IPv6
    component.push(0, [ipv4("10.1.1.1"), ipv4("100.65.254.1"), not_ip, Packet(b"x", 0.0)], 0.0)
    assert outputs(component) == [0, 0, 0]
    assert component.packets_dropped == 4
    metrics = {metric.name: metric.value for metric in component.metrics(0.0).metrics}
    assert metrics["unroutable"] == 4
