"""Sans-IO planning of networks: checking a network, giving members addresses, and rendering
every member's pipelines from the blueprints.

Nothing here touches a node: the service feeds in the network, the candidate members and the
blueprints, and gets back the records to store (and then deploy), or an INVALID_ARGUMENT /
FAILED_PRECONDITION naming what is wrong. Rendering happens whenever a network or a blueprint
is created or updated, so template and config errors surface then, never at deploy time.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from nanoping.api import networks_pb2
from nanoping.errors import FailedPrecondition, InvalidArgument, NanoPingError
from nanoping.networks.builtin import DEFAULT_FOR_ROLE
from nanoping.networks.records import BlueprintRecord, InstanceRecord, NetworkPipelineRecord
from nanoping.pipelines.json_config import JsonConfig
from nanoping.templating import Template, TemplateError

MAX_NAME = 200
"""Characters a network or blueprint name may have."""
MAX_PARAMETERS = 64 * 1024
"""Characters of a ``parameters`` JSON object."""
MAX_CARRIERS = 16
"""Carriers a member may have."""
RELAY = networks_pb2.NODE_TYPE_RELAY
CLIENT = networks_pb2.NODE_TYPE_CLIENT


@dataclass(frozen=True)
class Candidate:
    """A connected node that joins a new network, with its default carriers."""

    node_id: str
    carriers: Sequence[networks_pb2.Carrier]


@dataclass(frozen=True)
class Planned:
    """One pipeline a member should run."""

    node_id: str
    slot: str
    blueprint_id: str
    name: str
    config: str
    reference_node_id: str | None


# ---- checking a network ---------------------------------------------------------------------


def check_name(name: str, what: str) -> str:
    """A trimmed, non-empty name of bounded length."""
    stripped = name.strip()
    if not stripped:
        raise InvalidArgument(f"{what} name is required")
    if len(stripped) > MAX_NAME:
        raise InvalidArgument(f"{what} name is longer than {MAX_NAME} characters")
    return stripped


def subnet(network: networks_pb2.Network) -> ipaddress.IPv4Network:
    """The network's subnet; INVALID_ARGUMENT unless an IPv4 CIDR with room for members."""
    try:
        parsed = ipaddress.ip_network(network.subnet_cidr.strip(), strict=True)
    except ValueError as error:
        raise InvalidArgument(
            f"subnet_cidr {network.subnet_cidr[:60]!r} is not an IPv4 CIDR such as "
            f"100.65.254.0/24: {error}"
        ) from None
    if not isinstance(parsed, ipaddress.IPv4Network) or parsed.prefixlen > 30:
        raise InvalidArgument(
            f"subnet_cidr {network.subnet_cidr!r} must be an IPv4 network of /30 or wider"
        )
    return parsed


def parameters(text: str, what: str) -> dict[str, object]:
    """A ``parameters`` field: empty, or a JSON object."""
    if not text.strip():
        return {}
    if len(text) > MAX_PARAMETERS:
        raise InvalidArgument(f"{what} are longer than {MAX_PARAMETERS} characters")
    try:
        value = json.loads(text)
    except ValueError as error:
        raise InvalidArgument(f"{what} are not valid JSON: {error}") from None
    if not isinstance(value, dict):
        raise InvalidArgument(f'{what} must be a JSON object, e.g. {{"mtu": 1400}}')
    return value


def check_carriers(node: networks_pb2.Node) -> None:
    """Relay carriers need an address; client carriers an address or an interface."""
    if len(node.carriers) > MAX_CARRIERS:
        raise InvalidArgument(f"node {node.node_id} has more than {MAX_CARRIERS} carriers")
    for number, carrier in enumerate(node.carriers):
        where = f"carrier {number} of node {node.node_id}"
        if carrier.HasField("address"):
            _check_address(carrier.address, where)
        elif node.type == RELAY:
            raise InvalidArgument(f"{where} (the relay) needs an address")
        elif not carrier.HasField("interface") or not carrier.interface.strip():
            raise InvalidArgument(f"{where} needs an address or an interface")


def _check_address(address: networks_pb2.Address, where: str) -> None:
    for field in ("ip", "external_ip"):
        if field == "external_ip" and not address.HasField("external_ip"):
            continue
        try:
            ipaddress.ip_address(getattr(address, field))
        except ValueError:
            raise InvalidArgument(
                f"{where}: address.{field} {getattr(address, field)[:60]!r} is not an IP address"
            ) from None
    if address.port > 65535:
        raise InvalidArgument(f"{where}: address.port {address.port} is above 65535")


def check_blueprint_ids(
    network: networks_pb2.Network, blueprints: Mapping[str, BlueprintRecord]
) -> None:
    """Every blueprint the network names exists."""
    for role in DEFAULT_FOR_ROLE:
        if network.blueprints.HasField(role):
            chosen = getattr(network.blueprints, role)
            if chosen not in blueprints:
                raise InvalidArgument(f"blueprints.{role}: no blueprint with id '{chosen[:80]}'")


