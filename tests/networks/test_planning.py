"""Planning a network without any node: members, addresses, updates and rendering."""

from __future__ import annotations

import json
from typing import Any

import pytest

from nanoping.api import networks_pb2
from nanoping.errors import FailedPrecondition, InvalidArgument
from nanoping.networks import planning
from nanoping.networks.builtin import BUILTIN
from nanoping.networks.records import BlueprintRecord

RELAY = "11111111-1111-4111-8111-111111111111"
A = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
B = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
NETWORK_ID = "0f0e0d0c-0000-4000-8000-000000000001"


def carrier(ip: str, port: int) -> networks_pb2.Carrier:
    return networks_pb2.Carrier(address=networks_pb2.Address(ip=ip, port=port))


def network(**fields: Any) -> networks_pb2.Network:
    fields.setdefault("name", "lan")
    fields.setdefault("subnet_cidr", "100.65.254.0/24")
    return networks_pb2.Network(relay_node_id=RELAY, **fields)


def planned_network() -> networks_pb2.Network:
    made = network()
    candidates = [
        planning.Candidate(B, [carrier("10.0.2.2", 4002)]),
        planning.Candidate(RELAY, [carrier("10.0.1.1", 4000)]),
        planning.Candidate(A, []),
    ]
    made.nodes.extend(planning.new_members(made, candidates))
    return made


def configs(made: networks_pb2.Network) -> dict[tuple[str, str], Any]:
    plans = planning.render_network(NETWORK_ID, made, BUILTIN)
    return {(plan.node_id, plan.slot): json.loads(plan.config) for plan in plans}


def components(config: Any) -> dict[str, Any]:
    return {
        key: next(iter(value.values())) for key, value in config["plumr_config"]["pipeline"].items()
    }


def test_members_get_the_first_free_addresses_relay_first() -> None:
    made = planned_network()
    assert [(n.node_id, n.node_ip, n.type) for n in made.nodes] == [
        (RELAY, "100.65.254.1", planning.RELAY),
        (A, "100.65.254.2", planning.CLIENT),
        (B, "100.65.254.3", planning.CLIENT),
    ]
    assert made.nodes[2].carriers[0].address.port == 4002


def test_a_subnet_too_small_or_invalid_is_refused() -> None:
    small = network(subnet_cidr="100.65.254.0/30")
    candidates = [planning.Candidate(n, []) for n in (RELAY, A, B)]
    with pytest.raises(FailedPrecondition, match="has no free address for node"):
        planning.new_members(small, candidates)
    for bad in ("100.65.254.1/24", "fd00::/64", "nonsense", "10.0.0.0/31"):
        with pytest.raises(InvalidArgument, match="subnet_cidr"):
            planning.subnet(network(subnet_cidr=bad))
    with pytest.raises(FailedPrecondition, match=r"relay node .* is not connected"):
        planning.new_members(network(), [planning.Candidate(A, [])])


def test_updates_keep_members_addresses_and_roles() -> None:
    made = planned_network()
    assert planning.updated_members(made.nodes, []) == list(made.nodes)
    edited = [networks_pb2.Node(node_id=n.node_id, parameters='{"x": 1}') for n in made.nodes]
    kept = planning.updated_members(made.nodes, edited)
    assert [n.node_ip for n in kept] == ["100.65.254.1", "100.65.254.2", "100.65.254.3"]
    assert kept[0].type == planning.RELAY
    assert all(n.parameters == '{"x": 1}' for n in kept)
    with pytest.raises(InvalidArgument, match="cannot be added or removed"):
        planning.updated_members(made.nodes, edited[:2])
    moved = [*edited[:2], networks_pb2.Node(node_id=B, node_ip="100.65.254.77")]
    with pytest.raises(InvalidArgument, match="node_ip cannot change"):
        planning.updated_members(made.nodes, moved)
    promoted = [*edited[:2], networks_pb2.Node(node_id=B, type=planning.RELAY)]
    with pytest.raises(InvalidArgument, match="type cannot change"):
        planning.updated_members(made.nodes, promoted)


