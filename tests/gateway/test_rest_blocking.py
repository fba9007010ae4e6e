"""The blocking ``nanoping-api`` client against a real controller and client node."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import Any, cast

import nanoping_api
import pytest
from nanoping_api import Code, NodeService

from nanoping.testing.cluster import hub_url, wait_until
from nanoping.testing.node_process import NodeProcess

from .rest_cluster import (
    PIPELINE_CONFIG,
    UNKNOWN_NODE,
    Follower,
    JoinAnswers,
    api_error,
    event_kinds,
    ids,
    join_when_answered,
    metadata,
    names,
    rename_pipeline,
    start_rest_controller,
    start_rest_node,
)

CLIENT_NAME = "My NanoPing Client"

# The blocking client opens its WebSocket with websockets.sync.client.connect() outside a
# context manager, which websockets 17 deprecates; that is the client's business, not ours.
pytestmark = pytest.mark.filterwarnings(
    "ignore:connect\\(\\) must be used as a context manager:DeprecationWarning"
)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    with contextlib.ExitStack() as stack:
        controller = start_rest_controller(tmp_path)
        stack.callback(controller.stop)
        client = start_rest_node(tmp_path / "client-data")
        stack.callback(client.stop)
        yield controller, client


@pytest.fixture
def joined(
    nodes: tuple[NodeProcess, NodeProcess],
) -> Iterator[tuple[nanoping_api.NanopingClient, nanoping_api.NanopingClient]]:
    """REST clients of the controller and of the client node, joined through the REST API."""
    controller, client = nodes
    with (
        nanoping_api.NanopingClient(controller.rest_url, timeout=30) as hub,
        nanoping_api.NanopingClient(client.rest_url, timeout=30) as edge,
    ):
        edge.hub_client.set_node(name=CLIENT_NAME, metadata=metadata(type="my-type", rank=3))
        answers = JoinAnswers(hub, decide=lambda request: request.node.name == CLIENT_NAME)
        join_when_answered(client.rest_url, hub_url(controller))
        assert [request.node.id for request in answers.seen][-1:] == [client.node_id]
        wait_until(
            lambda: (
                client.node_id
                in ids(node for node in hub.hub_server.get_nodes().nodes if node.online)
            ),
            what="the client online at the hub",
        )
        yield hub, edge


def test_name_join_and_list_nodes(
    nodes: tuple[NodeProcess, NodeProcess],
    joined: tuple[nanoping_api.NanopingClient, nanoping_api.NanopingClient],
) -> None:
    controller, client = nodes
    hub, edge = joined
    identity = edge.hub_client.get_local_node_id()
    assert (identity.node_id, identity.is_authenticated) == (client.node_id, True)
    me = edge.hub_client.get_node().node
    assert (me.name, me.metadata) == (CLIENT_NAME, metadata(type="my-type", rank=3))
    for api in (hub, edge):  # the client's calls are carried to the hub
        everyone = api.hub_server.get_nodes().nodes
        assert names(everyone) == {"My Controller", CLIENT_NAME}
        typed = api.hub_server.get_nodes(metadata_filters=metadata(type="my-type").items).nodes
        assert ids(typed) == [client.node_id]
        wrong_type = api.hub_server.get_nodes(metadata_filters=metadata(rank="3").items).nodes
        assert wrong_type == []
        pipelines = api.hub_server.get_nodes(service_filters=[NodeService.PIPELINES]).nodes
        assert names(pipelines) == {"My Controller", CLIENT_NAME}
        hubs = api.hub_server.get_nodes(
            service_filters=[NodeService.HUB_SERVER, NodeService.PIPELINES]
        ).nodes
        assert ids(hubs) == [controller.node_id]
        both = api.hub_server.get_nodes(
            metadata_filters=metadata(rank=3).items, service_filters=[NodeService.PIPELINES]
        ).nodes
        assert ids(both) == [client.node_id]


def test_routed_node_calls_and_their_errors(
    nodes: tuple[NodeProcess, NodeProcess],
    joined: tuple[nanoping_api.NanopingClient, nanoping_api.NanopingClient],
) -> None:
    controller, client = nodes
    hub, edge = joined
    renamed = hub.hub_client.set_node(node_id=client.node_id, name="renamed / remotely").node
    assert (renamed.id, renamed.name, renamed.metadata.items) == (
        client.node_id,
        "renamed / remotely",
        {},
    )
    assert edge.hub_client.get_node(node_id=client.node_id).node.name == "renamed / remotely"
    assert edge.hub_client.get_node(node_id=controller.node_id).node.name == "My Controller"
    denied = api_error(lambda: edge.hub_client.set_node(node_id=controller.node_id, name="x"))
    assert (denied.code, denied.status) == (Code.PERMISSION_DENIED, 403)
    for unknown in (
        api_error(lambda: hub.hub_client.get_node(node_id=UNKNOWN_NODE)),
        api_error(lambda: edge.hub_client.get_node(node_id=UNKNOWN_NODE)),
    ):
        assert (unknown.code, unknown.status) == (Code.NOT_FOUND, 404)
    again = api_error(lambda: edge.join_hub(hub_url(controller)))
    assert (again.code, again.status) == (Code.ALREADY_EXISTS, 409)
    own = api_error(lambda: hub.join_hub(hub_url(controller)))
    assert (own.code, own.status) == (Code.FAILED_PRECONDITION, 400)
    client.stop()
    wait_until(
        lambda: client.node_id not in ids(n for n in hub.hub_server.get_nodes().nodes if n.online),
        what="the client offline",
    )
    offline = api_error(lambda: hub.hub_client.get_node(node_id=client.node_id))
    assert (offline.code, offline.status) == (Code.UNAVAILABLE, 503)


def test_pipelines_on_both_nodes_through_one_api(
    nodes: tuple[NodeProcess, NodeProcess],
    joined: tuple[nanoping_api.NanopingClient, nanoping_api.NanopingClient],
) -> None:
    controller, client = nodes
    hub, _ = joined
    for node in (controller, client):
        with hub.pipelines.stream_pipelines(node_id=node.node_id) as stream:
            events = Follower(stream)
            created = hub.pipelines.create_pipeline(
                node_id=node.node_id, name="UDP tunnel / a", json_config=PIPELINE_CONFIG
            ).pipeline
            assert (created.name, created.started, created.instructions_timeout) == (
                "UDP tunnel / a",
                False,
                30,
            )
            by_name = hub.pipelines.get_pipeline_by_name(
                node_id=node.node_id, name="UDP tunnel / a"
            )
            assert by_name.pipeline == created
            renamed = rename_pipeline(
                hub.pipelines, node_id=node.node_id, pipeline=created, name="UDP tunnel b"
            ).pipeline
            assert renamed.name == "UDP tunnel b"
            read = hub.pipelines.get_pipeline_by_id(node_id=node.node_id, id=created.id).pipeline
            assert read == renamed
            listed = hub.pipelines.get_pipelines(node_id=node.node_id).pipelines
            assert ids(listed) == [created.id]
            hub.pipelines.delete_pipeline(node_id=node.node_id, id=created.id)
            assert hub.pipelines.get_pipelines(node_id=node.node_id).pipelines == []
            wait_until(events.holds(3), what="three pipeline events")
            assert event_kinds(events.messages) == [
                ("create", "UDP tunnel / a"),
                ("update", "UDP tunnel b"),
                ("delete", "UDP tunnel b"),
            ]
        events.close()


def test_pipeline_error_codes(
    nodes: tuple[NodeProcess, NodeProcess],
    joined: tuple[nanoping_api.NanopingClient, nanoping_api.NanopingClient],
) -> None:
    controller, client = nodes
    hub, edge = joined
    pipelines = edge.pipelines
    for node_id in (controller.node_id, client.node_id):
        for (code, status), call in pipeline_failures(pipelines, node_id):
            error = api_error(call)
            assert (error.code, error.status) == (code, status), error
    unknown = api_error(lambda: pipelines.get_pipelines(node_id=UNKNOWN_NODE))
    assert (unknown.code, unknown.status) == (Code.NOT_FOUND, 404)
    client.stop()
    wait_until(
        lambda: client.node_id not in ids(n for n in hub.hub_server.get_nodes().nodes if n.online),
        what="the client offline",
    )
    offline = api_error(lambda: hub.pipelines.get_pipelines(node_id=client.node_id))
    assert (offline.code, offline.status) == (Code.UNAVAILABLE, 503)


def pipeline_failures(
    pipelines: Any, node_id: str
) -> list[tuple[tuple[Code, int], Callable[[], object]]]:
    """Calls on a node's pipelines that fail, with the code and HTTP status they must get."""
    return [
        ((Code.NOT_FOUND, 404), lambda: pipelines.get_pipeline_by_id(node_id=node_id, id="no")),
        (
            (Code.NOT_FOUND, 404),
            lambda: pipelines.get_pipeline_by_name(node_id=node_id, name="no such"),
        ),
        ((Code.NOT_FOUND, 404), lambda: pipelines.delete_pipeline(node_id=node_id, id="no")),
        (
            (Code.INVALID_ARGUMENT, 400),
            lambda: pipelines.create_pipeline(node_id=node_id, name="x", json_config="{"),
        ),
        (
            (Code.INVALID_ARGUMENT, 400),
            lambda: pipelines.create_pipeline(
                node_id=node_id, name="x", json_config=PIPELINE_CONFIG, cpu_pin=100_000
            ),
        ),
        (
            (Code.DEADLINE_EXCEEDED, 504),
            lambda: pipelines.get_pipeline_by_run_id(node_id=node_id, id="no-such-run"),
        ),
    ]


