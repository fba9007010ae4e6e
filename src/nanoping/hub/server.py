"""The hub server: join requests and node links over WebSockets on the hub's HTTP address.

Endpoints (internal protocol, not the public API):
- ``/hub/join``: one JoinRequest in, one JoinAnswer out (nanoping/internal/join.proto).
- ``/hub/link``: a member's link (nanoping/internal/link.proto), authenticated by its Hello.

Calls arriving on a link run on this node's services when they target the hub node, and are
relayed to the target's own link otherwise.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from google.protobuf.message import DecodeError
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from nanoping.api import hub_node_pb2
from nanoping.config import LinkAdmissionLimits
from nanoping.errors import (
    AlreadyExists,
    DeadlineExceeded,
    InvalidArgument,
    NanoPingError,
    NotFound,
    StatusCode,
    Unavailable,
)
from nanoping.hub import call_executor
from nanoping.hub.join_requests import JoinRequests
from nanoping.hub.link_door import JOIN_PATH, LINK_PATH, LinkDoor
from nanoping.hub.link_session import IncomingCall, LinkSession, OutgoingCall
from nanoping.hub.rate_limit import RateLimiter
from nanoping.hub.registry import NodeRegistry
from nanoping.hub.statistics import HubStatistics, RoutedCall
from nanoping.internal import join_pb2
from nanoping.limits import MAX_JOIN_REQUEST, check_node
from nanoping.link import (
    HelloReceived,
    LinkConfiguration,
    LinkConnection,
    LinkEvent,
    LinkRole,
    NodeUpdated,
)
from nanoping.log_throttle import LogThrottle
from nanoping.net.upgrade_gate import Peer
from nanoping.quoting import quoted
from nanoping.service.method_table import MethodTable

log = logging.getLogger(__name__)
_REFUSALS = LogThrottle(log)
"""Refused joins and links are logged once per kind every 10 s: a flood must not flood the log."""

JOIN_PROTOCOL_VERSION = 1
JOIN_REQUEST_WAIT = 10.0
"""Seconds the hub waits for the JoinRequest after the socket opened."""


class HubServer:
    """The hub: registry, pending joins and the open links of its members."""

    def __init__(
        self,
        *,
        registry: NodeRegistry,
        join_timeout: float | None,
        local_table: Callable[[], MethodTable],
        link_configuration: LinkConfiguration | None = None,
        rate_limiter: RateLimiter | None = None,
        link_admission: LinkAdmissionLimits | None = None,
    ) -> None:
        self.registry = registry
        self.join_requests = JoinRequests()
        self.join_timeout = join_timeout
        self._local_table = local_table
        self._link_configuration = link_configuration or LinkConfiguration()
        self._rate_limiter = rate_limiter or RateLimiter()
        self._sessions: dict[str, LinkSession] = {}
        self.statistics = HubStatistics()
        self.link_door = LinkDoor(link_admission or LinkAdmissionLimits(), self.statistics)
        """Admission of new links; the HTTP listener asks it before upgrading one."""

    def routes(self) -> list[BaseRoute]:
        return [
            WebSocketRoute(JOIN_PATH, self._join_endpoint),
            WebSocketRoute(LINK_PATH, self._link_endpoint),
        ]

    def session(self, node_id: str) -> LinkSession:
        """The open link of a member; NotFound / Unavailable say why there is none."""
        if not self.registry.is_member(node_id):
            raise NotFound(f"node {quoted(node_id)} is not a member of this hub")
        session = self._sessions.get(node_id)
        if session is None or not session.is_open:
            raise Unavailable(f"node {quoted(node_id)} is offline")
        return session

    def drop(self, node_id: str, reason: str) -> None:
        """Close a member's link (after it was removed)."""
        session = self._sessions.get(node_id)
        if session is not None:
            session.close(reason)

    async def close(self) -> None:
        for session in list(self._sessions.values()):
            session.close("the hub is shutting down")

    # -- joining -----------------------------------------------------------------------------

    async def _join_endpoint(self, websocket: WebSocket) -> None:
        await websocket.accept()
        peer = websocket.client.host if websocket.client else "unknown"
        try:
            answer = await self._join_answer(websocket, peer)
            await websocket.send_bytes(answer.SerializeToString())
            await websocket.close()
        except WebSocketDisconnect:
            log.info("join request from %s withdrawn (the joining node went away)", peer)

    async def _join_answer(self, websocket: WebSocket, peer: str) -> join_pb2.JoinAnswer:
        if not self._rate_limiter.allow(peer, asyncio.get_running_loop().time()):
            _REFUSALS.warning("join", "join request from %s refused: too many requests", peer)
            return _declined(
                StatusCode.RESOURCE_EXHAUSTED,
                "too many join requests from this address; try again later",
            )
        if self.join_timeout is None:
            return _declined(
                StatusCode.NOT_FOUND, "the hub server does not accept authentication by request"
            )
        try:
            request = await _read_join_request(websocket)
            self._check_new_id(request.node.id)
        except NanoPingError as error:
            _REFUSALS.warning("join", "join request from %s refused: %s", peer, error.message)
            return _declined(error.code, error.message)
        decision = asyncio.ensure_future(
            self.join_requests.decide(request.node, peer=peer, answer_within=self.join_timeout)
        )
        gone = asyncio.ensure_future(websocket.receive())
        try:
            await asyncio.wait({decision, gone}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            gone.cancel()
        if not decision.done():
            decision.cancel()
            raise WebSocketDisconnect()
        try:
            accepted = decision.result()
        except NanoPingError as error:  # too many pending, or one for this id already
            _REFUSALS.warning("join", "join request from %s refused: %s", peer, error.message)
            return _declined(error.code, error.message)
        return self._answer(request.node, accepted)

    def _check_new_id(self, node_id: str) -> None:
        """Refuse a join under an id already taken: the hub's own, or a current member's.

        Admitting it would hand out a second credential for that id (a link as the hub, or
        the real member knocked offline). A member that lost its credential joins again once
        an operator removed its old membership (removeNode).
        """
        if node_id == self.registry.hub_node_id:
            raise AlreadyExists(f"node id {quoted(node_id)} is the id of the hub node itself")
        if self.registry.is_member(node_id):
            raise AlreadyExists(
                f"node id {quoted(node_id)} is already a member of this hub; to join again "
                "under this id, remove the old membership first (removeNode)"
            )

    def _answer(self, node: hub_node_pb2.Node, accepted: bool | None) -> join_pb2.JoinAnswer:
        self.statistics.joined(accepted)
        if accepted is None:
            return _declined(
                StatusCode.DEADLINE_EXCEEDED,
                "the hub server did not answer the authentication request in time",
            )
        if not accepted:
            return _declined(
                StatusCode.UNAUTHENTICATED, "the hub server rejected the authentication request"
            )
        try:
            self._check_new_id(node.id)  # a member may have taken the id while this waited
            secret = self.registry.admit(node)
        except NanoPingError as error:
            return _declined(error.code, error.message)
        log.info("node %s (%s) joined the hub", quoted(node.name), quoted(node.id))
        return join_pb2.JoinAnswer(
            accepted=join_pb2.JoinAccepted(credential=secret, hub_node_id=self.registry.hub_node_id)
        )

    # -- links -------------------------------------------------------------------------------

    async def _link_endpoint(self, websocket: WebSocket) -> None:
        await websocket.accept()
        client = websocket.client
        address: Peer = (client.host, client.port) if client else ("unknown", 0)
        peer = address[0]
        loop = asyncio.get_running_loop()
        connection = LinkConnection(
            role=LinkRole.HUB, now=loop.time(), configuration=self._link_configuration
        )
        node_id: list[str] = []
        settled = False

        def on_event(event: LinkEvent) -> None:
            nonlocal settled
            if isinstance(event, HelloReceived) and not settled:
                settled = True
                self._hello(session, event, peer, node_id)
                self.link_door.settled(address, authenticated=bool(node_id))
            elif isinstance(event, NodeUpdated) and node_id and event.node.id == node_id[0]:
                self._node_update(session, event.node)

        session = LinkSession(
            connection=connection,
            send=websocket.send_bytes,
            on_call=self._serve_call,
            on_session_event=on_event,
        )
        try:
            closed = await session.run(lambda: _receive_bytes(websocket))
        finally:
            if not settled:  # closed before a Hello: it held a handshake slot for nothing
                self.link_door.settled(address, authenticated=False)
        if node_id and self._sessions.get(node_id[0]) is session:
            del self._sessions[node_id[0]]
            self.registry.set_online(node_id[0], False)
            log.info("node %s disconnected: %s", self._named(node_id[0]), closed.reason)
        with contextlib.suppress(Exception):
            await websocket.close()

    def _node_update(self, session: LinkSession, node: hub_node_pb2.Node) -> None:
        try:
            check_node(node)
        except NanoPingError as error:
            log.warning("link of node %s closed: %s", quoted(node.id), error.message)
            session.close(f"node update refused: {error.message}")
            return
        self.registry.update_details(node)

    def _hello(
        self, session: LinkSession, hello: HelloReceived, peer: str, node_id: list[str]
    ) -> None:
        claimed = hello.node.id
        try:
            check_node(hello.node)
        except NanoPingError as error:
            _REFUSALS.warning("link", "link from %s refused: %s", peer, error.message)
            session.connection.refuse(reason=error.message)
            return
        if not self.registry.credential_matches(claimed, hello.credential):
            _REFUSALS.warning(
                "link",
                "link from %s refused: unknown node %s or wrong credential",
                peer,
                quoted(claimed),
            )
            session.connection.refuse(
                reason="unknown node or wrong credential", credential_rejected=True
            )
            return
        previous = self._sessions.get(claimed)
        if previous is not None:
            previous.close("replaced by a newer link of the same node")
        session.connection.accept(hub_node_id=self.registry.hub_node_id, now=session.now())
        self._sessions[claimed] = session
        node_id.append(claimed)
        self.registry.update_details(hello.node)
        self.registry.set_online(claimed, True)
        log.info("node %s (%s) connected from %s", quoted(hello.node.name), quoted(claimed), peer)

    def _named(self, node_id: str) -> str:
        """``name (id)`` of a node for log lines (the id alone once it is no member)."""
        try:
            return f"{quoted(self.registry.get(node_id).name)} ({quoted(node_id)})"
        except NotFound:
            return quoted(node_id)

    async def _serve_call(self, call: IncomingCall) -> None:
        target = call.target_node_id
        if not target or target == self.registry.hub_node_id:
            self.statistics.served_call()
            await call_executor.execute(call, self._local_table())
            return
        with self.statistics.routed_call() as timing:
            try:
                outgoing = self.session(target).open_call(call.method, deadline=call.deadline)
            except NanoPingError as error:
                timing.status = error.code.name
                call.end(error.code, error.message)
                return
            await relay(call, outgoing, timing)


async def relay(
    incoming: IncomingCall, outgoing: OutgoingCall, timing: RoutedCall | None = None
) -> None:
    """Carry a call between two links: requests one way; headers, responses and the status
    the other."""
    forward = asyncio.create_task(_forward_requests(incoming, outgoing))
    try:
        if await outgoing.headers():
            incoming.send_headers()  # the target's handler started: pass the word on
        while (data := await outgoing.receive()) is not None:
            if timing is not None:
                timing.answered()
            await incoming.send(data)
        incoming.end(StatusCode.OK)
    except NanoPingError as error:
        if timing is not None:
            timing.status = error.code.name
        incoming.end(error.code, error.message)
    finally:
        forward.cancel()
        outgoing.cancel()


async def _forward_requests(incoming: IncomingCall, outgoing: OutgoingCall) -> None:
    while (data := await incoming.receive()) is not None:
        await outgoing.send(data)
    outgoing.half_close()


async def _receive_bytes(websocket: WebSocket) -> bytes | None:
    message = await websocket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    data = message.get("bytes")
    if data is None:
        return b"\xff"  # text frames are not part of the protocol: let the core reject it
    return bytes(data)


async def _read_join_request(websocket: WebSocket) -> join_pb2.JoinRequest:
    try:
        async with asyncio.timeout(JOIN_REQUEST_WAIT):
            data = await websocket.receive_bytes()
    except TimeoutError:
        raise DeadlineExceeded("no join request received") from None
    except KeyError:
        raise InvalidArgument("a join request must be a binary message") from None
    if len(data) > MAX_JOIN_REQUEST:
        raise InvalidArgument(
            f"a join request of {len(data)} bytes exceeds the limit of {MAX_JOIN_REQUEST} bytes"
        )
    try:
        request = join_pb2.JoinRequest.FromString(data)
    except DecodeError:
        raise InvalidArgument("malformed join request") from None
    if request.protocol_version != JOIN_PROTOCOL_VERSION:
        raise InvalidArgument(
            f"join protocol version {request.protocol_version} is not supported (this hub speaks {JOIN_PROTOCOL_VERSION})"
        )
    if not request.node.id:
        raise InvalidArgument("a join request must name the node's id")
    check_node(request.node)
    return request


def _declined(code: StatusCode, message: str) -> join_pb2.JoinAnswer:
    return join_pb2.JoinAnswer(declined=join_pb2.JoinDeclined(status_code=code, message=message))
