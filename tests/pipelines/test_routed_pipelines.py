"""PipelinesService across a cluster: any node's API manages every node's pipelines."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from nanoping.testing.cluster import join, start_controller, wait_until
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

SERVICE = "/nanopinggrpc.pipeline.PipelinesService/"
CONFIG = (
    Path(__file__).resolve().parents[2] / "examples" / "python" / "pipeline_config.json"
).read_text()


class Door:
    """One node's gRPC API."""

    def __init__(self, api: ReferenceApi, node: NodeProcess) -> None:
        self.api = api
        self.node = node
        self.channel = grpc.insecure_channel(node.grpc_address)

    def call(self, method: str, **fields: Any) -> Any:
        return self.api.call(
            self.channel, SERVICE + method, self.api.request(SERVICE + method, **fields)
        )

    def code_of(self, method: str, **fields: Any) -> grpc.StatusCode:
        with pytest.raises(grpc.RpcError) as raised:
            self.call(method, **fields)
        code: grpc.StatusCode = raised.value.code()
        return code


@pytest.fixture
def doors(tmp_path: Path, reference_api: ReferenceApi) -> Iterator[tuple[Door, Door]]:
    controller = start_controller(tmp_path)
    client = NodeProcess(data_dir=tmp_path / "client").start()
    join(reference_api, controller, client)
    hub, edge = Door(reference_api, controller), Door(reference_api, client)
    wait_until(
        lambda: _reachable(edge, controller.node_id),
        what="the controller reachable from the client",
    )
    yield hub, edge
    hub.channel.close()
    edge.channel.close()
    client.stop()
    controller.stop()


def _reachable(door: Door, node_id: str) -> bool:
    try:
        door.call("getPipelines", node_id=node_id)
    except grpc.RpcError:
        return False
    return True


def crud(door: Door, node_id: str) -> str:
    """The seed walkthrough's CRUD on one node, through ``door``; returns the id it used."""
    created = door.call(
        "createPipeline",
        node_id=node_id,
        json_config=CONFIG,
        name="My First Pipeline",
        instructions_timeout=15,
    ).pipeline
    updated = door.call(
        "updatePipeline",
        node_id=node_id,
        id=created.id,
        json_config=created.json_config,
        name="My Updated Pipeline",
        restart_policy=created.restart_policy,
        default_logging_level=created.default_logging_level,
        instructions_timeout=created.instructions_timeout,
    ).pipeline
    fetched = door.call("getPipelineById", node_id=node_id, id=updated.id).pipeline
    assert (fetched.id, fetched.name) == (created.id, "My Updated Pipeline")
    door.call("deletePipeline", node_id=node_id, id=fetched.id)
    return str(created.id)


def test_the_client_manages_pipelines_on_both_nodes(doors: tuple[Door, Door]) -> None:
    hub, edge = doors
    for node in (hub.node, edge.node):
        crud(edge, node.node_id)
    kept = edge.call(
        "createPipeline", node_id=hub.node.node_id, json_config=CONFIG, name="kept"
    ).pipeline
    on_controller = hub.call("getPipelines", node_id=hub.node.node_id).pipelines
    assert [pipeline.id for pipeline in on_controller] == [kept.id]
    assert edge.call("getPipelines", node_id=edge.node.node_id).pipelines == []


class Events:
    def __init__(self, door: Door, node_id: str) -> None:
        path = SERVICE + "streamPipelines"
        self._stream = door.api.stream(
            door.channel, path, door.api.request(path, node_id=node_id), timeout=None
        )
        self._stream.initial_metadata()
        self.seen: list[tuple[str, str]] = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            for event in self._stream:
                kind = event.WhichOneof("event")
                self.seen.append((kind, getattr(event, kind).pipeline.id))
        except grpc.RpcError:
            pass

    def close(self) -> None:
        self._stream.cancel()


def test_events_reach_streams_opened_through_other_nodes(doors: tuple[Door, Door]) -> None:
    hub, edge = doors
    controller_events_via_client = Events(edge, hub.node.node_id)
    client_events_via_controller = Events(hub, edge.node.node_id)
    first = crud(hub, hub.node.node_id)
    second = crud(edge, edge.node.node_id)
    wait_until(
        lambda: len(controller_events_via_client.seen) == 3, what="controller events at the client"
    )
    wait_until(
        lambda: len(client_events_via_controller.seen) == 3, what="client events at the controller"
    )
    assert controller_events_via_client.seen == [
        ("create", first),
        ("update", first),
        ("delete", first),
    ]
    assert client_events_via_controller.seen == [
        ("create", second),
        ("update", second),
        ("delete", second),
    ]
    controller_events_via_client.close()
    client_events_via_controller.close()


def test_unknown_and_offline_nodes(
    doors: tuple[Door, Door], tmp_path: Path, reference_api: ReferenceApi
) -> None:
    hub, edge = doors
    unknown = "00000000-0000-4000-8000-000000000000"
    for door in (hub, edge):
        assert door.code_of("getPipelines", node_id=unknown) == grpc.StatusCode.NOT_FOUND
        assert (
            door.code_of("createPipeline", node_id=unknown, json_config=CONFIG)
            == grpc.StatusCode.NOT_FOUND
        )
    gone = NodeProcess(data_dir=tmp_path / "gone").start()
    join(reference_api, hub.node, gone)
    wait_until(lambda: _reachable(edge, gone.node_id), what="the third node reachable")
    gone.stop()
    wait_until(lambda: not _reachable(hub, gone.node_id), what="the third node offline")
    for door in (hub, edge):
        assert door.code_of("getPipelines", node_id=gone.node_id) == grpc.StatusCode.UNAVAILABLE


def test_bad_config_through_the_hub_names_component_and_key(doors: tuple[Door, Door]) -> None:
    hub, edge = doors
    bad = CONFIG.replace('"mtu": 1500', '"mtu": "big"')
    with pytest.raises(grpc.RpcError) as raised:
        edge.call("createPipeline", node_id=hub.node.node_id, json_config=bad, name="bad")
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "traffic_sink-1" in str(raised.value.details())
    assert "mtu" in str(raised.value.details())
    assert hub.call("getPipelines", node_id=hub.node.node_id).pipelines == []
