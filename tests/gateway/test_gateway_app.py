"""The gateway's adapters on a real HTTP listener, over fake services whose state a test can see.

These tests run in the test's own event loop, so they can watch what a real node cannot show:
that a stream the client abandons closes its handler (no subscriber, no task left behind), that
a unary call whose client left is cancelled, and how streams end when the node shuts down.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import httpx
import nanoping_api
import pytest
import websockets.asyncio.client

from nanoping.api import (
    hub_client_pb2,
    hub_node_pb2,
    hub_server_pb2,
    logging_pb2,
)
from nanoping.config import ListenAddress
from nanoping.errors import FailedPrecondition, NanoPingError, PermissionDenied
from nanoping.gateway import RestGateway
from nanoping.net.http_listener import HttpListener
from nanoping.service.method_table import MethodTable

Item = hub_client_pb2.StreamConnectionStateResponse | NanoPingError


class FakeHubClient:
    """HubClientService with a connection-state stream the test feeds and watches."""

    def __init__(self) -> None:
        self.states: asyncio.Queue[Item] = asyncio.Queue()
        self.subscribers = 0
        self.slow_calls_cancelled = 0

    async def get_local_node_id(
        self, request: hub_client_pb2.GetLocalNodeIdRequest
    ) -> hub_client_pb2.GetLocalNodeIdResponse:
        return hub_client_pb2.GetLocalNodeIdResponse(node_id="local-node", is_authenticated=True)

    async def get_node(
        self, request: hub_client_pb2.GetNodeRequest
    ) -> hub_client_pb2.GetNodeResponse:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.slow_calls_cancelled += 1
            raise
        raise AssertionError("unreachable")

    async def set_node(
        self, request: hub_client_pb2.SetNodeRequest
    ) -> hub_client_pb2.SetNodeResponse:
        raise PermissionDenied("the name comes from a config file")

    async def stream_connection_state(
        self, request: hub_client_pb2.StreamConnectionStateRequest
    ) -> AsyncIterator[hub_client_pb2.StreamConnectionStateResponse]:
        self.subscribers += 1
        try:
            while True:
                item = await self.states.get()
                if isinstance(item, NanoPingError):
                    raise item
                yield item
        finally:
            self.subscribers -= 1


class FakeHubServer:
    """HubServerService with an approver stream the test feeds and watches."""

    def __init__(self) -> None:
        self.refuse = False
        self.requests: asyncio.Queue[hub_server_pb2.AuthenticationByRequestRequest] = (
            asyncio.Queue()
        )
        self.answers: list[tuple[int, bool]] = []
        self.approvers = 0

    async def get_nodes(
        self, request: hub_server_pb2.GetNodesRequest
    ) -> hub_server_pb2.GetNodesResponse:
        return hub_server_pb2.GetNodesResponse(
            nodes=[hub_node_pb2.Node(id="n1", services=list(request.service_filters))]
        )

    async def stream_nodes(
        self, request: hub_server_pb2.GetNodesRequest
    ) -> AsyncIterator[hub_server_pb2.StreamNodesResponse]:
        raise FailedPrecondition("no hub here")
        yield hub_server_pb2.StreamNodesResponse()

    async def authentication_by_requests(
        self, answers: AsyncIterator[hub_server_pb2.AuthenticationByRequestAnswer]
    ) -> AsyncIterator[hub_server_pb2.AuthenticationByRequestRequest]:
        if self.refuse:
            raise FailedPrecondition("this node neither hosts a hub server nor is joined to one")
        self.approvers += 1
        reader = asyncio.ensure_future(self._read(answers))
        try:
            while True:
                yield await self.requests.get()
        finally:
            self.approvers -= 1
            reader.cancel()

    async def _read(
        self, answers: AsyncIterator[hub_server_pb2.AuthenticationByRequestAnswer]
    ) -> None:
        async for answer in answers:
            self.answers.append((answer.request_id, answer.accept))


class FakeLogging:
    """LoggingService whose log file is a list of chunks."""

    def __init__(self) -> None:
        self.chunks: list[logging_pb2.DownloadLogFileChunk] = []
        self.selectors: list[str | None] = []

    async def download_log_file(
        self, request: logging_pb2.DownloadLogFileRequest
    ) -> AsyncIterator[logging_pb2.DownloadLogFileChunk]:
        self.selectors.append(request.WhichOneof("request"))
        for chunk in self.chunks:
            yield chunk


@dataclass
class Served:
    gateway: RestGateway
    base_url: str
    hub_client: FakeHubClient = field(default_factory=FakeHubClient)
    hub_server: FakeHubServer = field(default_factory=FakeHubServer)
    logging: FakeLogging = field(default_factory=FakeLogging)


@pytest.fixture
async def served() -> AsyncIterator[Served]:
    fakes = (FakeHubClient(), FakeHubServer(), FakeLogging())
    table = MethodTable.build(
        {
            "nanopinggrpc.hub.HubClientService": fakes[0],
            "nanopinggrpc.hub.HubServerService": fakes[1],
            "nanopinggrpc.logging.LoggingService": fakes[2],
        }
    )
    gateway = RestGateway(table, max_body=1024, keepalive=0.2)
    listener = HttpListener(gateway, ListenAddress("127.0.0.1", 0, "test"))
    await listener.start()
    yield Served(gateway, f"http://{listener.bound_address}", *fakes)
    await gateway.close()
    await listener.close()


@pytest.fixture
async def api(served: Served) -> AsyncIterator[nanoping_api.AsyncNanopingClient]:
    async with nanoping_api.AsyncNanopingClient(served.base_url, timeout=10) as client:
        yield client


async def eventually(condition: Callable[[], bool], what: str, within: float = 5.0) -> None:
    """Wait on a condition with a deadline (no bare sleeps)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def raises_api_error(call: Awaitable[object]) -> nanoping_api.ApiError:
    with pytest.raises(nanoping_api.ApiError) as raised:
        await call
    return raised.value


