"""Where each API call runs: on this node, or on another node of the cluster through the hub.

Every door (gRPC bridge, REST gateway) serves the *routed* table built here; a link's call
executor serves the local table, since a call arriving over a link has already been routed.

Where each service runs is the table :data:`PLACEMENTS` (with per-method exceptions in
:data:`METHOD_PLACEMENTS`); every service of the API has an entry:
- ``HERE``: always this node (HubClientService getLocalNodeId, authenticateByRequest,
  disconnect, streamConnectionState).
- ``HUB``: this node when it hosts the hub, else the hub through this node's link; a node with
  neither answers FAILED_PRECONDITION (HubServerService).
- ``NETWORKS``: the networks node, which is the node hosting the hub (networks are enabled
  there by default). Unlike ``HUB``, a member whose link is down *waits* for it to come back
  instead of answering UNAVAILABLE, as the reference says (Networks, Blueprints,
  NetworkInstances; the last takes ``node_id`` as the node whose instances to show).
- ``NAMED_NODE``: the request's ``node_id``: empty or this node's id runs here; another id goes
  through the hub (unknown node NOT_FOUND, offline UNAVAILABLE).
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from google.protobuf.message import Message

from nanoping.errors import FailedPrecondition, NotFound, Unavailable
from nanoping.hub import remote_call
from nanoping.hub.client import HubClient
from nanoping.hub.link_session import LinkSession
from nanoping.hub.server import HubServer
from nanoping.service.method_table import Handler, Method, MethodKind, MethodTable
from nanoping.service.stream_start import OpenedLater


class Placement(enum.Enum):
    """Where the calls of a service run."""

    HERE = "this node"
    HUB = "the node hosting the hub"
    NETWORKS = "the networks node (the hub), waiting for the link"
    NAMED_NODE = "the node named by the request's node_id"


PLACEMENTS: Mapping[str, Placement] = {
    "nanopinggrpc.hub.HubClientService": Placement.NAMED_NODE,
    "nanopinggrpc.hub.HubServerService": Placement.HUB,
    "nanopinggrpc.hub.ConfigService": Placement.NAMED_NODE,
    "nanopinggrpc.logging.LoggingService": Placement.NAMED_NODE,
    "nanopinggrpc.networks.Networks": Placement.NETWORKS,
    "nanopinggrpc.networks.Blueprints": Placement.NETWORKS,
    "nanopinggrpc.networks.NetworkInstances": Placement.NETWORKS,
    "nanopinggrpc.pipeline.PipelinesService": Placement.NAMED_NODE,
    "nanopinggrpc.resources.ResourcesService": Placement.NAMED_NODE,
    # Ours, not the public API: the run history `np pipelines runs` reads, on the named node.
    "nanoping.internal.RunHistoryService": Placement.NAMED_NODE,
}
"""Where each service of the API runs."""

METHOD_PLACEMENTS: Mapping[str, Placement] = {
    "/nanopinggrpc.hub.HubClientService/getLocalNodeId": Placement.HERE,
    "/nanopinggrpc.hub.HubClientService/authenticateByRequest": Placement.HERE,
    "/nanopinggrpc.hub.HubClientService/disconnect": Placement.HERE,
    "/nanopinggrpc.hub.HubClientService/streamConnectionState": Placement.HERE,
}
"""Methods placed differently from the rest of their service."""


def placement(method: Method) -> Placement:
    """Where ``method`` runs; a service missing from the table is a programming error."""
    found = METHOD_PLACEMENTS.get(method.path) or PLACEMENTS.get(method.service)
    if found is None:
        raise KeyError(f"the router has no placement for service {method.service}")
    return found


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
        where = placement(method)
        if where is Placement.HERE:
            return method
        if where is Placement.HUB:
            handler = self._to_hub(method, self._hub_session)
        elif where is Placement.NETWORKS:
            handler = self._to_networks_node(method)
        else:
            handler = self._to_named_node(method)
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

    def _to_hub(
        self, method: Method, hub_session: Callable[[], Awaitable[LinkSession | None]]
    ) -> Handler:
        if method.kind is MethodKind.UNARY:

            async def unary(request: Message) -> Message:
                session = await hub_session()
                if session is None:
                    response: Message = await method.handler(request)  # type: ignore[misc]
                    return response
                return await remote_call.unary(session, method, request, target_node_id="")

            return unary

        async def opened(requests: Any) -> AsyncIterator[Message]:
            session = await hub_session()
            if session is None:
                return method.handler(requests)  # type: ignore[return-value]
            if method.kind is MethodKind.SERVER_STREAMING:
                requests = remote_call.single(requests)
            return remote_call.stream_started(session, method, requests, target_node_id="")

        def streaming(requests: Any) -> AsyncIterator[Message]:
            # Doors announce the stream once the hub's handler started, not before.
            return OpenedLater(lambda: opened(requests))

        return streaming

    # -- networks services: the networks node (the hub), waiting for the link ----------------

    def _to_networks_node(self, method: Method) -> Handler:
        if self._hub is not None and not method.implemented:
            return _refusing(
                method, "networks are not enabled on this hub node (networks.enabled is false)"
            )
        handler = self._to_hub(method, self._networks_session)
        if "node_id" not in method.request_type.DESCRIPTOR.fields_by_name:
            return handler
        # NetworkInstances: an empty node_id means the node the call was made on, which the
        # networks node can only know if it is filled in here.
        if method.kind is MethodKind.UNARY:

            async def unary(request: Message) -> Message:
                response: Message = await handler(self._with_node_id(request))  # type: ignore[misc]
                return response

            return unary

        def streaming(request: Message) -> AsyncIterator[Message]:
            return handler(self._with_node_id(request))  # type: ignore[return-value]

        return streaming

    def _with_node_id(self, request: Message) -> Message:
        if _node_id(request):
            return request
        filled = type(request)()
        filled.CopyFrom(request)
        setattr(filled, "node_id", self._local_node_id)  # noqa: B010 - checked by the caller
        return filled

    async def _networks_session(self) -> LinkSession | None:
        """None when this node hosts the hub (and so the networks), else its link, once open."""
        if self._hub is not None:
            return None
        return await self._hub_client.connected_session()

    async def _hub_session(self) -> LinkSession | None:
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
            return remote_call.stream_started(
                session, method, remote_call.single(request), target_node_id=via
            )

        return streaming

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


def _refusing(method: Method, message: str) -> Handler:
    """A handler answering FAILED_PRECONDITION with ``message``."""
    if method.kind is MethodKind.UNARY:

        async def unary(_request: Message) -> Message:
            raise FailedPrecondition(message)

        return unary

    async def streaming(_request: Any) -> AsyncIterator[Message]:
        raise FailedPrecondition(message)
        yield  # pragma: no cover - makes this an async generator

    return streaming
