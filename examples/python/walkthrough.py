"""The gRPC integration guide's walkthrough, in Python, with stubs generated from our protos.

Start a controller and a client node first (see README.md in this folder), then run:

    python examples/python/walkthrough.py

It names the client, joins it to the controller's hub (accepting the request on the
controller), watches the client's connection state, lists the nodes (all, by metadata, by
service), and creates, updates, reads and deletes a pipeline on every pipeline node while
watching that node's pipeline events. Running it again works too: the client is then already
authenticated, which the guide ignores.
"""

from __future__ import annotations

import argparse
import queue
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc

from nanoping.api import (
    hub_client_pb2,
    hub_client_pb2_grpc,
    hub_node_pb2,
    hub_server_pb2,
    hub_server_pb2_grpc,
    logging_pb2,
    pipelines_pb2,
    pipelines_pb2_grpc,
)

_OUTPUT = threading.Lock()


def say(text: str = "") -> None:
    """Print one whole line; background threads print too, so lines must not interleave."""
    with _OUTPUT:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


PIPELINE_CONFIG = (Path(__file__).parent / "pipeline_config.json").read_text()
ALREADY_AUTHENTICATED = "Client is already authenticated"


def set_client_node_information(client: grpc.Channel) -> None:
    """Name the client and give it metadata (a controller takes both from its config file)."""
    hub_client = hub_client_pb2_grpc.HubClientServiceStub(client)
    metadata = hub_node_pb2.NodeMetadata(
        items={
            "type": hub_node_pb2.NodeMetadataItem(string_value="my-type"),
            "reference": hub_node_pb2.NodeMetadataItem(string_value="my-reference"),
            "location": hub_node_pb2.NodeMetadataItem(string_value="Denmark, Aalborg"),
            "random_zero_bytes": hub_node_pb2.NodeMetadataItem(bytes_value=bytes(10)),
        }
    )
    reply = hub_client.setNode(
        hub_client_pb2.SetNodeRequest(name="My NanoPing Client", metadata=metadata)
    )
    say(f"Updated client {reply.node.id} with node information")


def accept_authentication_requests(controller: grpc.Channel) -> threading.Thread:
    """Answer the next join request on the controller with 'accept', in the background."""
    hub_server = hub_server_pb2_grpc.HubServerServiceStub(controller)
    answers: queue.Queue[hub_server_pb2.AuthenticationByRequestAnswer] = queue.Queue()

    def outgoing() -> Iterator[hub_server_pb2.AuthenticationByRequestAnswer]:
        yield answers.get()

    stream = hub_server.authenticationByRequests(outgoing())
    stream.initial_metadata()  # the hub now pushes requests to this stream

    def accept_one() -> None:
        try:
            request = next(stream)
            answers.put(
                hub_server_pb2.AuthenticationByRequestAnswer(
                    request_id=request.request_id, accept=True
                )
            )
            for _ in stream:  # holds the call open until the hub has taken the answer
                pass
        except grpc.RpcError:
            return

    worker = threading.Thread(target=accept_one, daemon=True)
    worker.start()
    return worker


def authenticate_client(client: grpc.Channel, controller_http_address: str) -> None:
    """Join the client to the hub; blocks until the request is accepted, rejected or times out."""
    hub_client = hub_client_pb2_grpc.HubClientServiceStub(client)
    try:
        hub_client.authenticateByRequest(
            hub_client_pb2.AuthenticateByRequestRequest(hub_server_address=controller_http_address)
        )
    except grpc.RpcError as error:
        already = (
            error.code() == grpc.StatusCode.ALREADY_EXISTS
            and error.details() == ALREADY_AUTHENTICATED
        )
        if not already:
            raise
    say("Authenticated with the Hub Server")


def observe_connection_state(client: grpc.Channel, connected: threading.Event) -> None:
    """Print every connection state of the client; set ``connected`` once it is CONNECTED."""
    hub_client = hub_client_pb2_grpc.HubClientServiceStub(client)
    stream = hub_client.streamConnectionState(hub_client_pb2.StreamConnectionStateRequest())

    def follow() -> None:
        try:
            for message in stream:
                say(f"Connection state: {hub_client_pb2.ConnectionState.Name(message.state)}\n")
                if message.state == hub_client_pb2.CONNECTED:
                    connected.set()
        except grpc.RpcError:
            return

    threading.Thread(target=follow, daemon=True).start()


