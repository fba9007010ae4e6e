"""HubClientService: the API node's identity, details and link to a hub server."""

from __future__ import annotations

from collections.abc import AsyncIterator

from nanoping.api import hub_client_pb2, hub_node_pb2
from nanoping.errors import FailedPrecondition, NotFound
from nanoping.hub.client import HubClient
from nanoping.node.connection_state import ConnectionStateWatch
from nanoping.node.local_node import LocalNode
from nanoping.quoting import quoted


class HubClientService:
    """Implements ``nanopinggrpc.hub.HubClientService`` for this node.

    Calls naming another node never reach this class: the router sends them to that node.
    """

    def __init__(
        self,
        *,
        local_node: LocalNode,
        connection: ConnectionStateWatch,
        hub_client: HubClient,
        hosts_hub: bool,
    ) -> None:
        self._local = local_node
        self._connection = connection
        self._hub_client = hub_client
        self._hosts_hub = hosts_hub

    async def get_local_node_id(
        self, request: hub_client_pb2.GetLocalNodeIdRequest
    ) -> hub_client_pb2.GetLocalNodeIdResponse:
        return hub_client_pb2.GetLocalNodeIdResponse(
            node_id=self._local.id,
            is_authenticated=self._hosts_hub or self._hub_client.membership is not None,
        )

    async def get_node(
        self, request: hub_client_pb2.GetNodeRequest
    ) -> hub_client_pb2.GetNodeResponse:
        self._require_local(request.node_id)
        return hub_client_pb2.GetNodeResponse(node=self._local_proto())

    async def set_node(
        self, request: hub_client_pb2.SetNodeRequest
    ) -> hub_client_pb2.SetNodeResponse:
        self._require_local(request.node_id)
        self._local.set_details(name=request.name, metadata=request.metadata)
        self._hub_client.node_details_changed()
        return hub_client_pb2.SetNodeResponse(node=self._local_proto())

    async def authenticate_by_request(
        self, request: hub_client_pb2.AuthenticateByRequestRequest
    ) -> hub_client_pb2.AuthenticateByRequestResponse:
        if self._hosts_hub:
            raise FailedPrecondition("this node hosts a hub server and cannot join another hub")
        await self._hub_client.authenticate_by_request(request.hub_server_address)
        return hub_client_pb2.AuthenticateByRequestResponse()

    async def disconnect(
        self, request: hub_client_pb2.DisconnectRequest
    ) -> hub_client_pb2.DisconnectResponse:
        if self._hosts_hub:
            raise FailedPrecondition("this node hosts the hub server; it cannot leave its own hub")
        await self._hub_client.disconnect()
        return hub_client_pb2.DisconnectResponse()

    async def stream_connection_state(
        self, request: hub_client_pb2.StreamConnectionStateRequest
    ) -> AsyncIterator[hub_client_pb2.StreamConnectionStateResponse]:
        async for state in self._connection.watch():
            yield hub_client_pb2.StreamConnectionStateResponse(state=state)

    def _local_proto(self) -> hub_node_pb2.Node:
        return self._local.as_proto(online=self._connection.is_online)

    def _require_local(self, node_id: str) -> None:
        if node_id and node_id != self._local.id:
            raise NotFound(f"node {quoted(node_id)} is not this node ({self._local.id})")
