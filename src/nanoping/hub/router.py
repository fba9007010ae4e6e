"""Where each API call runs: on this node, or on another node of the cluster through the hub.

Every door (gRPC bridge, REST gateway) serves the *routed* table built here; a link's call
executor serves the local table, since a call arriving over a link has already been routed.

Rules, by method:
- HubClientService getLocalNodeId, authenticateByRequest, disconnect, streamConnectionState:
  always this node.
- HubServerService: this node when it hosts the hub, else the hub through this node's link;
  a node with neither answers FAILED_PRECONDITION.
- Every other method names its node in the request's ``node_id``: empty or this node's id runs
  here; another id goes through the hub (unknown node NOT_FOUND, offline UNAVAILABLE).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from google.protobuf.message import Message

from nanoping.errors import FailedPrecondition, NotFound, Unavailable
from nanoping.hub import remote_call
from nanoping.hub.client import HubClient
from nanoping.hub.link_session import LinkSession
from nanoping.hub.server import HubServer
from nanoping.service.method_table import Handler, Method, MethodKind, MethodTable

HUB_SERVER_SERVICE = "nanopinggrpc.hub.HubServerService"
ALWAYS_LOCAL = frozenset(
    {
        "/nanopinggrpc.hub.HubClientService/getLocalNodeId",
        "/nanopinggrpc.hub.HubClientService/authenticateByRequest",
        "/nanopinggrpc.hub.HubClientService/disconnect",
        "/nanopinggrpc.hub.HubClientService/streamConnectionState",
    }
)


class CallRouter:
    """Builds the routed method table of a node."""

    def __init__(
        self,
        *,
        local: MethodTable,
        local_node_id: str,
        hub: HubServer | None,
        hub_client: HubClient,
    ) -> None:
        self._local = local
        self._local_node_id = local_node_id
        self._hub = hub
        self._hub_client = hub_client

    def table(self) -> MethodTable:
        """The table the API doors serve."""
        return MethodTable({method.path: self._routed(method) for method in self._local})

    def _routed(self, method: Method) -> Method:
        if method.path in ALWAYS_LOCAL:
            return method
        if method.service == HUB_SERVER_SERVICE:
            handler = self._to_hub(method)
        elif "node_id" in method.request_type.DESCRIPTOR.fields_by_name:
            handler = self._to_named_node(method)
        else:
            return method
        return Method(
            service=method.service,
            name=method.name,
            kind=method.kind,
            request_type=method.request_type,
            response_type=method.response_type,
            handler=handler,
            implemented=method.implemented,
        )

    # -- HubServerService: the hub, wherever it is ------------------------------------------

    def _to_hub(self, method: Method) -> Handler:
        if method.kind is MethodKind.UNARY:

            async def unary(request: Message) -> Message:
                session = self._hub_session()
                if session is None:
                    response: Message = await method.handler(request)  # type: ignore[misc]
                    return response
                return await remote_call.unary(session, method, request, target_node_id="")

            return unary

        def streaming(requests: Any) -> AsyncIterator[Message]:
            session = self._hub_session()
            if session is None:
                return method.handler(requests)  # type: ignore[return-value]
            if method.kind is MethodKind.SERVER_STREAMING:
                requests = remote_call.single(requests)
            return remote_call.stream(session, method, requests, target_node_id="")

        return _checked_stream(streaming)

    def _hub_session(self) -> LinkSession | None:
        """None when this node hosts the hub (serve locally), else its link to the hub."""
        if self._hub is not None:
            return None
        if self._hub_client.membership is None:
            raise FailedPrecondition(
                "this node neither hosts a hub server nor is authenticated with one"
            )
        return self._connected_session()

    # -- node-scoped services: the node named in the request --------------------------------

    def _to_named_node(self, method: Method) -> Handler:
        if method.kind is MethodKind.UNARY:

            async def unary(request: Message) -> Message:
                target = _node_id(request)
                if self._is_local(target):
                    response: Message = await method.handler(request)  # type: ignore[misc]
                    return response
                session, via = self._route_to(target)
                return await remote_call.unary(session, method, request, target_node_id=via)

            return unary

        def streaming(request: Message) -> AsyncIterator[Message]:
            target = _node_id(request)
            if self._is_local(target):
                return method.handler(request)  # type: ignore[return-value]
            session, via = self._route_to(target)
            return remote_call.stream(
                session, method, remote_call.single(request), target_node_id=via
            )

        return _checked_stream(streaming)

    def _is_local(self, node_id: str) -> bool:
        return not node_id or node_id == self._local_node_id

    def _route_to(self, node_id: str) -> tuple[LinkSession, str]:
        """The link to use for ``node_id`` and the target to name on it."""
        if self._hub is not None:
            return self._hub.session(node_id), ""
        if self._hub_client.membership is None:
            raise NotFound(
                f"node {node_id} is unknown: this node is not joined to a hub "
                f"(its own id is {self._local_node_id})"
            )
        return self._connected_session(), node_id

    def _connected_session(self) -> LinkSession:
        session = self._hub_client.session
        if session is None or not session.is_open:
            raise Unavailable("this node is not connected to its hub right now; try again shortly")
        return session


def _node_id(request: Message) -> str:
    return str(getattr(request, "node_id"))  # noqa: B009 - the field is checked by the caller


def _checked_stream(open_stream: Callable[[Any], AsyncIterator[Message]]) -> Handler:
    """A streaming handler whose routing errors surface when iteration starts."""

    async def handler(request: Any) -> AsyncIterator[Message]:
        async for response in open_stream(request):
            yield response

    return handler