# ---- members --------------------------------------------------------------------------------


def new_members(
    network: networks_pb2.Network, candidates: Sequence[Candidate]
) -> list[networks_pb2.Node]:
    """The members of a new network: every candidate, the relay first, each given the next
    free address of the subnet."""
    hosts = subnet(network).hosts()
    ordered = sorted(candidates, key=lambda c: (c.node_id != network.relay_node_id, c.node_id))
    if not ordered or ordered[0].node_id != network.relay_node_id:
        raise FailedPrecondition(f"the relay node {network.relay_node_id} is not connected")
    members = []
    for candidate in ordered:
        address = next(hosts, None)
        if address is None:
            raise FailedPrecondition(
                f"subnet {network.subnet_cidr} has no free address for node {candidate.node_id} "
                f"({len(ordered)} connected nodes join the network)"
            )
        node = networks_pb2.Node(
            node_id=candidate.node_id,
            node_ip=str(address),
            type=RELAY if candidate.node_id == network.relay_node_id else CLIENT,
        )
        node.carriers.extend(candidate.carriers)
        members.append(node)
    return members


def updated_members(
    current: Sequence[networks_pb2.Node], requested: Sequence[networks_pb2.Node]
) -> list[networks_pb2.Node]:
    """Members after an update: empty keeps them; otherwise the same members, same addresses
    and roles, with carriers and parameters replaced."""
    if not requested:
        return list(current)
    by_id = {node.node_id: node for node in current}
    asked = [node.node_id for node in requested]
    if sorted(asked) != sorted(by_id):
        missing = sorted(set(by_id) - set(asked))
        extra = sorted(set(asked) - set(by_id))
        raise InvalidArgument(
            "members cannot be added or removed: list every current member "
            f"(missing: {missing or 'none'}, not members: {extra or 'none'})"
        )
    result = []
    for node in requested:
        was = by_id[node.node_id]
        if node.node_ip and node.node_ip != was.node_ip:
            raise InvalidArgument(f"node {node.node_id}: node_ip cannot change ({was.node_ip})")
        if node.type != was.type and node.type != CLIENT:
            raise InvalidArgument(f"node {node.node_id}: type cannot change")
        changed = networks_pb2.Node()
        changed.CopyFrom(node)
        changed.node_ip, changed.type = was.node_ip, was.type
        result.append(changed)
    return result


def check_members(network: networks_pb2.Network) -> None:
    """Addresses unique and inside the subnet; carriers and parameters valid."""
    net = subnet(network)
    seen: set[str] = set()
    for node in network.nodes:
        if ipaddress.ip_address(node.node_ip) not in net:
            raise InvalidArgument(
                f"subnet_cidr {network.subnet_cidr} does not contain member {node.node_id}'s "
                f"address {node.node_ip}, which cannot change"
            )
        if node.node_ip in seen:
            raise InvalidArgument(f"address {node.node_ip} is given to two members")
        seen.add(node.node_ip)
        check_carriers(node)
        parameters(node.parameters, f"parameters of node {node.node_id}")


# ---- rendering ------------------------------------------------------------------------------


def blueprint_for(
    network: networks_pb2.Network, role: str, blueprints: Mapping[str, BlueprintRecord]
) -> BlueprintRecord:
    chosen = (
        getattr(network.blueprints, role)
        if network.blueprints.HasField(role)
        else DEFAULT_FOR_ROLE[role]
    )
    return blueprints[chosen]


def render_network(
    network_id: str, network: networks_pb2.Network, blueprints: Mapping[str, BlueprintRecord]
) -> list[Planned]:
    """Every member's pipelines; INVALID_ARGUMENT naming blueprint, node and position."""
    data = _Data(network_id, network)
    planned: list[Planned] = []
    relay = next(node for node in network.nodes if node.type == RELAY)
    for node in network.nodes:
        slot_roles = [("client", "client_blueprint", None)]
        if node.type == RELAY:
            slot_roles.insert(0, ("relay", "relay_blueprint", None))
        for slot, role, client in slot_roles:
            planned += _render(data, network, role, slot, node, client, blueprints)
        if node.type != RELAY:
            planned += _render(
                data, network, "relay_client_blueprint", f"relay-client:{node.node_id}",
                relay, node, blueprints,
            )  # fmt: skip
    return planned


