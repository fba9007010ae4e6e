"""`np networks ...` and `np blueprints ...`: virtual networks and their blueprints from the shell."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from nanoping.api import (
    network_blueprints_pb2,
    network_blueprints_pb2_grpc,
    network_instances_pb2,
    network_instances_pb2_grpc,
    networks_pb2,
    networks_pb2_grpc,
)
from nanoping.cli.api_client import CommandFailed, add_grpc_option, add_node_option, call
from nanoping.cli.node_commands import resolve_node

ROLES = ("relay_blueprint", "relay_client_blueprint", "client_blueprint")


def add_parsers(commands: Any) -> None:
    _networks(commands)
    _blueprints(commands)


def _networks(commands: Any) -> None:
    parser = commands.add_parser(
        "networks",
        help="manage virtual networks (list, create, show, update, delete, instances)",
        description="Manage the cluster's virtual networks through the gRPC API at --grpc "
        "(any node: calls go to the networks node, the hub).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    _command(actions, "list", "list the networks", _list_networks)
    create = _command(actions, "create", "create a network of every connected node", _create)
    _network_options(create, required=True)
    for name, text, runner in (
        ("show", "show a network", _show),
        ("delete", "delete a network", _delete),
    ):
        _command(actions, name, text, runner).add_argument("id", metavar="ID")
    update = _command(
        actions, "update", "change a network (unset options keep their value)", _update
    )
    update.add_argument("id", metavar="ID")
    _network_options(update, required=False)
    instances = _command(actions, "instances", "show a node's network instances", _instances)
    add_node_option(instances)


def _network_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    parser.add_argument("--name", required=required, help="the network's name")
    parser.add_argument("--subnet", required=required, metavar="CIDR", help="e.g. 100.65.254.0/24")
    parser.add_argument("--parameters", metavar="JSON", help="blueprint parameters, a JSON object")
    for role in ROLES:
        flag = "--" + role.replace("_", "-")
        parser.add_argument(
            flag,
            dest=role,
            metavar="ID",
            help=f"blueprint id ({role.split('_blueprint')[0].replace('_', ' ')} role)",
        )


def _blueprints(commands: Any) -> None:
    parser = commands.add_parser(
        "blueprints",
        help="manage network blueprints (list, show, create, update, delete)",
        description="Manage the blueprints networks are generated from (Go template syntax, "
        "see docs/templates.md).",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    _command(actions, "list", "list the blueprints (built-in ones are read-only)", _list_blueprints)
    for name, text, runner in (
        ("show", "show a blueprint", _show_blueprint),
        ("delete", "delete a blueprint", _delete_blueprint),
    ):
        _command(actions, name, text, runner).add_argument("id", metavar="ID")
    create = _command(
        actions, "create", "create a blueprint from a template file", _create_blueprint
    )
    update = _command(
        actions, "update", "replace a blueprint's name and template", _update_blueprint
    )
    update.add_argument("id", metavar="ID")
    for each in (create, update):
        each.add_argument("--name", required=True, help="the blueprint's name")
        each.add_argument(
            "--template", required=True, type=Path, metavar="FILE", help="the template"
        )


def _command(actions: Any, name: str, text: str, runner: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(name, help=text, description=text)
    add_grpc_option(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=runner)
    return parser


def _call(arguments: argparse.Namespace, stub_type: Any, method: str, request: Message) -> Any:
    with grpc.insecure_channel(arguments.grpc) as channel:
        action = f"{arguments.command} {arguments.action}"
        return call(action, getattr(stub_type(channel), method), request)


def _print(arguments: argparse.Namespace, message: Message, text: str) -> None:
    if arguments.json:
        print(json.dumps(json_format.MessageToDict(message), indent=2))
    else:
        print(text)


# ---- networks ---------------------------------------------------------------------------------


def _describe(network_id: str, network: networks_pb2.Network) -> str:
    lines = [f"{network_id}  {network.name}  {network.subnet_cidr}  relay {network.relay_node_id}"]
    for node in network.nodes:
        role = "relay " if node.type == networks_pb2.NODE_TYPE_RELAY else "client"
        lines.append(f"  {role} {node.node_ip:<15} {node.node_id}")
    return "\n".join(lines)


def _list_networks(arguments: argparse.Namespace) -> int:
    reply = _call(
        arguments, networks_pb2_grpc.NetworksStub, "getNetworks", networks_pb2.GetNetworksRequest()
    )
    if arguments.json:
        print(json.dumps([json_format.MessageToDict(item) for item in reply.networks], indent=2))
        return 0
    for item in reply.networks:
        print(_describe(item.id, item.network))
    return 0


def _show(arguments: argparse.Namespace) -> int:
    reply = _call(
        arguments,
        networks_pb2_grpc.NetworksStub,
        "getNetwork",
        networks_pb2.GetNetworkRequest(id=arguments.id),
    )
    _print(arguments, reply, _describe(reply.id, reply.network))
    return 0


def _apply_options(network: networks_pb2.Network, arguments: argparse.Namespace) -> None:
    if arguments.name is not None:
        network.name = arguments.name
    if arguments.subnet is not None:
        network.subnet_cidr = arguments.subnet
    if arguments.parameters is not None:
        network.parameters = arguments.parameters
    for role in ROLES:
        if getattr(arguments, role) is not None:
            setattr(network.blueprints, role, getattr(arguments, role))


def _create(arguments: argparse.Namespace) -> int:
    network = networks_pb2.Network()
    _apply_options(network, arguments)
    reply = _call(
        arguments,
        networks_pb2_grpc.NetworksStub,
        "createNetwork",
        networks_pb2.CreateNetworkRequest(network=network),
    )
    _print(arguments, reply, _describe(reply.id, reply.network))
    return 0


def _update(arguments: argparse.Namespace) -> int:
    current = _call(
        arguments,
        networks_pb2_grpc.NetworksStub,
        "getNetwork",
        networks_pb2.GetNetworkRequest(id=arguments.id),
    )
    network = current.network
    del network.nodes[:]  # empty keeps the members as they are
    _apply_options(network, arguments)
    request = networks_pb2.UpdateNetworkRequest(id=arguments.id, network=network)
    reply = _call(arguments, networks_pb2_grpc.NetworksStub, "updateNetwork", request)
    _print(arguments, reply, _describe(reply.id, reply.network))
    return 0


def _delete(arguments: argparse.Namespace) -> int:
    _call(
        arguments,
        networks_pb2_grpc.NetworksStub,
        "deleteNetwork",
        networks_pb2.DeleteNetworkRequest(id=arguments.id),
    )
    if not arguments.json:
        print(f"deleted network {arguments.id}")
    return 0


def _instances(arguments: argparse.Namespace) -> int:
    node = resolve_node(arguments.grpc, arguments.node)
    stub = network_instances_pb2_grpc.NetworkInstancesStub
    instances = _call(
        arguments,
        stub,
        "getNetworkInstances",
        network_instances_pb2.GetNetworkInstancesRequest(node_id=node),
    )
    pipelines = _call(
        arguments,
        stub,
        "getNetworkPipelines",
        network_instances_pb2.GetNetworkPipelinesRequest(node_id=node),
    )
    if arguments.json:
        print(json.dumps({"networkInstances": [json_format.MessageToDict(i) for i in instances.network_instances],
                          "networkPipelines": [json_format.MessageToDict(p) for p in pipelines.network_pipelines]}, indent=2))  # fmt: skip
        return 0
    for instance in instances.network_instances:
        print(f"{instance.id}  network {instance.network_name} ({instance.network_id})")
        for pipeline in pipelines.network_pipelines:
            if pipeline.instance_id == instance.id:
                state = "enabled " if pipeline.enabled else "disabled"
                print(
                    f"  {state} {pipeline.pipeline_name}  pipeline {pipeline.pipeline_id}  blueprint {pipeline.blueprint_id}"
                )
    return 0


# ---- blueprints -------------------------------------------------------------------------------


def _blueprint_line(blueprint_id: str, blueprint: network_blueprints_pb2.Blueprint) -> str:
    return f"{blueprint_id}  {blueprint.name}{'  (built in, read-only)' if blueprint.read_only else ''}"


def _list_blueprints(arguments: argparse.Namespace) -> int:
    reply = _call(
        arguments,
        network_blueprints_pb2_grpc.BlueprintsStub,
        "getBlueprints",
        network_blueprints_pb2.GetBlueprintsRequest(),
    )
    if arguments.json:
        print(json.dumps([json_format.MessageToDict(item) for item in reply.blueprints], indent=2))
        return 0
    for item in reply.blueprints:
        print(_blueprint_line(item.id, item.blueprint))
    return 0


def _show_blueprint(arguments: argparse.Namespace) -> int:
    request = network_blueprints_pb2.GetBlueprintRequest(id=arguments.id)
    reply = _call(arguments, network_blueprints_pb2_grpc.BlueprintsStub, "getBlueprint", request)
    _print(
        arguments,
        reply,
        f"{_blueprint_line(reply.id, reply.blueprint)}\n{reply.blueprint.template}",
    )
    return 0


def _template(arguments: argparse.Namespace) -> network_blueprints_pb2.BlueprintWrite:
    try:
        text = arguments.template.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandFailed(
            f"blueprints {arguments.action}: --template {arguments.template}: "
            f"{getattr(error, 'strerror', None) or error}"
        ) from None
    return network_blueprints_pb2.BlueprintWrite(name=arguments.name, template=text)


def _create_blueprint(arguments: argparse.Namespace) -> int:
    request = network_blueprints_pb2.CreateBlueprintRequest(blueprint=_template(arguments))
    reply = _call(arguments, network_blueprints_pb2_grpc.BlueprintsStub, "createBlueprint", request)
    _print(arguments, reply, _blueprint_line(reply.id, reply.blueprint))
    return 0


def _update_blueprint(arguments: argparse.Namespace) -> int:
    request = network_blueprints_pb2.UpdateBlueprintRequest(
        id=arguments.id, blueprint=_template(arguments)
    )
    reply = _call(arguments, network_blueprints_pb2_grpc.BlueprintsStub, "updateBlueprint", request)
    _print(arguments, reply, _blueprint_line(reply.id, reply.blueprint))
    return 0


def _delete_blueprint(arguments: argparse.Namespace) -> int:
    request = network_blueprints_pb2.DeleteBlueprintRequest(id=arguments.id)
    _call(arguments, network_blueprints_pb2_grpc.BlueprintsStub, "deleteBlueprint", request)
    if not arguments.json:
        print(f"deleted blueprint {arguments.id}")
    return 0
