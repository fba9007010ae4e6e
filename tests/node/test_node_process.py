"""A real `np up` process: identity, setNode persistence, API registration, lifecycle."""

from __future__ import annotations

import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

LOCAL_NODE_ID = "/nanopinggrpc.hub.HubClientService/getLocalNodeId"
GET_NODE = "/nanopinggrpc.hub.HubClientService/getNode"
SET_NODE = "/nanopinggrpc.hub.HubClientService/setNode"
CONNECTION_STATE = "/nanopinggrpc.hub.HubClientService/streamConnectionState"


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """One node for the module's tests that need a running node, not a fresh one."""
    with NodeProcess(data_dir=tmp_path_factory.mktemp("shared") / "node-data") as started:
        yield started


@pytest.fixture
def own_node(data_dir: Path) -> Iterator[NodeProcess]:
    """A node of the test's own, for a test that stops it."""
    with NodeProcess(data_dir=data_dir) as started:
        yield started


def channel_to(node: NodeProcess) -> grpc.Channel:
    return grpc.insecure_channel(node.grpc_address)


def metadata(api: ReferenceApi, **strings: str) -> object:
    items = {
        key: api.message("nanopinggrpc.hub.NodeMetadataItem", string_value=value)
        for key, value in strings.items()
    }
    return api.message("nanopinggrpc.hub.NodeMetadata", items=items)


def test_local_node_id_is_a_uuid_kept_across_restarts(
    data_dir: Path, reference_api: ReferenceApi
) -> None:
    with NodeProcess(data_dir=data_dir) as node, channel_to(node) as channel:
        first = reference_api.call(channel, LOCAL_NODE_ID, reference_api.request(LOCAL_NODE_ID))
        assert uuid.UUID(first.node_id).version == 4
        assert first.node_id == node.node_id
        assert first.is_authenticated is False
        request = reference_api.request(
            SET_NODE,
            node_id="",
            name="My NanoPing Client",
            metadata=metadata(reference_api, type="my-type", location="Denmark, Aalborg"),
        )
        reply = reference_api.call(channel, SET_NODE, request)
        assert reply.node.name == "My NanoPing Client"
        assert reply.node.id == first.node_id
    with NodeProcess(data_dir=data_dir) as node, channel_to(node) as channel:
        again = reference_api.call(channel, LOCAL_NODE_ID, reference_api.request(LOCAL_NODE_ID))
        assert again.node_id == first.node_id
        got = reference_api.call(
            channel, GET_NODE, reference_api.request(GET_NODE, node_id=again.node_id)
        )
        assert got.node.name == "My NanoPing Client"
        assert got.node.metadata.items["type"].string_value == "my-type"
        assert got.node.metadata.items["location"].string_value == "Denmark, Aalborg"
        assert node.name == "My NanoPing Client"


def test_set_node_replaces_everything(node: NodeProcess, reference_api: ReferenceApi) -> None:
    with channel_to(node) as channel:
        first = reference_api.request(SET_NODE, name="a", metadata=metadata(reference_api, k="v"))
        reference_api.call(channel, SET_NODE, first)
        bytes_item = reference_api.message(
            "nanopinggrpc.hub.NodeMetadataItem", bytes_value=bytes(10)
        )
        second = reference_api.request(
            SET_NODE,
            node_id=node.node_id,
            name="b",
            metadata=reference_api.message(
                "nanopinggrpc.hub.NodeMetadata", items={"zeros": bytes_item}
            ),
        )
        reply = reference_api.call(channel, SET_NODE, second)
        assert reply.node.name == "b"
        assert dict(reply.node.metadata.items) == {"zeros": bytes_item}
        cleared = reference_api.call(channel, SET_NODE, reference_api.request(SET_NODE, name=""))
        assert len(cleared.node.metadata.items) == 0
        assert cleared.node.name  # falls back to the hostname


