"""The asyncio ``nanoping-api`` client against real nodes: joining and every error it can meet,
node lists, and pipelines on both nodes followed through their change streams."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import nanoping_api
import pytest
from nanoping_api import Code, NodeService

from nanoping.testing.cluster import hub_url
from nanoping.testing.node_process import NodeProcess

from .rest_cluster import (
    PIPELINE_CONFIG,
    REST_API_CONFIG,
    UNKNOWN_NODE,
    event_kinds,
    ids,
    join_when_answered_async,
    metadata,
    names,
    rename_pipeline,
    start_rest_controller,
    start_rest_node,
)

T = TypeVar("T")
CLIENT_NAME = "Async Client"


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    with contextlib.ExitStack() as stack:
        controller = start_rest_controller(tmp_path, join_timeout="2s")
        stack.callback(controller.stop)
        client = start_rest_node(tmp_path / "client-data")
        stack.callback(client.stop)
        yield controller, client


@pytest.fixture
async def apis(
    nodes: tuple[NodeProcess, NodeProcess],
) -> AsyncIterator[tuple[nanoping_api.AsyncNanopingClient, nanoping_api.AsyncNanopingClient]]:
    controller, client = nodes
    async with (
        nanoping_api.AsyncNanopingClient(controller.rest_url, timeout=30) as hub,
        nanoping_api.AsyncNanopingClient(client.rest_url, timeout=30) as edge,
    ):
        yield hub, edge


@contextlib.asynccontextmanager
async def answering(
    hub: nanoping_api.AsyncNanopingClient, *, accept: bool
) -> AsyncIterator[list[nanoping_api.AuthenticationByRequestRequest]]:
    """``answer_join_requests`` running in a task for the duration of the block."""
    seen: list[nanoping_api.AuthenticationByRequestRequest] = []

    def decide(request: nanoping_api.AuthenticationByRequestRequest) -> bool:
        seen.append(request)
        return accept

    task = asyncio.ensure_future(hub.answer_join_requests(decide))
    try:
        yield seen
    finally:
        task.cancel()
        await asyncio.wait({task})


async def api_error(call: Awaitable[Any]) -> nanoping_api.ApiError:
    with pytest.raises(nanoping_api.ApiError) as raised:
        await call
    return raised.value


async def eventually(condition: Any, what: str, within: float = 20) -> None:
    """Await ``condition()`` (sync or async) until true; fail naming ``what`` at the deadline."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        await asyncio.sleep(0.02)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def hub_without_join_by_request(tmp_path: Path) -> NodeProcess:
    config = tmp_path / "closed-hub.yaml"
    config.write_text(
        "node:\n  name: Closed Hub\nhttp:\n  address: 127.0.0.1:0\n"
        "hubServer:\n  linkTimeout: 15s\n" + REST_API_CONFIG
    )
    return NodeProcess(
        data_dir=tmp_path / "closed-hub-data", global_args=["-c", str(config)], up_args=()
    ).start()


async def online_ids(api: nanoping_api.AsyncNanopingClient) -> list[str]:
    return [node.id for node in (await api.hub_server.get_nodes()).nodes if node.online]


async def test_every_answer_a_join_can_get(
    tmp_path: Path,
    nodes: tuple[NodeProcess, NodeProcess],
    apis: tuple[nanoping_api.AsyncNanopingClient, nanoping_api.AsyncNanopingClient],
) -> None:
    controller, client = nodes
    hub, edge = apis
    alone = await api_error(edge.hub_server.get_nodes())
    assert (alone.code, alone.status) == (Code.FAILED_PRECONDITION, 400)
    unreachable = await api_error(edge.join_hub(f"http://127.0.0.1:{closed_port()}"))
    assert (unreachable.code, unreachable.status) == (Code.UNAVAILABLE, 503)
    unanswered = await api_error(edge.join_hub(hub_url(controller)))
    assert (unanswered.code, unanswered.status) == (Code.DEADLINE_EXCEEDED, 504)
    async with answering(hub, accept=False) as seen:
        await eventually(lambda: _rejected(edge, hub_url(controller)), "a rejection")
    assert {request.node.id for request in seen} == {client.node_id}
    closed_hub = hub_without_join_by_request(tmp_path)
    try:
        closed = await api_error(edge.join_hub(hub_url(closed_hub)))
        assert (closed.code, closed.status) == (Code.NOT_FOUND, 404)
    finally:
        closed_hub.stop()
    async with answering(hub, accept=True):
        await join_when_answered_async(client.rest_url, hub_url(controller))
    again = await api_error(edge.join_hub(hub_url(controller)))
    assert (again.code, again.status) == (Code.ALREADY_EXISTS, 409)
    assert (await edge.hub_client.get_local_node_id()).is_authenticated