def print_nodes(
    client: grpc.Channel, title: str, request: hub_server_pb2.GetNodesRequest
) -> list[hub_node_pb2.Node]:
    hub_server = hub_server_pb2_grpc.HubServerServiceStub(client)
    nodes = list(hub_server.getNodes(request).nodes)
    say(title)
    for node in nodes:
        say(f" Node: {node.name}")
    say()
    return nodes


def observe_pipeline_events(client: grpc.Channel, node_id: str) -> None:
    """Print each create/update/delete event of the node's pipelines as it arrives."""
    say(f"Observing pipeline events for node {node_id}")
    pipelines = pipelines_pb2_grpc.PipelinesServiceStub(client)
    stream = pipelines.streamPipelines(pipelines_pb2.StreamPipelinesRequest(node_id=node_id))
    stream.initial_metadata()  # subscribed: no later change is missed

    def follow() -> None:
        try:
            for event in stream:
                kind = event.WhichOneof("event")
                say(f"Received {kind} event: {getattr(event, kind).pipeline.id}")
        except grpc.RpcError:
            return

    threading.Thread(target=follow, daemon=True).start()


def do_pipeline_crud_operations(client: grpc.Channel, nodes: list[hub_node_pb2.Node]) -> None:
    pipelines = pipelines_pb2_grpc.PipelinesServiceStub(client)
    for node in nodes:
        say(f"Doing CRUD pipeline operations on node {node.name}")
        created = pipelines.createPipeline(
            pipelines_pb2.CreatePipelineRequest(
                node_id=node.id,
                json_config=PIPELINE_CONFIG,
                name="My First Pipeline",
                default_logging_level=logging_pb2.DEBUG,
                restart_policy=pipelines_pb2.RestartPolicy(
                    on_failure=pipelines_pb2.RestartPolicyOnFailure(max_restarts=3)
                ),
                instructions_timeout=15,
            )
        ).pipeline
        say(f" Created pipeline {created.name} with id {created.id}")
        updated = pipelines.updatePipeline(
            pipelines_pb2.UpdatePipelineRequest(
                node_id=node.id,
                id=created.id,
                json_config=created.json_config,
                name="My Updated Pipeline",
                restart_policy=created.restart_policy,
                default_logging_level=created.default_logging_level,
                instructions_timeout=created.instructions_timeout,
            )
        ).pipeline
        say(f" Updated pipeline to name {updated.name} for id {updated.id}")
        fetched = pipelines.getPipelineById(
            pipelines_pb2.GetPipelineByIdRequest(node_id=node.id, id=updated.id)
        ).pipeline
        say(f" Got pipeline by id {fetched.id} with name {fetched.name}")
        pipelines.deletePipeline(
            pipelines_pb2.DeletePipelineRequest(node_id=node.id, id=fetched.id)
        )
        say(f" Deleted pipeline with id {fetched.id}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description="The NanoPing gRPC integration walkthrough.")
    parser.add_argument("--client", default="127.0.0.1:10432", help="the client node's gRPC API")
    parser.add_argument("--controller", default="127.0.0.1:10564", help="the controller's gRPC API")
    parser.add_argument(
        "--hub", default="http://127.0.0.1:8769", help="the controller's HTTP address"
    )
    arguments = parser.parse_args()
    with (
        grpc.insecure_channel(arguments.client) as client,
        grpc.insecure_channel(arguments.controller) as controller,
    ):
        connected = threading.Event()
        observe_connection_state(client, connected)
        time.sleep(0.2)  # let the first state print before the rest, as in the guide
        set_client_node_information(client)
        accept_authentication_requests(controller)
        authenticate_client(client, arguments.hub)
        if not connected.wait(timeout=30):
            raise SystemExit("the client did not connect to the hub within 30 s")
        print_nodes(client, "All nodes:", hub_server_pb2.GetNodesRequest())
        by_type = hub_server_pb2.GetNodesRequest(
            metadata_filters={"type": hub_node_pb2.NodeMetadataItem(string_value="my-type")}
        )
        print_nodes(client, "Nodes with metadata type=my-type:", by_type)
        with_pipelines = hub_server_pb2.GetNodesRequest(service_filters=[hub_node_pb2.PIPELINES])
        pipeline_nodes = print_nodes(
            client, "Nodes with Pipelines service enabled:", with_pipelines
        )
        for node in pipeline_nodes:
            observe_pipeline_events(client, node.id)
        do_pipeline_crud_operations(client, pipeline_nodes)
        time.sleep(0.5)  # let the last events print


if __name__ == "__main__":
    main()
