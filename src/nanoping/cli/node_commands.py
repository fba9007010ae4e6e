"""`np nodes` and `np set-node`: the cluster's nodes, seen through any node's gRPC API."""

from __future__ import annotations

import argparse
import json
from typing import Any, cast

import grpc
from google.protobuf import json_format

from nanoping.api import (
    hub_client_pb2,
    hub_client_pb2_grpc,
    hub_node_pb2,
    hub_server_pb2,
    hub_server_pb2_grpc,
)
from nanoping.cli.api_client import CommandFailed, add_grpc_option, add_node_option, call

SERVICES: dict[str, hub_node_pb2.NodeService] = {
    name.lower().replace("_", "-"): cast(hub_node_pb2.NodeService, number)
    for name, number in hub_node_pb2.NodeService.items()
}


def add_parsers(commands: Any) -> None:
    nodes = commands.add_parser(
        "nodes",
        help="list the nodes of the cluster (or remove one: np nodes remove NODE)",
        description="List the nodes of the hub the node at --grpc hosts or has joined; "
        "`np nodes remove NODE` removes a node (by id or name) from the hub.",
    )
    add_grpc_option(nodes)
    nodes.add_argument(
        "action", nargs="?", choices=["list", "remove"], default="list", help="default: list"
    )
    nodes.add_argument("target", nargs="?", metavar="NODE", help="with remove: id or name")
    nodes.add_argument(
        "--metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="only nodes whose metadata KEY is the text VALUE (repeatable; all must match)",
    )
    nodes.add_argument(
        "--service",
        action="append",
        default=[],
        choices=sorted(SERVICES),
        help="only nodes offering this service (repeatable; all must be offered)",
    )
    nodes.add_argument("--json", action="store_true", help="print the nodes as JSON")
    nodes.set_defaults(run=list_nodes)

    set_node = commands.add_parser(
        "set-node",
        help="set a node's name and metadata",
        description="Replace the name and metadata of a node (the node at --grpc unless --node).",
    )
    add_grpc_option(set_node)
    add_node_option(set_node, "the node to change")
    set_node.add_argument("--name", required=True, help="the new name")
    set_node.add_argument(
        "--metadata",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a text metadata item (repeatable)",
    )
    set_node.add_argument("--json", action="store_true", help="print the node as JSON")
    set_node.set_defaults(run=set_node_details)


def metadata_items(pairs: list[str], option: str) -> dict[str, hub_node_pb2.NodeMetadataItem]:
    items = {}
    for pair in pairs:
        key, separator, value = pair.partition("=")
        if not separator or not key:
            raise CommandFailed(f"{option} {pair!r}: expected KEY=VALUE")
        items[key] = hub_node_pb2.NodeMetadataItem(string_value=value)
    return items


def list_nodes(arguments: argparse.Namespace) -> int:
    if arguments.action == "remove":
        return remove_node(arguments)
    if arguments.target is not None:
        raise CommandFailed(f"nodes: unexpected {arguments.target!r} (did you mean nodes remove?)")
    request = hub_server_pb2.GetNodesRequest(
        metadata_filters=metadata_items(arguments.metadata, "--metadata"),
        service_filters=[SERVICES[name] for name in arguments.service],
    )
    with grpc.insecure_channel(arguments.grpc) as channel:
        stub = hub_server_pb2_grpc.HubServerServiceStub(channel)
        nodes = call("nodes", stub.getNodes, request).nodes
    if arguments.json:
        print(json.dumps([json_format.MessageToDict(node) for node in nodes], indent=2))
        return 0
    for node in nodes:
        print(describe_node(node))
    return 0


def remove_node(arguments: argparse.Namespace) -> int:
    if not arguments.target:
        raise CommandFailed("nodes remove: name the node to remove (its id or name)")
    node_id = resolve_node(arguments.grpc, arguments.target)
    with grpc.insecure_channel(arguments.grpc) as channel:
        stub = hub_server_pb2_grpc.HubServerServiceStub(channel)
        call("nodes remove", stub.removeNode, hub_server_pb2.RemoveNodeRequest(node_id=node_id))
    print(f"removed node {node_id} from the hub")
    return 0


def set_node_details(arguments: argparse.Namespace) -> int:
    request = hub_client_pb2.SetNodeRequest(
        node_id=resolve_node(arguments.grpc, arguments.node),
        name=arguments.name,
        metadata=hub_node_pb2.NodeMetadata(items=metadata_items(arguments.metadata, "--metadata")),
    )
    with grpc.insecure_channel(arguments.grpc) as channel:
        stub = hub_client_pb2_grpc.HubClientServiceStub(channel)
        node = call("set-node", stub.setNode, request).node
    print(
        json.dumps(json_format.MessageToDict(node), indent=2)
        if arguments.json
        else describe_node(node)
    )
    return 0


def describe_node(node: hub_node_pb2.Node) -> str:
    services = ",".join(
        hub_node_pb2.NodeService.Name(service).lower().replace("_", "-")
        for service in node.services
    )
    metadata = " ".join(
        f"{key}={_value(item)}" for key, item in sorted(node.metadata.items.items())
    )
    state = "online" if node.online else "offline"
    return f"{node.id}  {node.name}  [{state}]  services={services or '-'}  {metadata}".rstrip()


def _value(item: hub_node_pb2.NodeMetadataItem) -> str:
    kind = item.WhichOneof("value")
    if kind is None:
        return ""
    value = getattr(item, kind)
    return value.hex() if isinstance(value, bytes) else str(value)


def _answering_node(channel: grpc.Channel) -> list[hub_node_pb2.Node]:
    stub = hub_client_pb2_grpc.HubClientServiceStub(channel)
    try:
        return [stub.getNode(hub_client_pb2.GetNodeRequest()).node]
    except grpc.RpcError:
        return []


def resolve_node(grpc_address: str, node: str) -> str:
    """The id of ``node``, given as an id or as a node's name (names must be unique)."""
    if not node:
        return node
    with grpc.insecure_channel(grpc_address) as channel:
        stub = hub_server_pb2_grpc.HubServerServiceStub(channel)
        try:
            nodes = list(stub.getNodes(hub_server_pb2.GetNodesRequest()).nodes)
        except grpc.RpcError:
            nodes = _answering_node(channel)  # no hub to ask: the node answering is all there is
    if any(candidate.id == node for candidate in nodes):
        return node
    named = [candidate.id for candidate in nodes if candidate.name == node]
    if len(named) == 1:
        return str(named[0])
    if named:
        raise CommandFailed(
            f"--node {node!r}: several nodes have that name ({', '.join(named)}); use an id"
        )
    return node  # unknown here; the API answers NOT_FOUND naming it