async def _rejected(edge: nanoping_api.AsyncNanopingClient, address: str) -> bool:
    """True once a join was rejected; False while the approver was not listening yet."""
    error = await api_error(edge.join_hub(address))
    if (error.code, error.status) == (Code.DEADLINE_EXCEEDED, 504):
        return False
    assert (error.code, error.status) == (Code.UNAUTHENTICATED, 401)
    return True


@pytest.fixture
async def joined(
    nodes: tuple[NodeProcess, NodeProcess],
    apis: tuple[nanoping_api.AsyncNanopingClient, nanoping_api.AsyncNanopingClient],
) -> tuple[nanoping_api.AsyncNanopingClient, nanoping_api.AsyncNanopingClient]:
    controller, client = nodes
    hub, edge = apis
    await edge.hub_client.set_node(name=CLIENT_NAME, metadata=metadata(role="edge", cores=8))
    async with answering(hub, accept=True):
        await join_when_answered_async(client.rest_url, hub_url(controller))
    await eventually(lambda: _is_online(hub, client.node_id), "the client online at the hub")
    return hub, edge


async def _is_online(api: nanoping_api.AsyncNanopingClient, node_id: str) -> bool:
    return node_id in await online_ids(api)


async def test_node_lists_with_both_filters(
    nodes: tuple[NodeProcess, NodeProcess],
    joined: tuple[nanoping_api.AsyncNanopingClient, nanoping_api.AsyncNanopingClient],
) -> None:
    controller, client = nodes
    for api in joined:
        everyone = (await api.hub_server.get_nodes()).nodes
        assert names(everyone) == {"My Controller", CLIENT_NAME}
        by_metadata = await api.hub_server.get_nodes(metadata_filters=metadata(cores=8).items)
        assert ids(by_metadata.nodes) == [client.node_id]
        by_service = await api.hub_server.get_nodes(service_filters=[NodeService.HUB_SERVER])
        assert ids(by_service.nodes) == [controller.node_id]
        by_both = await api.hub_server.get_nodes(
            metadata_filters=metadata(role="edge").items, service_filters=[NodeService.HUB_SERVER]
        )
        assert by_both.nodes == []


class Followed:
    """A task reading an asyncio stream into a list."""

    def __init__(self, stream: nanoping_api.AsyncServerStream[T]) -> None:
        self.messages: list[Any] = []
        self._task = asyncio.ensure_future(self._read(stream))

    async def _read(self, stream: nanoping_api.AsyncServerStream[Any]) -> None:
        async for message in stream:
            self.messages.append(message)

    async def ended(self) -> None:
        """Wait for the stream's end; its error is raised."""
        await self._task

    async def close(self) -> None:
        self._task.cancel()
        await asyncio.wait({self._task})


async def test_node_events_follow_a_rename(
    nodes: tuple[NodeProcess, NodeProcess],
    joined: tuple[nanoping_api.AsyncNanopingClient, nanoping_api.AsyncNanopingClient],
) -> None:
    _, client = nodes
    hub, edge = joined
    events = Followed(await hub.hub_server.stream_nodes(service_filters=[NodeService.HUB_SERVER]))
    await eventually(lambda: len(events.messages) == 1, "the initial list")
    initial = events.messages[0].initial_response
    assert initial is not None
    assert names(initial.nodes) == {"My Controller"}  # updates are not filtered
    await edge.hub_client.set_node(name="Renamed Edge", metadata=metadata(role="edge"))
    await eventually(lambda: len(events.messages) == 3, "name and metadata updates")
    updates = [message.update_response for message in events.messages[1:]]
    assert [update.updated_name_node.name for update in updates if update.updated_name_node] == [
        "Renamed Edge"
    ]
    assert [
        update.updated_metadata_node.id for update in updates if update.updated_metadata_node
    ] == [client.node_id]
    await events.close()


