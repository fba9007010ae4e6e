"""`np status`, `np down` and `np leave`: a node's state, stopping it, and leaving its hub.

`status` and `down` find the node through its data dir (the node publishes its pid, id and
listeners there while it runs), so they work even when the node serves no API; `leave` talks
to a node's gRPC API like the other client commands.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import grpc

from nanoping.api import hub_client_pb2, hub_client_pb2_grpc, pipelines_pb2, pipelines_pb2_grpc
from nanoping.cli.api_client import CommandFailed, add_grpc_option, call, wait_for_node
from nanoping.node.data_dir import ENV_VARIABLE, resolve_data_dir, running_node

DOWN_WAIT = 30.0
"""Default seconds `np down` waits for the node to stop."""
STATUS_CALL_WAIT = 3.0
"""Seconds `np status` gives each question it asks the node's API."""


def add_parsers(commands: Any) -> None:
    status = commands.add_parser(
        "status",
        help="show the node running on a data dir: id, listeners, hub link, runs",
        description="Show the node that runs on the data dir: its pid, id, name, listeners, "
        "and (when it serves the gRPC API) its hub link state and running pipelines. Exit "
        "status 3 when no node runs there.",
    )
    _add_data_dir(status)
    status.add_argument("--json", action="store_true", help="print one JSON object")
    status.set_defaults(run=show_status)

    down = commands.add_parser(
        "down",
        help="stop the node running on a data dir",
        description="Ask the node that runs on the data dir to stop (SIGTERM, the same as "
        "Ctrl-C in its terminal) and wait until it has stopped.",
    )
    _add_data_dir(down)
    down.add_argument(
        "--timeout",
        type=float,
        default=DOWN_WAIT,
        metavar="SECONDS",
        help=f"how long to wait for the node to stop (default: {DOWN_WAIT:g})",
    )
    down.set_defaults(run=stop_node)

    leave = commands.add_parser(
        "leave",
        help="make a node leave its hub (it forgets its credential)",
        description="Make the node at --grpc leave its hub: the hub removes it and the node "
        "forgets its credential; it can join again with `np authenticate-by-request`.",
    )
    add_grpc_option(leave)
    leave.set_defaults(run=leave_hub)


def _add_data_dir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=f"the node's data dir (default: ${ENV_VARIABLE}, else the user data dir)",
    )


def _running(arguments: argparse.Namespace, action: str) -> tuple[Path, dict[str, Any]]:
    path = resolve_data_dir(arguments.data_dir).expanduser().absolute()
    node = running_node(path)
    if node is None:
        raise NoNodeRunning(f"{action}: no node is running on data dir '{path}'")
    return path, node


class NoNodeRunning(CommandFailed):
    """No node holds the data dir (exit status 3, like service managers' "not running")."""

    exit_code = 3


def show_status(arguments: argparse.Namespace) -> int:
    try:
        path, node = _running(arguments, "status")
    except NoNodeRunning as error:
        print(f"np: {error}", file=sys.stderr)
        return NoNodeRunning.exit_code
    grpc_address = node.get("listening", {}).get("gRPC API")
    if grpc_address:
        node.update(_ask(grpc_address))
    node["dataDir"] = str(path)
    if arguments.json:
        print(json.dumps(node, indent=2))
    else:
        _print_status(node)
    return 0


def _ask(grpc_address: str) -> dict[str, Any]:
    """Hub link state and running pipelines, from the node's own API."""
    answers: dict[str, Any] = {}
    with grpc.insecure_channel(grpc_address) as channel:
        hub_client = hub_client_pb2_grpc.HubClientServiceStub(channel)
        try:
            node = hub_client.getNode(hub_client_pb2.GetNodeRequest(), timeout=STATUS_CALL_WAIT)
            answers["name"] = node.node.name
            states = hub_client.streamConnectionState(
                hub_client_pb2.StreamConnectionStateRequest(), timeout=STATUS_CALL_WAIT
            )
            state = next(iter(states)).state
            states.cancel()
            answers["hubLink"] = hub_client_pb2.ConnectionState.Name(state).lower()
            pipelines = pipelines_pb2_grpc.PipelinesServiceStub(channel).getPipelines(
                pipelines_pb2.GetPipelinesRequest(), timeout=STATUS_CALL_WAIT
            )
            answers["runs"] = [
                {"pipeline": p.name, "pipelineId": p.id, "run": p.current_run}
                for p in pipelines.pipelines
                if p.started
            ]
        except grpc.RpcError as error:
            answers["apiError"] = f"{error.code().name}: {error.details()}"
    return answers


def _print_status(node: dict[str, Any]) -> None:
    print(f"node {node.get('id', '?')} ({node.get('name', '?')}) is running as pid {node['pid']}")
    print(f"  data dir: {node['dataDir']}")
    for role, address in node.get("listening", {}).items():
        print(f"  {role}: {address}")
    if not node.get("listening"):
        print("  serves no API (start it with --grpc HOST:PORT to manage it)")
    if "hubLink" in node:
        print(f"  hub link: {node['hubLink']}")
    if "apiError" in node:
        print(f"  its API did not answer: {node['apiError']}")
    runs = node.get("runs")
    if runs is not None:
        print(f"  running pipelines: {len(runs)}")
        for run in runs:
            print(f"    {run['pipeline']} ({run['pipelineId']}): run {run['run']}")


def stop_node(arguments: argparse.Namespace) -> int:
    path, node = _running(arguments, "down")
    pid = node.get("pid")
    if not isinstance(pid, int):
        raise CommandFailed(f"down: the lock file of '{path}' names no pid")
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        raise CommandFailed(f"down: the node's process {pid} is gone") from None
    deadline = time.monotonic() + arguments.timeout
    while running_node(path) is not None:
        if time.monotonic() > deadline:
            raise CommandFailed(
                f"down: node pid {pid} did not stop within {arguments.timeout:g} s "
                "(it may be waiting for its runs to stop; run np down again to ask again)"
            )
        time.sleep(0.05)
    print(f"node {node.get('id', '?')} (pid {pid}) stopped")
    return 0


def leave_hub(arguments: argparse.Namespace) -> int:
    with grpc.insecure_channel(arguments.grpc) as channel:
        wait_for_node(channel, arguments.grpc, "leave")
        stub = hub_client_pb2_grpc.HubClientServiceStub(channel)
        identity = call("leave", stub.getLocalNodeId, hub_client_pb2.GetLocalNodeIdRequest())
        if not identity.is_authenticated:
            raise CommandFailed("leave: this node has not joined a hub")
        call("leave", stub.disconnect, hub_client_pb2.DisconnectRequest())
    print(f"node {identity.node_id} left its hub")
    return 0
