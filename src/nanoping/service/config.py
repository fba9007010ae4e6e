"""ConfigService: this node's default network carriers (given to it in networks it joins later)."""

from __future__ import annotations

import ipaddress

from nanoping.api import config_pb2
from nanoping.errors import InvalidArgument, NotFound
from nanoping.networks.carriers import CarrierStore

MAX_CARRIERS = 16
"""Default carriers a node may have."""


class ConfigService:
    """Implements ``nanopinggrpc.hub.ConfigService`` on every node."""

    def __init__(self, *, store: CarrierStore, node_id: str) -> None:
        self._store = store
        self._node_id = node_id

    async def get_default_network_carriers(
        self, request: config_pb2.GetDefaultNetworkCarriersRequest
    ) -> config_pb2.GetDefaultNetworkCarriersResponse:
        self._require_local(request.node_id)
        carriers = self._store.get().carriers
        return config_pb2.GetDefaultNetworkCarriersResponse(carriers=carriers)

    async def set_default_network_carriers(
        self, request: config_pb2.SetDefaultNetworkCarriersRequest
    ) -> config_pb2.SetDefaultNetworkCarriersResponse:
        self._require_local(request.node_id)
        carriers = request.carriers if request.HasField("carriers") else None
        replacement = config_pb2.DefaultNetworkCarriers()
        if carriers is not None:
            _check(carriers)
            replacement.CopyFrom(carriers)
        self._store.set(replacement)
        return config_pb2.SetDefaultNetworkCarriersResponse()

    def _require_local(self, node_id: str) -> None:
        if node_id and node_id != self._node_id:
            raise NotFound(f"node {node_id[:80]} is unknown: this node's id is {self._node_id}")


def _check(carriers: config_pb2.DefaultNetworkCarriers) -> None:
    if len(carriers.carriers) > MAX_CARRIERS:
        raise InvalidArgument(
            f"at most {MAX_CARRIERS} default carriers, got {len(carriers.carriers)}"
        )
    for number, carrier in enumerate(carriers.carriers):
        if carrier.HasField("address"):
            _check_address(carrier.address, f"carriers[{number}].address")
        if carrier.HasField("interface") and not carrier.interface.strip():
            raise InvalidArgument(f"carriers[{number}].interface is empty")


def _check_address(address: config_pb2.DefaultNetworkCarrierAddress, where: str) -> None:
    for field in ("ip", "external_ip"):
        if field == "external_ip" and not address.HasField("external_ip"):
            continue
        value = getattr(address, field)
        try:
            ipaddress.ip_address(value)
        except ValueError:
            raise InvalidArgument(f"{where}.{field} {value[:60]!r} is not an IP address") from None
    if address.port > 65535:
        raise InvalidArgument(f"{where}.port {address.port} is above 65535")
