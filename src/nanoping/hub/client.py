"""The hub client every node runs: joins a hub by request and keeps the node's link to it.

Connection state: UNAUTHENTICATED (no credential) -> join accepted -> DISCONNECTED <-> CONNECTED.
The credential lives in the data dir, so a restarted node reconnects by itself. The link dials
out (works behind NAT), retries with jittered exponential backoff, and drops back to
UNAUTHENTICATED when the hub no longer accepts the credential (the node was removed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import websockets
from google.protobuf.message import DecodeError
from websockets.asyncio.client import ClientConnection, connect

from nanoping.api import hub_server_pb2
from nanoping.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NanoPingError,
    NotFound,
    Unavailable,
)
from nanoping.hub import call_executor, remote_call
from nanoping.hub.link_session import IncomingCall, LinkSession
from nanoping.hub.membership import Membership, MembershipStore
from nanoping.hub.server import JOIN_PROTOCOL_VERSION
from nanoping.internal import join_pb2
from nanoping.link import (
    HelloRefused,
    LinkConfiguration,
    LinkConnection,
    LinkEvent,
    LinkRole,
    Reconnector,
    Welcomed,
)
from nanoping.link.reconnector import retry_after
from nanoping.net.http_listener import MAX_WEBSOCKET_MESSAGE
from nanoping.node.connection_state import (
    CONNECTED,
    DISCONNECTED,
    UNAUTHENTICATED,
    ConnectionStateWatch,
)
from nanoping.node.local_node import LocalNode
from nanoping.quoting import bounded_message, quoted
from nanoping.service.method_table import MethodTable

log = logging.getLogger(__name__)

ALREADY_AUTHENTICATED = "Client is already authenticated"
"""The exact message the public clients compare against (the integration guide ignores it)."""
FIRST_CONNECT_WAIT = 10.0
"""Seconds authenticateByRequest waits for the new link before returning anyway."""
LEAVE_TIMEOUT = 3.0
"""Seconds `disconnect` waits for the hub to remove this node before leaving anyway."""
WELCOME_WAIT = 30.0
"""Seconds the node waits for the hub's Welcome once its link socket is open.

Longer than the hub's own Hello deadline on purpose: that one guards the hub against idle
sockets, this one only decides when to give up on a hub that took the socket. A hub working
through a reconnect storm may answer seconds late; a node that hangs up and dials again wastes
the work the hub already did for it and queues one more handshake behind the others."""


def node_link_configuration() -> LinkConfiguration:
    """The node side's link settings: the defaults, with the patient Welcome wait."""
    return LinkConfiguration(handshake_timeout=WELCOME_WAIT)