STATE = hub_client_pb2.StreamConnectionStateResponse


async def test_unary_call_and_error(served: Served, api: nanoping_api.AsyncNanopingClient) -> None:
    identity = await api.hub_client.get_local_node_id()
    assert (identity.node_id, identity.is_authenticated) == ("local-node", True)
    nodes = await api.hub_server.get_nodes(service_filters=[nanoping_api.NodeService.PIPELINES])
    assert nodes.nodes[0].services == [nanoping_api.NodeService.PIPELINES]
    error = await raises_api_error(api.hub_client.set_node(node_id="x", name="y"))
    assert (error.code, error.status) == (nanoping_api.Code.PERMISSION_DENIED, 403)


async def test_a_stream_is_ready_when_its_headers_arrive(
    served: Served, api: nanoping_api.AsyncNanopingClient
) -> None:
    stream = await api.hub_client.stream_connection_state()
    assert served.hub_client.subscribers == 1  # subscribed before the headers went out
    served.hub_client.states.put_nowait(STATE(state=hub_client_pb2.CONNECTED))
    served.hub_client.states.put_nowait(STATE(state=hub_client_pb2.UNAUTHENTICATED))
    received = []
    async for message in stream:
        received.append(message.state)
        if len(received) == 2:
            break
    assert received == [
        nanoping_api.ConnectionState.CONNECTED,
        nanoping_api.ConnectionState.UNAUTHENTICATED,
    ]


async def test_an_idle_stream_gets_keep_alive_comments(served: Served) -> None:
    url = served.base_url + "/v1/streams/hub-client/connection-state"
    async with httpx.AsyncClient() as http, http.stream("GET", url) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream"
        lines = response.aiter_lines()
        assert await anext(lines) == ": keep-alive"
        served.hub_client.states.put_nowait(STATE(state=hub_client_pb2.DISCONNECTED))
        while (line := await anext(lines)) == ": keep-alive" or not line:
            pass
        assert line == 'data: {"state":"DISCONNECTED"}'


async def test_an_abandoned_stream_leaves_nothing_behind(
    served: Served, api: nanoping_api.AsyncNanopingClient
) -> None:
    await api.hub_client.get_local_node_id()  # the connection pool and server are warm
    tasks_before = len(asyncio.all_tasks())
    stream = await api.hub_client.stream_connection_state()
    served.hub_client.states.put_nowait(STATE(state=hub_client_pb2.CONNECTED))
    async for _ in stream:
        break  # leaving the loop closes the response
    await eventually(lambda: served.hub_client.subscribers == 0, "the handler to close")
    await eventually(lambda: len(asyncio.all_tasks()) <= tasks_before, "the call's tasks to end")


async def test_a_unary_call_is_cancelled_when_its_client_leaves(served: Served) -> None:
    async with httpx.AsyncClient(timeout=0.3) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get(served.base_url + "/v1/nodes/n1")
    await eventually(lambda: served.hub_client.slow_calls_cancelled == 1, "the cancellation")


async def test_a_failure_before_the_stream_is_an_http_error(
    api: nanoping_api.AsyncNanopingClient,
) -> None:
    error = await raises_api_error(api.hub_server.stream_nodes())
    assert (error.code, error.status, error.message) == (
        nanoping_api.Code.FAILED_PRECONDITION,
        400,
        "no hub here",
    )


async def test_a_failure_in_the_stream_is_an_error_event(
    served: Served, api: nanoping_api.AsyncNanopingClient
) -> None:
    stream = await api.hub_client.stream_connection_state()
    served.hub_client.states.put_nowait(STATE(state=hub_client_pb2.CONNECTED))
    served.hub_client.states.put_nowait(PermissionDenied("gone"))
    received = []

    async def read() -> None:
        async for message in stream:
            received.append(message.state)

    error = await raises_api_error(read())
    assert (error.code, error.status, error.message) == (
        nanoping_api.Code.PERMISSION_DENIED,
        0,
        "gone",
    )
    assert received == [nanoping_api.ConnectionState.CONNECTED]
    await eventually(lambda: served.hub_client.subscribers == 0, "the handler to close")


