"""HubClientService: the API node's identity, details and link to a hub server."""

from __future__ import annotations

from collections.abc import AsyncIterator

from nanoping.api import hub_client_pb2, hub_node_pb2
from nanoping.errors import NotFound
from nanoping.node.connection_state import ConnectionStateWatch
from nanoping.node.local_node import LocalNode


class HubClientService:
    """Implements ``nanopinggrpc.hub.HubClientService`` for this node."""

    def __init__(self, *, local_node: LocalNode, connection: ConnectionStateWatch) -> None:
        self._local = local_node
        self._connection = connection

    async def get_local_node_id(
        self, request: hub_client_pb2.GetLocalNodeIdRequest
    ) -> hub_client_pb2.GetLocalNodeIdResponse:
        return hub_client_pb2.GetLocalNodeIdResponse(
            node_id=self._local.id, is_authenticated=self._connection.is_authenticated
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
        return hub_client_pb2.SetNodeResponse(node=self._local_proto())

    async def stream_connection_state(
        self, request: hub_client_pb2.StreamConnectionStateRequest
    ) -> AsyncIterator[hub_client_pb2.StreamConnectionStateResponse]:
        async for state in self._connection.watch():
            yield hub_client_pb2.StreamConnectionStateResponse(state=state)

    def _local_proto(self) -> hub_node_pb2.Node:
        return self._local.as_proto(online=self._connection.is_online)

    def _require_local(self, node_id: str) -> None:
        if node_id and node_id != self._local.id:
            raise NotFound(
                f"node {node_id} is unknown: this node is not joined to a hub, "
                f"and its own id is {self._local.id}"
            )
