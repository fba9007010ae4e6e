"""Networks, Blueprints and NetworkInstances: API glue over the networks node's controller.

These run on the networks node (the hub); the router carries calls made on other nodes here
and makes them wait while the link to the hub is down. NetworkInstances takes ``node_id`` as
the node whose instances to show (empty: the node the call was made on).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from nanoping.api import network_blueprints_pb2 as blueprints_pb2
from nanoping.api import network_instances_pb2 as instances_pb2
from nanoping.api import networks_pb2
from nanoping.errors import InvalidArgument, NotFound
from nanoping.networks.controller import NetworkController
from nanoping.networks.deployment import pipeline_message
from nanoping.networks.feeds import follow, for_node
from nanoping.networks.records import BlueprintRecord


class NetworksService:
    """Implements ``nanopinggrpc.networks.Networks``."""

    def __init__(self, controller: NetworkController) -> None:
        self._controller = controller

    async def get_network(
        self, request: networks_pb2.GetNetworkRequest
    ) -> networks_pb2.GetNetworkResponse:
        network = self._controller.store.network(request.id)
        return networks_pb2.GetNetworkResponse(id=request.id, network=network)

    async def get_networks(
        self, request: networks_pb2.GetNetworksRequest
    ) -> networks_pb2.GetNetworksResponse:
        found = self._controller.store.networks()
        return networks_pb2.GetNetworksResponse(
            networks=[networks_pb2.GetNetworkResponse(id=i, network=n) for i, n in found]
        )

    async def create_network(
        self, request: networks_pb2.CreateNetworkRequest
    ) -> networks_pb2.CreateNetworkResponse:
        network_id, network = await self._controller.create_network(request.network)
        return networks_pb2.CreateNetworkResponse(id=network_id, network=network)

    async def update_network(
        self, request: networks_pb2.UpdateNetworkRequest
    ) -> networks_pb2.UpdateNetworkResponse:
        if not request.HasField("network"):
            raise InvalidArgument("network is required: send the network's new settings")
        network = await self._controller.update_network(request.id, request.network)
        return networks_pb2.UpdateNetworkResponse(id=request.id, network=network)

    async def delete_network(
        self, request: networks_pb2.DeleteNetworkRequest
    ) -> networks_pb2.DeleteNetworkResponse:
        await self._controller.delete_network(request.id)
        return networks_pb2.DeleteNetworkResponse()

    def stream_networks(
        self, request: networks_pb2.StreamNetworksRequest
    ) -> AsyncIterator[networks_pb2.StreamNetworksEvent]:
        return follow(self._controller.feeds.networks)  # type: ignore[return-value]

    def open_log_stream(
        self, request: networks_pb2.OpenNetworkLogStreamRequest
    ) -> AsyncIterator[networks_pb2.NetworkLogStreamMessages]:
        self._controller.store.network(request.network_id)
        batches = self._controller.activity.stream(request.network_id, _lines(request.options))

        async def messages() -> AsyncIterator[networks_pb2.NetworkLogStreamMessages]:
            async for batch in batches:
                yield networks_pb2.NetworkLogStreamMessages(messages=batch)

        return messages()


class BlueprintsService:
    """Implements ``nanopinggrpc.networks.Blueprints``."""

    def __init__(self, controller: NetworkController) -> None:
        self._controller = controller

    async def get_blueprint(
        self, request: blueprints_pb2.GetBlueprintRequest
    ) -> blueprints_pb2.GetBlueprintResponse:
        return _blueprint_response(self._controller.blueprint(request.id))

    async def get_blueprints(
        self, request: blueprints_pb2.GetBlueprintsRequest
    ) -> blueprints_pb2.GetBlueprintsResponse:
        found = self._controller.blueprints().values()
        return blueprints_pb2.GetBlueprintsResponse(
            blueprints=[_blueprint_response(record) for record in found]
        )

    async def create_blueprint(
        self, request: blueprints_pb2.CreateBlueprintRequest
    ) -> blueprints_pb2.CreateBlueprintResponse:
        record = self._controller.create_blueprint(
            request.blueprint.name, request.blueprint.template
        )
        return blueprints_pb2.CreateBlueprintResponse(id=record.id, blueprint=_blueprint(record))

    async def update_blueprint(
        self, request: blueprints_pb2.UpdateBlueprintRequest
    ) -> blueprints_pb2.UpdateBlueprintResponse:
        record = await self._controller.update_blueprint(
            request.id, request.blueprint.name, request.blueprint.template
        )
        return blueprints_pb2.UpdateBlueprintResponse(id=record.id, blueprint=_blueprint(record))

    async def delete_blueprint(
        self, request: blueprints_pb2.DeleteBlueprintRequest
    ) -> blueprints_pb2.DeleteBlueprintResponse:
        self._controller.delete_blueprint(request.id)
        return blueprints_pb2.DeleteBlueprintResponse()


class NetworkInstancesService:
    """Implements ``nanopinggrpc.networks.NetworkInstances``."""

    def __init__(self, controller: NetworkController) -> None:
        self._controller = controller

    def _node(self, node_id: str) -> str:
        node_id = node_id or self._controller.node_id
        self._controller.require_pipelines_node(node_id)
        return node_id

    async def get_network_instances(
        self, request: instances_pb2.GetNetworkInstancesRequest
    ) -> instances_pb2.GetNetworkInstancesResponse:
        node_id = self._node(request.node_id)
        return instances_pb2.GetNetworkInstancesResponse(
            network_instances=self._controller.instance_messages(node_id)
        )

    async def get_network_pipelines(
        self, request: instances_pb2.GetNetworkPipelinesRequest
    ) -> instances_pb2.GetNetworkPipelinesResponse:
        node_id = self._node(request.node_id)
        wanted = {
            field: getattr(request, f"optional_{field}")
            for field in ("network_id", "instance_id", "blueprint_id")
            if request.HasField(f"optional_{field}")
        }
        matching = [
            pipeline_message(record)
            for record in self._controller.pipelines_of(node_id)
            if all(getattr(record, field) == value for field, value in wanted.items())
        ]
        return instances_pb2.GetNetworkPipelinesResponse(network_pipelines=matching)

    async def toggle_network_pipeline(
        self, request: instances_pb2.ToggleNetworkPipelineRequest
    ) -> instances_pb2.ToggleNetworkPipelineResponse:
        node_id = self._node(request.node_id)
        by_pipeline = request.HasField("optional_pipeline_id")
        by_record = request.HasField("optional_instance_pipeline_id")
        if by_pipeline == by_record:
            raise InvalidArgument(
                "set exactly one of optional_pipeline_id and optional_instance_pipeline_id"
            )
        await self._controller.toggle(
            node_id,
            pipeline_id=request.optional_pipeline_id if by_pipeline else None,
            record_id=request.optional_instance_pipeline_id if by_record else None,
        )
        return instances_pb2.ToggleNetworkPipelineResponse()

    def stream_network_instances(
        self, request: instances_pb2.StreamNetworkInstancesRequest
    ) -> AsyncIterator[instances_pb2.StreamNetworkInstanceEvent]:
        node_id = self._node(request.node_id)
        return for_node(self._controller.feeds.instances, node_id)  # type: ignore[arg-type, return-value]

    def stream_network_pipelines(
        self, request: instances_pb2.StreamNetworkPipelinesRequest
    ) -> AsyncIterator[instances_pb2.StreamNetworkPipelineEvent]:
        node_id = self._node(request.node_id)
        return for_node(self._controller.feeds.pipelines, node_id)  # type: ignore[arg-type, return-value]

    def open_log_stream(
        self, request: instances_pb2.OpenNetworkInstanceLogStreamRequest
    ) -> AsyncIterator[instances_pb2.NetworkInstanceLogStreamMessages]:
        node_id = self._node(request.node_id)
        instance = self._controller.store.instance(request.network_instance_id)
        if instance is None or instance.node_id != node_id:
            raise NotFound(
                f"no network instance {request.network_instance_id[:80]!r} on node {node_id}"
            )
        batches = self._controller.activity.stream(instance.id, _lines(request.options))

        async def messages() -> AsyncIterator[instances_pb2.NetworkInstanceLogStreamMessages]:
            async for batch in batches:
                yield instances_pb2.NetworkInstanceLogStreamMessages(messages=batch)

        return messages()


def _lines(options: object) -> int:
    lines = int(getattr(options, "lines", 0))
    if lines < 0:
        raise InvalidArgument(f"options.lines must not be negative, got {lines}")
    return lines


def _blueprint(record: BlueprintRecord) -> blueprints_pb2.Blueprint:
    return blueprints_pb2.Blueprint(
        name=record.name, template=record.template, read_only=record.read_only
    )


def _blueprint_response(record: BlueprintRecord) -> blueprints_pb2.GetBlueprintResponse:
    return blueprints_pb2.GetBlueprintResponse(id=record.id, blueprint=_blueprint(record))