def _render(
    data: _Data,
    network: networks_pb2.Network,
    role: str,
    slot: str,
    node: networks_pb2.Node,
    client: networks_pb2.Node | None,
    blueprints: Mapping[str, BlueprintRecord],
) -> list[Planned]:
    blueprint = blueprint_for(network, role, blueprints)
    where = f"blueprint '{blueprint.name}' ({blueprint.id}) for node {node.node_id}"
    if client is not None:
        where += f" serving client {client.node_id}"
    try:
        text = Template.parse(blueprint.template, name=blueprint.name).render(
            data.for_node(node, client)
        )
    except TemplateError as error:
        raise InvalidArgument(
            f"{where}: template error at line {error.line}, column {error.column}: {error.message}"
        ) from None
    if not text.strip():
        return []
    try:
        config = JsonConfig.parse(text)
    except NanoPingError as error:
        raise InvalidArgument(
            f"{where} renders an invalid pipeline config: {error.message}"
        ) from None
    name = f"{network.name} {slot.split(':')[0]}"
    if client is not None:
        name += f" {data.numeric_ids[client.node_id]}"
    reference = client.node_id if client is not None else None
    return [Planned(node.node_id, slot, blueprint.id, name, config.text, reference)]


class _Data:
    """The data a template sees (documented in docs/networks.md)."""

    def __init__(self, network_id: str, network: networks_pb2.Network) -> None:
        self.network = network
        net = subnet(network)
        self.parameters = parameters(network.parameters, "network parameters")
        self.numeric_ids = {node.node_id: number for number, node in enumerate(network.nodes, 1)}
        relay = next(node for node in network.nodes if node.type == RELAY)
        self.relay_base_port = next(
            (c.address.port for c in relay.carriers if c.HasField("address")), 0
        )
        self.members = {node.node_id: self._member(node) for node in network.nodes}
        self.common: dict[str, object] = {
            "network": {
                "id": network_id,
                "short_id": network_id.replace("-", "")[:8],
                "name": network.name,
                "subnet_cidr": str(net),
                "prefix_length": net.prefixlen,
                "parameters": self.parameters,
            },
            "nodes": list(self.members.values()),
            "clients": [m for m in self.members.values() if m["type"] == "client"],
            "relay": self.members[relay.node_id],
        }

    def _member(self, node: networks_pb2.Node) -> dict[str, object]:
        number = self.numeric_ids[node.node_id]
        return {
            "id": node.node_id,
            "numeric_id": number,
            "ip": node.node_ip,
            "type": "relay" if node.type == RELAY else "client",
            "carriers": [_carrier(n, c) for n, c in enumerate(node.carriers)],
            "parameters": parameters(node.parameters, f"parameters of node {node.node_id}"),
            "relay_port": self.relay_base_port + number if self.relay_base_port else 0,
        }

    def for_node(
        self, node: networks_pb2.Node, client: networks_pb2.Node | None
    ) -> dict[str, object]:
        member = self.members[node.node_id]
        merged = dict(self.parameters)
        own = member["parameters"]
        assert isinstance(own, dict)
        merged.update(own)
        data: dict[str, object] = dict(self.common)
        data.update(node=member, numeric_id=member["numeric_id"], parameters=merged)
        if client is not None:
            data["client"] = self.members[client.node_id]
        return data


def _carrier(number: int, carrier: networks_pb2.Carrier) -> dict[str, object]:
    view: dict[str, object] = {"numeric_id": number}
    if carrier.HasField("address"):
        address: dict[str, object] = {"ip": carrier.address.ip, "port": carrier.address.port}
        if carrier.address.HasField("external_ip"):
            address["external_ip"] = carrier.address.external_ip
        view["address"] = address
    if carrier.HasField("interface"):
        view["interface"] = carrier.interface
    if carrier.HasField("bandwidth_priority"):
        view["bandwidth_priority"] = carrier.bandwidth_priority
    return view


# ---- from a plan to records -----------------------------------------------------------------


def merge(
    network_id: str,
    planned: Sequence[Planned],
    existing: Sequence[NetworkPipelineRecord],
    instances: Mapping[str, InstanceRecord],
) -> tuple[list[InstanceRecord], list[NetworkPipelineRecord]]:
    """Records for ``planned``: existing ones keep their ids, pipelines and enabled flag; those
    no longer planned are marked removed. ``instances`` maps node id to an existing instance."""
    known = {(record.node_id, record.slot): record for record in existing if not record.removed}
    instance_of = dict(instances)
    records: list[NetworkPipelineRecord] = []
    for plan in planned:
        instance = instance_of.setdefault(
            plan.node_id, InstanceRecord(str(uuid.uuid4()), network_id, plan.node_id)
        )
        before = known.pop((plan.node_id, plan.slot), None)
        fields = {
            "blueprint_id": plan.blueprint_id,
            "pipeline_name": plan.name,
            "config": plan.config,
            "reference_node_id": plan.reference_node_id,
        }
        if before is None:
            before = NetworkPipelineRecord(
                id=str(uuid.uuid4()), network_id=network_id, instance_id=instance.id,
                node_id=plan.node_id, slot=plan.slot, enabled=True, **fields,  # type: ignore[arg-type]
            )  # fmt: skip
        records.append(replace(before, **fields))  # type: ignore[arg-type]
    records += [replace(record, removed=True) for record in known.values()]
    return list(instance_of.values()), records