def test_routed_streams_report_the_loss_of_the_hub(
    nodes: tuple[NodeProcess, NodeProcess],
    joined: tuple[nanoping_api.NanopingClient, nanoping_api.NanopingClient],
) -> None:
    controller, _ = nodes
    _, edge = joined
    node_events = Follower(edge.hub_server.stream_nodes())  # served by the hub, via the client
    hub_pipelines = Follower(edge.pipelines.stream_pipelines(node_id=controller.node_id))
    wait_until(lambda: len(node_events.messages) == 1, what="the initial node list")
    assert node_events.messages[0].initial_response is not None
    assert names(node_events.messages[0].initial_response.nodes) == {"My Controller", CLIENT_NAME}
    controller.kill()
    for follower in (node_events, hub_pipelines):
        assert follower.ended.wait(20)
        assert_reported_unavailable(follower.error)


def test_a_routed_stream_reports_the_loss_of_its_node(
    nodes: tuple[NodeProcess, NodeProcess],
    joined: tuple[nanoping_api.NanopingClient, nanoping_api.NanopingClient],
) -> None:
    _, client = nodes
    hub, _ = joined
    client_pipelines = Follower(hub.pipelines.stream_pipelines(node_id=client.node_id))
    client.kill()
    assert client_pipelines.ended.wait(20)
    assert_reported_unavailable(client_pipelines.error)