class HubClient:
    """This node's membership of a hub and its link."""

    def __init__(
        self,
        *,
        store: MembershipStore,
        local_node: LocalNode,
        state: ConnectionStateWatch,
        local_table: Callable[[], MethodTable],
        tasks: asyncio.TaskGroup,
        link_configuration: LinkConfiguration | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self._store = store
        self._local = local_node
        self._state = state
        self._local_table = local_table
        self._link_configuration = link_configuration or node_link_configuration()
        self._rng = rng or random.Random()
        self.membership = store.load()
        self.session: LinkSession | None = None
        self._tasks = tasks
        self._link_task: asyncio.Task[None] | None = None
        self._joining = False
        self._stopping = False
        self._state.set(DISCONNECTED if self.membership else UNAUTHENTICATED)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Dial the hub if this node is a member."""
        if self.membership is not None:
            self._start_link()

    async def close(self) -> None:
        """Say goodbye to the hub and stop the link; no dial starts after this is called.

        Stopping is a state, not only a cancelled task: the link loop checks it before every
        attempt, so a cancellation lost somewhere in a library cannot keep the node dialling.
        """
        self._stopping = True
        if self.session is not None and self.session.is_open:
            self.session.close("the node is shutting down")
        await self._stop_link()

    async def connected_session(self) -> LinkSession:
        """The open link to the hub, waiting while the node is (re)connecting to it.

        FAILED_PRECONDITION when this node is not (or no longer) a member of a hub.
        """
        async for state in self._state.watch():
            if self.membership is None:
                raise FailedPrecondition("this node is not authenticated with a hub")
            session = self.session
            if state == CONNECTED and session is not None and session.is_open:
                return session
        raise FailedPrecondition("this node is shutting down")  # pragma: no cover - watch ends

    # -- the API -----------------------------------------------------------------------------

    async def authenticate_by_request(self, hub_server_address: str) -> None:
        """Ask the hub to admit this node; returns once accepted (the link then starts)."""
        if self.membership is not None:
            raise AlreadyExists(ALREADY_AUTHENTICATED)
        if self._joining:
            raise FailedPrecondition("an authentication request of this node is already pending")
        hub_url, join_url = _join_urls(hub_server_address)
        self._joining = True
        try:
            accepted = await self._ask_to_join(join_url)
        finally:
            self._joining = False
        self.membership = Membership(
            hub_url=hub_url, hub_node_id=accepted.hub_node_id, credential=accepted.credential
        )
        self._store.save(self.membership)
        log.info("joined the hub at %s (hub node %s)", hub_url, accepted.hub_node_id)
        self._start_link()
        # Return once the link is up, so the caller can use the cluster through this node
        # right away; the state goes straight to CONNECTED unless the first attempt fails.
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(FIRST_CONNECT_WAIT):
                await self._state.wait_for(CONNECTED)

    async def disconnect(self) -> None:
        """Leave the hub: ask it to remove this node, then forget the credential regardless."""
        if self.membership is None:
            return
        session = self.session
        if session is not None and session.is_open:
            with contextlib.suppress(NanoPingError, TimeoutError):
                async with asyncio.timeout(LEAVE_TIMEOUT):
                    await self._leave(session)
        await self._forget("left the hub")

    def node_details_changed(self) -> None:
        """Tell the hub about a new name or metadata (after setNode)."""
        if self.session is not None and self.session.is_open:
            self.session.connection.update_node(self._local.as_proto(online=True))
            self.session.flush()

    async def _leave(self, session: LinkSession) -> None:
        table = self._local_table()
        method = table["/nanopinggrpc.hub.HubServerService/removeNode"]
        request = hub_server_pb2.RemoveNodeRequest(node_id=self._local.id)
        await remote_call.unary(session, method, request, target_node_id="")

    # -- joining -----------------------------------------------------------------------------

    async def _ask_to_join(self, join_url: str) -> join_pb2.JoinAccepted:
        request = join_pb2.JoinRequest(
            protocol_version=JOIN_PROTOCOL_VERSION, node=self._local.as_proto(online=False)
        )
        try:
            async with _dial(join_url) as websocket:
                # A hub that declines at once may close before reading the request; its
                # answer is still waiting to be read.
                with contextlib.suppress(websockets.ConnectionClosed):
                    await websocket.send(request.SerializeToString())
                data = await websocket.recv()
        except websockets.InvalidStatus as error:
            raise NotFound(
                f"{join_url} is not a NanoPing hub server accepting authentication by request "
                f"(HTTP {error.response.status_code})"
            ) from None
        except websockets.ConnectionClosed:
            raise Unavailable(
                f"the hub server at {join_url} closed the connection before answering"
            ) from None
        except (OSError, TimeoutError, websockets.InvalidHandshake) as error:
            raise Unavailable(f"cannot reach the hub server at {join_url}: {error}") from None
        answer = _join_answer(join_url, data)
        if answer.WhichOneof("outcome") == "accepted":
            return answer.accepted
        raise NanoPingError.from_status(
            answer.declined.status_code, bounded_message(answer.declined.message)
        )

    # -- the link ----------------------------------------------------------------------------

    def _start_link(self) -> None:
        if self._stopping:
            return
        if self._link_task is None or self._link_task.done():
            self._link_task = self._tasks.create_task(self._link_loop(), name="hub link")

    async def _stop_link(self) -> None:
        task, self._link_task = self._link_task, None
        if task is not None and task is not asyncio.current_task():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _forget(self, why: str) -> None:
        self.membership = None
        self._store.forget()
        if self.session is not None and self.session.is_open:
            self.session.close(why)
        await self._stop_link()
        self._state.set(UNAUTHENTICATED)
        log.info("hub membership ended: %s", why)

    async def _link_loop(self) -> None:
        loop = asyncio.get_running_loop()
        reconnector = Reconnector(rng=self._rng)
        reconnector.joined(loop.time())
        while (membership := self.membership) is not None and not self._stopping:
            attempt_at = reconnector.next_attempt_at(loop.time())
            if attempt_at is not None:
                await asyncio.sleep(attempt_at - loop.time())
            if self._stopping:
                return
            reconnector.attempt_started(loop.time())
            attempt = await self._connect_once(membership, reconnector)
            if attempt.refused:
                reconnector.credential_lost()
                await self._forget("the hub no longer accepts this node's credential")
                return
            reconnector.disconnected(loop.time(), retry_after=attempt.retry_after)

    async def _connect_once(self, membership: Membership, reconnector: Reconnector) -> _Attempt:
        """One link attempt: whether the hub refused the credential, and any Retry-After."""
        link_url = _link_url(membership.hub_url)
        loop = asyncio.get_running_loop()
        refused = False
        wait: float | None = None

        def on_event(event: LinkEvent) -> None:
            nonlocal refused
            if isinstance(event, Welcomed):
                reconnector.connected(loop.time())
                self._state.set(CONNECTED)
                log.info("connected to the hub at %s", membership.hub_url)
            elif isinstance(event, HelloRefused):
                refused = event.credential_rejected
                log.warning("the hub refused this node's link: %s", event.reason)

        try:
            async with _opened(link_url) as websocket:
                connection = LinkConnection(
                    role=LinkRole.NODE, now=loop.time(), configuration=self._link_configuration
                )
                connection.send_hello(
                    node=self._local.as_proto(online=True), credential=membership.credential
                )
                self.session = LinkSession(
                    connection=connection,
                    send=websocket.send,
                    on_call=self._serve_call,
                    on_session_event=on_event,
                )
                closed = await self.session.run(lambda: _receive(websocket))
                log.info("link to the hub closed: %s", closed.reason)
        except websockets.InvalidStatus as error:
            # An admission door saying "busy" (503/429) may name when to come back.
            wait = retry_after(error.response.headers.get("Retry-After"))
            log.info("the hub at %s turned the link away: %s", membership.hub_url, error)
        except (
            OSError,
            TimeoutError,
            websockets.InvalidHandshake,
            websockets.ConnectionClosed,
        ) as error:
            log.info("cannot reach the hub at %s: %s", membership.hub_url, error)
        finally:
            self.session = None
            if self.membership is not None:
                self._state.set(DISCONNECTED)
        return _Attempt(refused=refused, retry_after=wait)

    async def _serve_call(self, call: IncomingCall) -> None:
        await call_executor.execute(call, self._local_table())


@dataclass(frozen=True)
class _Attempt:
    """How one link attempt ended, for the reconnection policy."""

    refused: bool
    """The hub refused the credential: the node is no member any more."""
    retry_after: float | None
    """Seconds the hub asked the node to wait before dialing again (HTTP Retry-After)."""


@contextlib.asynccontextmanager
async def _opened(url: str) -> AsyncIterator[ClientConnection]:
    """The link's WebSocket, open; a failed opening raises one of the errors a dial expects.

    websockets 17 fails an ``assert`` in its client handshake when the server closes the
    socket while the upgrade is under way (seen when an overloaded hub drops connections in a
    reconnect storm). Escaping the link loop, that AssertionError would end the node's task
    group, so it counts as one more failed attempt instead.
    """
    try:
        websocket = await _dial(url)
    except AssertionError as error:
        raise ConnectionError(f"the WebSocket handshake broke off: {error!r}") from None
    async with websocket:
        yield websocket


def _dial(url: str) -> connect:
    return connect(
        url,
        open_timeout=10,
        ping_interval=None,
        close_timeout=2,
        max_size=MAX_WEBSOCKET_MESSAGE,
        compression=None,
        proxy=None,
    )


async def _receive(websocket: ClientConnection) -> bytes | None:
    try:
        data = await websocket.recv()
    except websockets.ConnectionClosed:
        return None
    return data if isinstance(data, bytes) else b"\xff"


def _join_answer(join_url: str, data: bytes | str) -> join_pb2.JoinAnswer:
    """The hub's answer; Unavailable when what came back is no JoinAnswer."""
    try:
        return join_pb2.JoinAnswer.FromString(data if isinstance(data, bytes) else data.encode())
    except DecodeError:
        raise Unavailable(
            f"the hub server at {join_url} answered with a malformed message"
        ) from None


def _join_urls(address: str) -> tuple[str, str]:
    """The hub's normalized HTTP URL and its join WebSocket URL; InvalidArgument if malformed."""
    try:
        parts = urlsplit(address.strip())
    except ValueError as error:
        raise InvalidArgument(f"hub_server_address {quoted(address)}: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidArgument(
            f"hub_server_address {quoted(address)} must be an http(s) URL such as "
            "http://127.0.0.1:8769"
        )
    try:
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise InvalidArgument(f"hub_server_address {quoted(address)} has an invalid port") from None
    _check_host_name(address, parts.hostname)
    hub_url = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
    return hub_url, _ws_url(hub_url, "/hub/join")


def _check_host_name(address: str, host: str) -> None:
    """InvalidArgument for a host name DNS cannot carry (too long, an empty or long label)."""
    if ":" in host:
        return  # an IPv6 literal: urlsplit checked its brackets
    try:
        encoded = host.encode("idna")
    except UnicodeError as error:
        raise InvalidArgument(
            f"hub_server_address {quoted(address)} has an invalid host name: {error}"
        ) from None
    if len(encoded) > 253:
        raise InvalidArgument(
            f"hub_server_address {quoted(address)} has a host name longer than 253 characters"
        )


def _link_url(hub_url: str) -> str:
    return _ws_url(hub_url, "/hub/link")


def _ws_url(hub_url: str, path: str) -> str:
    parts = urlsplit(hub_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, path, "", ""))