def test_get_node_of_unknown_node_is_not_found(
    node: NodeProcess, reference_api: ReferenceApi
) -> None:
    with channel_to(node) as channel, pytest.raises(grpc.RpcError) as raised:
        reference_api.call(
            channel, GET_NODE, reference_api.request(GET_NODE, node_id=str(uuid.uuid4()))
        )
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_set_node_with_empty_metadata_value_is_invalid(
    node: NodeProcess, reference_api: ReferenceApi
) -> None:
    empty_item = reference_api.message("nanopinggrpc.hub.NodeMetadataItem")
    request = reference_api.request(
        SET_NODE,
        name="x",
        metadata=reference_api.message("nanopinggrpc.hub.NodeMetadata", items={"k": empty_item}),
    )
    with channel_to(node) as channel, pytest.raises(grpc.RpcError) as raised:
        reference_api.call(channel, SET_NODE, request)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "metadata item 'k' has no value set" in str(raised.value.details())


def test_node_configured_from_file_refuses_set_node(
    tmp_path: Path, data_dir: Path, reference_api: ReferenceApi
) -> None:
    config = tmp_path / "controller.yaml"
    config.write_text("node:\n  name: My Controller\ngrpcBridge:\n  address: 127.0.0.1:0\n")
    with NodeProcess(data_dir=data_dir, global_args=["-c", str(config)], up_args=()) as node:
        assert node.name == "My Controller"
        with channel_to(node) as channel:
            with pytest.raises(grpc.RpcError) as raised:
                reference_api.call(channel, SET_NODE, reference_api.request(SET_NODE, name="other"))
            assert raised.value.code() == grpc.StatusCode.PERMISSION_DENIED
            got = reference_api.call(channel, GET_NODE, reference_api.request(GET_NODE))
            assert got.node.name == "My Controller"


def test_connection_state_stream_starts_with_current_state(
    node: NodeProcess, reference_api: ReferenceApi
) -> None:
    with channel_to(node) as channel:
        stream = reference_api.stream(
            channel, CONNECTION_STATE, reference_api.request(CONNECTION_STATE), timeout=None
        )
        first = next(stream)
        assert first.state == 0  # UNAUTHENTICATED: this node has not joined a hub
        stream.cancel()


def test_every_reference_method_is_served(node: NodeProcess, reference_api: ReferenceApi) -> None:
    """All 9 services and 46 methods answer; those not built say UNIMPLEMENTED and name themselves.

    The networks services live on the hub node: a node that has none says so.
    """
    implemented_services = {
        "HubClientService",
        "HubServerService",
        "PipelinesService",
        "ConfigService",
        "LoggingService",
        "ResourcesService",
    }
    networks_services = {"Networks", "Blueprints", "NetworkInstances"}
    methods = list(reference_api.methods())
    assert len(methods) == 46
    assert len({method.containing_service.full_name for method in methods}) == 9
    with channel_to(node) as channel:
        for method in methods:
            path = f"/{method.containing_service.full_name}/{method.name}"
            if method.containing_service.name in implemented_services:
                continue
            code, details = _call_once(reference_api, channel, path)
            if method.containing_service.name in networks_services:
                assert code == grpc.StatusCode.FAILED_PRECONDITION, path
                assert "not authenticated with a hub" in details
                continue
            assert code == grpc.StatusCode.UNIMPLEMENTED, path
            assert (
                f"{method.containing_service.name}.{method.name} is not implemented yet" in details
            )


def _call_once(api: ReferenceApi, channel: grpc.Channel, path: str) -> tuple[grpc.StatusCode, str]:
    method = api.method(path)
    request = api.message(method.input_type.full_name)
    try:
        if method.client_streaming:
            next(iter(api.bidi(channel, path, iter([request]))))
        elif method.server_streaming:
            next(iter(api.stream(channel, path, request)))
        else:
            api.call(channel, path, request)
    except grpc.RpcError as error:
        return error.code(), str(error.details())
    return grpc.StatusCode.OK, ""


def test_sigint_stops_gracefully(own_node: NodeProcess) -> None:
    own_node.signal(signal.SIGINT)
    assert own_node.wait() == 0
    assert any("node stopped" in line for line in own_node.stderr_lines)


def test_second_node_on_same_data_dir_refuses_and_first_keeps_serving(
    node: NodeProcess, reference_api: ReferenceApi
) -> None:
    second = NodeProcess(data_dir=node.data_dir)
    with pytest.raises(Exception, match="is in use by another node"):
        second.start()
    assert second.process is not None
    assert second.process.returncode == 1
    with channel_to(node) as channel:
        reply = reference_api.call(channel, LOCAL_NODE_ID, reference_api.request(LOCAL_NODE_ID))
    assert reply.node_id == node.node_id