def assert_reported_unavailable(error: nanoping_api.ApiError | None) -> None:
    """An ``error`` event from the node serving the stream, not a broken connection."""
    assert error is not None
    assert (error.code, error.status) == (Code.UNAVAILABLE, 0)
    assert not error.message.startswith("stream failed"), error.message


def test_run_a_pipeline_follow_its_log_and_see_it_end(
    nodes: tuple[NodeProcess, NodeProcess],
    joined: tuple[nanoping_api.NanopingClient, nanoping_api.NanopingClient],
) -> None:
    controller, client = nodes
    hub, edge = joined
    run_and_stop(hub, client.node_id)  # each node's pipeline through the other node's API
    run_and_stop(edge, controller.node_id)


def run_and_stop(api: nanoping_api.NanopingClient, node_id: str) -> None:
    created = api.pipelines.create_pipeline(
        node_id=node_id, name="traffic", json_config=PIPELINE_CONFIG
    ).pipeline
    log = cast(Generator[nanoping_api.Message, None, None], api.run_pipeline(node_id, created.id))
    assert next(log).message  # the run's first line, replayed from the start of its log
    running = api.pipelines.get_pipeline_by_id(node_id=node_id, id=created.id).pipeline
    assert running.started
    assert running.current_run is not None
    telemetry = Follower(
        api.pipelines.open_telemetry_stream(node_id=node_id, run_id=running.current_run)
    )
    wait_until(telemetry.holds(1), what="a telemetry sample")
    api.pipelines.stop_pipeline(node_id=node_id, run_id=running.current_run)
    assert next(log).message  # the end of the run reaches its log
    log.close()
    assert telemetry.ended.wait(20)  # the telemetry stream ends with an error event
    assert telemetry.error is not None
    assert telemetry.error.status == 0

    def stopped() -> bool:
        return not api.pipelines.get_pipeline_by_id(node_id=node_id, id=created.id).pipeline.started

    wait_until(stopped, what="the pipeline stopped")