async def test_shutdown_ends_streams_with_unavailable(
    served: Served, api: nanoping_api.AsyncNanopingClient
) -> None:
    stream = await api.hub_client.stream_connection_state()
    approver = await api.hub_server.authentication_by_requests()
    await served.gateway.close()

    async def read_events() -> None:
        async for _ in stream:
            pass

    async def read_frames() -> None:
        async for _ in approver:
            pass

    for reading in (read_events(), read_frames()):
        error = await raises_api_error(reading)
        assert (error.code, error.message) == (
            nanoping_api.Code.UNAVAILABLE,
            "the node is shutting down",
        )
    assert (served.hub_client.subscribers, served.hub_server.approvers) == (0, 0)


async def test_join_requests_over_a_websocket(
    served: Served, api: nanoping_api.AsyncNanopingClient
) -> None:
    decided: list[str] = []

    def decide(request: nanoping_api.AuthenticationByRequestRequest) -> bool:
        decided.append(request.node.name)
        return request.node.name == "good"

    answering = asyncio.ensure_future(api.answer_join_requests(decide))
    await eventually(lambda: served.hub_server.approvers == 1, "the approver")
    for request_id, name in ((2**63 + 1, "good"), (8, "bad")):
        served.hub_server.requests.put_nowait(
            hub_server_pb2.AuthenticationByRequestRequest(
                request_id=request_id, node=hub_node_pb2.Node(name=name)
            )
        )
    await eventually(lambda: len(served.hub_server.answers) == 2, "both answers")
    assert served.hub_server.answers == [(2**63 + 1, True), (8, False)]
    assert decided == ["good", "bad"]
    answering.cancel()
    await asyncio.wait({answering})
    await eventually(lambda: served.hub_server.approvers == 0, "the approver to close")


async def test_a_refused_websocket_is_an_http_error(
    served: Served, api: nanoping_api.AsyncNanopingClient
) -> None:
    served.hub_server.refuse = True
    error = await raises_api_error(api.answer_join_requests(lambda _: True))
    assert (error.code, error.status) == (nanoping_api.Code.FAILED_PRECONDITION, 400)


async def test_a_bad_frame_gets_an_error_frame(served: Served) -> None:
    url = (
        served.base_url.replace("http", "ws", 1) + "/v1/streams/hub-server/authentication-requests"
    )
    for frame in ("not json", '{"requestId": "x"}', '{"colour": 1}', "[]"):
        async with websockets.asyncio.client.connect(url) as socket:
            await socket.send(frame)
            reply = json.loads(await socket.recv())
            assert reply["error"]["code"] == 3, frame
    await eventually(lambda: served.hub_server.approvers == 0, "the approvers to close")


async def test_a_websocket_elsewhere_is_refused(served: Served) -> None:
    url = served.base_url.replace("http", "ws", 1) + "/v1/nodes"
    with pytest.raises(websockets.exceptions.InvalidStatus) as raised:
        async with websockets.asyncio.client.connect(url):
            pass
    assert raised.value.response.status_code == 405
    assert json.loads(raised.value.response.body or b"")["code"] == 12


async def test_a_log_file_is_one_text_body(
    served: Served, api: nanoping_api.AsyncNanopingClient
) -> None:
    served.logging.chunks = [
        logging_pb2.DownloadLogFileChunk(file_chunk=logging_pb2.LogFileChunk(content=part))
        for part in (b"first line\n", "caf\u00e9\n".encode())
    ]
    assert await api.logging.download_log_file(node_id="n1") == "first line\ncaf\u00e9\n"
    assert served.logging.selectors == ["app_log_file_request"]
    served.logging.chunks = [logging_pb2.DownloadLogFileChunk(error="no such file")]
    error = await raises_api_error(
        api.logging.download_log_file(
            node_id="n1",
            pipeline_run_log_file_request=nanoping_api.DownloadPipelineRunLogFileRequest(
                pipeline_run_id="r1"
            ),
        )
    )
    assert (error.code, error.status, error.message) == (
        nanoping_api.Code.NOT_FOUND,
        404,
        "no such file",
    )
    assert served.logging.selectors[-1] == "pipeline_run_log_file_request"


async def test_a_body_over_the_limit_is_refused(
    served: Served, api: nanoping_api.AsyncNanopingClient
) -> None:
    url = served.base_url + "/v1/nodes/search"
    big = json.dumps({"metadataFilters": {"k": {"stringValue": "x" * 2000}}}).encode()

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 100):
            yield big[start : start + 100]

    async with httpx.AsyncClient() as http:
        for content in (big, chunked()):
            response = await http.post(url, content=content)
            assert response.status_code == 413
            assert response.json() == {
                "code": 8,
                "message": "the request body is larger than the limit of 1024 bytes",
            }
    assert (await api.hub_client.get_local_node_id()).node_id == "local-node"
