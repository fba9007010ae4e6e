"""``ip_router``: forwards IPv4 packets between its flows by destination address.

Each flow is a neighbour: packets arriving on its ``input`` are routed, and packets whose
destination falls in its ``destination`` prefix leave on its ``output``. The longest matching
prefix wins; a packet is never sent back out of the flow it came from (that would loop), and
packets that are not IPv4 or match no flow are dropped and counted. This is what a network's
relay uses to carry traffic between its clients (see the default blueprints).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from nanoping.dataplane.component import Component, register
from nanoping.dataplane.metrics import Metric, counter
from nanoping.dataplane.packet import Batch
from nanoping.dataplane.parameter import param
from nanoping.dataplane.wiring import parse_link


def _check_prefix(text: str) -> str | None:
    try:
        ipaddress.IPv4Network(text, strict=False)
    except ValueError:
        return f"expected an IPv4 prefix such as 100.65.254.2/32, got {text!r}"
    return None


@dataclass(frozen=True)
class Route:
    """One neighbour of the router."""

    input: str = param(doc="Link the neighbour's packets arrive on.", link=True)
    output: str = param(doc="Link packets for this neighbour leave on.", link=True)
    destination: str = param(
        doc="IPv4 prefix reached through this neighbour, e.g. 100.65.254.2/32.",
        check=_check_prefix,
    )


@dataclass(frozen=True)
class IpRouterParams:
    """Parameters of ``ip_router``."""

    flows: tuple[Route, ...] = param(doc="The neighbours, each with its prefix.", minimum=1)


@register("ip_router")
class IpRouter(Component[IpRouterParams]):
    """Longest-prefix IPv4 forwarding between flows; drops what it cannot route."""

    params_type = IpRouterParams

    def __init__(self, *, component_id: str, params: IpRouterParams) -> None:
        super().__init__(component_id=component_id, params=params)
        routes = [
            (
                ipaddress.IPv4Network(flow.destination, strict=False),
                parse_link(flow.input).in_port,
                parse_link(flow.output).out_port,
            )
            for flow in params.flows
        ]
        routes.sort(key=lambda route: route[0].prefixlen, reverse=True)
        self._routes = [(int(net.network_address), int(net.netmask), i, o) for net, i, o in routes]
        self.unroutable = 0

    def handle(self, port: int, batch: Batch, now: float) -> None:
        out: dict[int, Batch] = {}
        for packet in batch:
            target = self._route(packet.payload, port)
            if target is None:
                self.packets_dropped += 1
                self.unroutable += 1
            else:
                out.setdefault(target, []).append(packet)
        for target, packets in out.items():
            self.emit(target, packets)

    def _route(self, payload: bytes, arrived_on: int) -> int | None:
        if len(payload) < 20 or payload[0] >> 4 != 4:
            return None
        destination = int.from_bytes(payload[16:20], "big")
        for network, mask, in_port, out_port in self._routes:
            if destination & mask == network:
                return None if in_port == arrived_on else out_port
        return None

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            counter(
                "unroutable",
                self.unroutable,
                "packets",
                "Packets dropped: not IPv4, no matching prefix, or routed back to their sender.",
            ),
        )