async def test_pipelines_on_both_nodes_followed_through_their_streams(
    nodes: tuple[NodeProcess, NodeProcess],
    joined: tuple[nanoping_api.AsyncNanopingClient, nanoping_api.AsyncNanopingClient],
) -> None:
    _, edge = joined
    for node in nodes:
        stream = await edge.pipelines.stream_pipelines(node_id=node.node_id)  # ready: subscribed
        events = Followed(stream)
        name = f"tunnel on {node.name}"
        created = (
            await edge.pipelines.create_pipeline(
                node_id=node.node_id,
                name=name,
                json_config=PIPELINE_CONFIG,
                restart_policy=nanoping_api.RestartPolicy(
                    on_failure=nanoping_api.RestartPolicyOnFailure(max_restarts=3)
                ),
                default_logging_level=nanoping_api.Level.DEBUG,
            )
        ).pipeline
        assert created.restart_policy.on_failure == nanoping_api.RestartPolicyOnFailure(
            max_restarts=3
        )
        assert created.default_logging_level == nanoping_api.Level.DEBUG
        assert created.performance_mode is True
        read = await edge.pipelines.get_pipeline_by_name(node_id=node.node_id, name=name)
        assert read.pipeline == created
        renamed = (
            await rename_pipeline(
                edge.pipelines, node_id=node.node_id, pipeline=created, name=name + " (2)"
            )
        ).pipeline
        assert (renamed.id, renamed.name) == (created.id, name + " (2)")
        by_id = await edge.pipelines.get_pipeline_by_id(node_id=node.node_id, id=created.id)
        assert by_id.pipeline == renamed
        await edge.pipelines.delete_pipeline(node_id=node.node_id, id=created.id)
        gone = await api_error(
            edge.pipelines.get_pipeline_by_id(node_id=node.node_id, id=created.id)
        )
        assert (gone.code, gone.status) == (Code.NOT_FOUND, 404)
        await eventually(lambda events=events: len(events.messages) >= 3, "three events")
        assert event_kinds(events.messages) == [
            ("create", name),
            ("update", name + " (2)"),
            ("delete", name + " (2)"),
        ]
        await events.close()
    unknown = await api_error(edge.pipelines.get_pipelines(node_id=UNKNOWN_NODE))
    assert (unknown.code, unknown.status) == (Code.NOT_FOUND, 404)


async def test_run_a_pipeline_follow_its_log_and_see_it_end(
    nodes: tuple[NodeProcess, NodeProcess],
    joined: tuple[nanoping_api.AsyncNanopingClient, nanoping_api.AsyncNanopingClient],
) -> None:
    controller, client = nodes
    hub, edge = joined
    await run_and_stop(hub, client.node_id)  # each node's pipeline through the other's API
    await run_and_stop(edge, controller.node_id)


async def run_and_stop(api: nanoping_api.AsyncNanopingClient, node_id: str) -> None:
    created = (
        await api.pipelines.create_pipeline(
            node_id=node_id, name="traffic", json_config=PIPELINE_CONFIG
        )
    ).pipeline
    log = cast(AsyncGenerator[nanoping_api.Message, None], api.run_pipeline(node_id, created.id))
    try:
        assert (await anext(log)).message  # the first line, replayed from the log's start
        running = (await api.pipelines.get_pipeline_by_id(node_id=node_id, id=created.id)).pipeline
        assert running.started
        assert running.current_run is not None
        telemetry = Followed(
            await api.pipelines.open_telemetry_stream(node_id=node_id, run_id=running.current_run)
        )
        await eventually(lambda: len(telemetry.messages) >= 1, "a telemetry sample")
        await api.pipelines.stop_pipeline(node_id=node_id, run_id=running.current_run)
        assert (await anext(log)).message  # the end of the run reaches its log
        error = await api_error(telemetry.ended())  # and ends its telemetry with an error
        assert error.status == 0
    finally:
        await log.aclose()

    async def stopped() -> bool:
        reply = await api.pipelines.get_pipeline_by_id(node_id=node_id, id=created.id)
        return not reply.pipeline.started

    await eventually(stopped, "the pipeline stopped")
