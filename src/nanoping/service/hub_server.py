"""HubServerService on the node hosting the hub: the registry and join approvals."""

from __future__ import annotations

from collections.abc import AsyncIterator

from nanoping.api import hub_server_pb2
from nanoping.errors import FailedPrecondition
from nanoping.hub.server import HubServer


class HubServerService:
    """Implements ``nanopinggrpc.hub.HubServerService`` where the hub runs.

    Other nodes reach it through their link (the router carries their calls here).
    """

    def __init__(self, *, hub: HubServer) -> None:
        self._hub = hub

    async def get_nodes(
        self, request: hub_server_pb2.GetNodesRequest
    ) -> hub_server_pb2.GetNodesResponse:
        nodes = self._hub.registry.matching(request.metadata_filters, request.service_filters)
        return hub_server_pb2.GetNodesResponse(nodes=nodes)

    async def remove_node(
        self, request: hub_server_pb2.RemoveNodeRequest
    ) -> hub_server_pb2.RemoveNodeResponse:
        self._hub.registry.remove(request.node_id)
        self._hub.drop(request.node_id, "removed from the hub")
        return hub_server_pb2.RemoveNodeResponse()

    async def stream_nodes(
        self, request: hub_server_pb2.GetNodesRequest
    ) -> AsyncIterator[hub_server_pb2.StreamNodesResponse]:
        async for response in self._hub.registry.watch(
            request.metadata_filters, request.service_filters
        ):
            yield response

    async def authentication_by_requests(
        self, answers: AsyncIterator[hub_server_pb2.AuthenticationByRequestAnswer]
    ) -> AsyncIterator[hub_server_pb2.AuthenticationByRequestRequest]:
        if self._hub.join_timeout is None:
            raise FailedPrecondition(
                "this hub server does not accept authentication by request "
                "(hubServer.authenticationByRequest is not configured)"
            )
        async for request in self._hub.join_requests.approve(answers):
            yield request
