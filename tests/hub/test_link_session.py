"""The asyncio link adapter, two sessions joined by in-memory queues: calls, deadlines, cancels."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from nanoping.api import hub_client_pb2, hub_node_pb2
from nanoping.errors import DeadlineExceeded, FailedPrecondition, NanoPingError
from nanoping.hub import call_executor, remote_call
from nanoping.hub.link_session import IncomingCall, LinkSession
from nanoping.link import HelloReceived, LinkConnection, LinkEvent, LinkRole, Welcomed
from nanoping.service.call_deadline import CALL_DEADLINE
from nanoping.service.method_table import MethodTable

SERVICE = "nanopinggrpc.hub.HubClientService"


class SlowService:
    """getLocalNodeId answers at once; getNode and streamConnectionState never finish."""

    def __init__(self) -> None:
        self.cancelled: list[str] = []
        self.cancel_seen = asyncio.Event()
        self.deadlines: list[float | None] = []
        self.stream_started = asyncio.Event()
        self.hold_stream: asyncio.Event | None = None
        """When set, the stream waits for this event after it started and before its first message."""
        self.fail_stream: NanoPingError | None = None

    async def get_local_node_id(
        self, request: hub_client_pb2.GetLocalNodeIdRequest
    ) -> hub_client_pb2.GetLocalNodeIdResponse:
        return hub_client_pb2.GetLocalNodeIdResponse(node_id="far", is_authenticated=True)

    async def get_node(
        self, request: hub_client_pb2.GetNodeRequest
    ) -> hub_client_pb2.GetNodeResponse:
        self.deadlines.append(CALL_DEADLINE.get())
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled.append("getNode")
            self.cancel_seen.set()
            raise
        raise AssertionError("unreachable")

    async def stream_connection_state(
        self, request: hub_client_pb2.StreamConnectionStateRequest
    ) -> AsyncIterator[hub_client_pb2.StreamConnectionStateResponse]:
        self.stream_started.set()
        if self.fail_stream is not None:
            raise self.fail_stream
        if self.hold_stream is not None:
            await self.hold_stream.wait()
        try:
            while True:
                yield hub_client_pb2.StreamConnectionStateResponse(state=hub_client_pb2.CONNECTED)
                await asyncio.sleep(0)
        except (asyncio.CancelledError, GeneratorExit):
            self.cancelled.append("streamConnectionState")
            self.cancel_seen.set()
            raise


class Pair:
    """A node-side session calling a hub-side session that serves ``SlowService``."""

    def __init__(self) -> None:
        loop = asyncio.get_running_loop()
        self.service = SlowService()
        self.table = MethodTable.build({SERVICE: self.service})
        to_hub: asyncio.Queue[bytes | None] = asyncio.Queue()
        to_node: asyncio.Queue[bytes | None] = asyncio.Queue()
        hub_connection = LinkConnection(role=LinkRole.HUB, now=loop.time())

        def on_hub_event(event: LinkEvent) -> None:
            if isinstance(event, HelloReceived):
                hub_connection.accept(hub_node_id="hub", now=loop.time())

        async def serve(call: IncomingCall) -> None:
            await call_executor.execute(call, self.table)

        async def nothing(call: IncomingCall) -> None:
            call.end(12, "no calls here")

        self.hub = LinkSession(
            connection=hub_connection,
            send=to_node.put,
            on_call=serve,
            on_session_event=on_hub_event,
        )
        node_connection = LinkConnection(role=LinkRole.NODE, now=loop.time())
        node_connection.send_hello(node=hub_node_pb2.Node(id="near"), credential="secret")
        self.opened = asyncio.Event()

        def on_node_event(event: LinkEvent) -> None:
            if isinstance(event, Welcomed):
                self.opened.set()

        self.node = LinkSession(
            connection=node_connection,
            send=to_hub.put,
            on_call=nothing,
            on_session_event=on_node_event,
        )
        self.tasks = [
            asyncio.create_task(self.hub.run(to_hub.get)),
            asyncio.create_task(self.node.run(to_node.get)),
        ]

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


@pytest.fixture
async def pair() -> AsyncIterator[Pair]:
    built = Pair()
    async with asyncio.timeout(5):
        await built.opened.wait()
    yield built
    await built.close()


async def test_a_unary_call_crosses_the_link(pair: Pair) -> None:
    method = pair.table[f"/{SERVICE}/getLocalNodeId"]
    reply = await remote_call.unary(
        pair.node, method, hub_client_pb2.GetLocalNodeIdRequest(), target_node_id=""
    )
    assert reply == hub_client_pb2.GetLocalNodeIdResponse(node_id="far", is_authenticated=True)


async def test_the_callers_deadline_holds_on_the_far_side(pair: Pair) -> None:
    method = pair.table[f"/{SERVICE}/getNode"]
    deadline = asyncio.get_running_loop().time() + 0.2
    token = CALL_DEADLINE.set(deadline)
    try:
        with pytest.raises(DeadlineExceeded):
            await remote_call.unary(
                pair.node, method, hub_client_pb2.GetNodeRequest(), target_node_id=""
            )
    finally:
        CALL_DEADLINE.reset(token)
    async with asyncio.timeout(5):
        await pair.service.cancel_seen.wait()
    assert pair.service.cancelled == ["getNode"]
    (far_deadline,) = pair.service.deadlines
    assert far_deadline is not None
    assert abs(far_deadline - deadline) < 0.05  # the far side ends its work at the same moment


async def test_a_reader_that_stops_cancels_the_far_stream(pair: Pair) -> None:
    method = pair.table[f"/{SERVICE}/streamConnectionState"]
    stream = remote_call.stream(
        pair.node,
        method,
        remote_call.single(hub_client_pb2.StreamConnectionStateRequest()),
        target_node_id="",
    )
    received = [await anext(stream) for _ in range(200)]  # far more than one credit window
    assert all(
        message == hub_client_pb2.StreamConnectionStateResponse(state=hub_client_pb2.CONNECTED)
        for message in received
    )
    await stream.aclose()
    async with asyncio.timeout(5):
        await pair.service.cancel_seen.wait()
    assert pair.service.cancelled == ["streamConnectionState"]


def started_stream(pair: Pair) -> remote_call.RoutedStream:
    method = pair.table[f"/{SERVICE}/streamConnectionState"]
    request = remote_call.single(hub_client_pb2.StreamConnectionStateRequest())
    return remote_call.stream_started(pair.node, method, request, target_node_id="")


async def test_a_routed_stream_starts_once_the_far_handler_did(pair: Pair) -> None:
    pair.service.hold_stream = asyncio.Event()  # no message can stand for the headers
    stream = started_stream(pair)
    async with asyncio.timeout(5):
        await stream.started()
    assert pair.service.stream_started.is_set()
    pair.service.hold_stream.set()
    first = await anext(stream)
    assert first == hub_client_pb2.StreamConnectionStateResponse(state=hub_client_pb2.CONNECTED)
    await stream.aclose()


async def test_a_routed_stream_that_fails_before_starting_raises_its_error(pair: Pair) -> None:
    pair.service.fail_stream = FailedPrecondition("not now")
    stream = started_stream(pair)
    with pytest.raises(FailedPrecondition, match="not now"):
        async with asyncio.timeout(5):
            await stream.started()
    await stream.aclose()