def test_member_checks() -> None:
    made = planned_network()
    made.subnet_cidr = "100.65.0.0/16"
    planning.check_members(made)  # a wider subnet still holds every address
    made.subnet_cidr = "100.65.1.0/24"
    with pytest.raises(InvalidArgument, match=r"does not contain member .* 100\.65\.254\.1"):
        planning.check_members(made)
    relay = networks_pb2.Node(node_id=RELAY, type=planning.RELAY)
    relay.carriers.add(interface="eth0")
    with pytest.raises(
        InvalidArgument, match=r"carrier 0 of node .* \(the relay\) needs an address"
    ):
        planning.check_carriers(relay)
    client = networks_pb2.Node(node_id=A)
    client.carriers.add()
    with pytest.raises(InvalidArgument, match="needs an address or an interface"):
        planning.check_carriers(client)
    with pytest.raises(InvalidArgument, match="must be a JSON object"):
        planning.parameters("[1]", "network parameters")


def test_default_blueprints_render_valid_pipelines_for_every_member() -> None:
    rendered = configs(planned_network())
    assert set(rendered) == {(RELAY, "relay"), (A, "client"), (B, "client")}
    relay = components(rendered[RELAY, "relay"])
    assert relay["tun-1"]["ip"] == "100.65.254.1"
    assert relay["tun-1"]["netmask"] == "24"
    assert relay["udp_socket-2"]["bind_address"] == "10.0.1.1:4002"
    assert relay["udp_socket-2"]["remote_address"] == ""  # A has no carrier: answer the sender
    assert relay["udp_socket-3"]["remote_address"] == "10.0.2.2:4002"
    routes = {flow["destination"] for flow in relay["ip_router-1"]["flows"]}
    assert routes == {"100.65.254.1/32", "100.65.254.2/32", "100.65.254.3/32"}
    client_b = components(rendered[B, "client"])
    assert client_b["tun-1"]["ip"] == "100.65.254.3"
    assert client_b["udp_socket-1"]["bind_address"] == "10.0.2.2:4002"
    assert client_b["udp_socket-1"]["remote_address"] == "10.0.1.1:4003"
    assert components(rendered[A, "client"])["udp_socket-1"]["bind_address"] == ""


def test_parameters_reach_templates_node_ones_first() -> None:
    made = planned_network()
    made.parameters = '{"mtu": 1300}'
    made.nodes[2].parameters = '{"mtu": 1200}'
    rendered = configs(made)
    assert components(rendered[A, "client"])["tun-1"]["mtu"] == 1300
    assert components(rendered[B, "client"])["tun-1"]["mtu"] == 1200


def test_render_errors_name_blueprint_node_and_position() -> None:
    made = planned_network()
    broken = BlueprintRecord("bp-1", "mine", '{\n  "version": {{ .node.ip.x }}\n}')
    made.blueprints.client_blueprint = "bp-1"
    blueprints = {**BUILTIN, "bp-1": broken}
    with pytest.raises(InvalidArgument) as raised:
        planning.render_network(NETWORK_ID, made, blueprints)
    assert "blueprint 'mine' (bp-1) for node" in raised.value.message
    assert "line 2, column 17: can't evaluate field x in type string" in raised.value.message
    not_json = BlueprintRecord("bp-1", "mine", '{"version": "<{{ .nope }}>"')
    with pytest.raises(InvalidArgument, match="renders an invalid pipeline config"):
        planning.render_network(NETWORK_ID, made, {**BUILTIN, "bp-1": not_json})


def test_merge_keeps_ids_and_flags_and_marks_the_rest_removed() -> None:
    made = planned_network()
    plans = planning.render_network(NETWORK_ID, made, BUILTIN)
    instances, first = planning.merge(NETWORK_ID, plans, [], {})
    assert len(instances) == 3
    assert all(record.enabled and not record.removed for record in first)
    toggled = [first[0].__class__(**{**first[0].__dict__, "enabled": False}), *first[1:]]
    by_node = {i.node_id: i for i in instances}
    _, again = planning.merge(NETWORK_ID, plans[:2], toggled, by_node)
    assert [r.id for r in again] == [r.id for r in first]
    assert not again[0].enabled
    assert [r.removed for r in again] == [False, False, True]
