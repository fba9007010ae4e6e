"""A joined cluster: registry, filters, node events, routed calls, leaving and removal."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from nanoping.testing.cluster import HUB_CLIENT, HUB_SERVER, join, start_controller, wait_until
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

PIPELINES, HUB_SERVER_SERVICE = 3, 0


class Cluster:
    def __init__(self, api: ReferenceApi, controller: NodeProcess, client: NodeProcess) -> None:
        self.api = api
        self.controller = controller
        self.client = client
        self.hub_channel = grpc.insecure_channel(controller.grpc_address)
        self.client_channel = grpc.insecure_channel(client.grpc_address)

    def call(self, channel: grpc.Channel, path: str, **fields: Any) -> Any:
        return self.api.call(channel, path, self.api.request(path, **fields))

    def status(self, channel: grpc.Channel, path: str, **fields: Any) -> grpc.StatusCode:
        with pytest.raises(grpc.RpcError) as raised:
            self.call(channel, path, **fields)
        return raised.value.code()

    def metadata(self, **values: Any) -> Any:
        items = {}
        for key, value in values.items():
            member = {
                str: "string_value",
                int: "int_value",
                bytes: "bytes_value",
                bool: "bool_value",
            }[type(value)]
            items[key] = self.api.message("nanopinggrpc.hub.NodeMetadataItem", **{member: value})
        return self.api.message("nanopinggrpc.hub.NodeMetadata", items=items)

    def close(self) -> None:
        self.hub_channel.close()
        self.client_channel.close()


@pytest.fixture
def cluster(tmp_path: Path, reference_api: ReferenceApi) -> Iterator[Cluster]:
    controller = start_controller(tmp_path)
    client = NodeProcess(data_dir=tmp_path / "client-data").start()
    join(reference_api, controller, client)
    built = Cluster(reference_api, controller, client)
    wait_until(lambda: online(built, client.node_id), what="the client online at the hub")
    yield built
    built.close()
    client.stop()
    controller.stop()


def nodes(cluster: Cluster, channel: grpc.Channel, **filters: Any) -> list[Any]:
    return list(cluster.call(channel, HUB_SERVER + "getNodes", **filters).nodes)


def online(cluster: Cluster, node_id: str) -> bool:
    return any(node.id == node_id and node.online for node in nodes(cluster, cluster.hub_channel))


def test_get_nodes_from_any_node_with_filters(cluster: Cluster) -> None:
    cluster.call(
        cluster.client_channel,
        HUB_CLIENT + "setNode",
        name="My NanoPing Client",
        metadata=cluster.metadata(type="my-type", rank=3),
    )
    wait_until(
        lambda: any(
            node.name == "My NanoPing Client" for node in nodes(cluster, cluster.hub_channel)
        ),
        what="the new name at the hub",
    )
    for channel in (cluster.hub_channel, cluster.client_channel):
        assert {node.name for node in nodes(cluster, channel)} == {
            "My Controller",
            "My NanoPing Client",
        }
        typed = cluster.metadata(type="my-type")
        assert [node.name for node in nodes(cluster, channel, metadata_filters=typed.items)] == [
            "My NanoPing Client"
        ]
        wrong_type = cluster.metadata(rank="3")
        assert nodes(cluster, channel, metadata_filters=wrong_type.items) == []
        both = cluster.metadata(type="my-type", rank=3)
        assert len(nodes(cluster, channel, metadata_filters=both.items)) == 1
        pipelines = nodes(cluster, channel, service_filters=[PIPELINES])
        assert {node.name for node in pipelines} == {"My Controller", "My NanoPing Client"}
        hubs = nodes(cluster, channel, service_filters=[HUB_SERVER_SERVICE, PIPELINES])
        assert [node.name for node in hubs] == ["My Controller"]


def test_routed_get_and_set_node(cluster: Cluster) -> None:
    remote = cluster.call(
        cluster.hub_channel, HUB_CLIENT + "getNode", node_id=cluster.client.node_id
    ).node
    assert (remote.id, remote.online) == (cluster.client.node_id, True)
    renamed = cluster.call(
        cluster.hub_channel,
        HUB_CLIENT + "setNode",
        node_id=cluster.client.node_id,
        name="renamed remotely",
    ).node
    assert renamed.name == "renamed remotely"
    local = cluster.call(cluster.client_channel, HUB_CLIENT + "getNode").node
    assert local.name == "renamed remotely"
    hub_view = cluster.call(
        cluster.client_channel, HUB_CLIENT + "getNode", node_id=cluster.controller.node_id
    ).node
    assert hub_view.name == "My Controller"
    denied = cluster.status(
        cluster.client_channel, HUB_CLIENT + "setNode", node_id=cluster.controller.node_id, name="x"
    )
    assert denied == grpc.StatusCode.PERMISSION_DENIED
    unknown = "00000000-0000-4000-8000-000000000000"
    for channel in (cluster.hub_channel, cluster.client_channel):
        assert (
            cluster.status(channel, HUB_CLIENT + "getNode", node_id=unknown)
            == grpc.StatusCode.NOT_FOUND
        )


def test_offline_node_is_unavailable(cluster: Cluster) -> None:
    cluster.client.stop()
    wait_until(lambda: not online(cluster, cluster.client.node_id), what="the client offline")
    code = cluster.status(
        cluster.hub_channel, HUB_CLIENT + "getNode", node_id=cluster.client.node_id
    )
    assert code == grpc.StatusCode.UNAVAILABLE


class NodeEvents:
    def __init__(self, cluster: Cluster, channel: grpc.Channel) -> None:
        path = HUB_SERVER + "streamNodes"
        self._stream = cluster.api.stream(channel, path, cluster.api.request(path), timeout=None)
        self._stream.initial_metadata()
        self.messages: list[Any] = []
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        try:
            for message in self._stream:
                self.messages.append(message)
        except grpc.RpcError:
            pass

    def kinds(self) -> list[str]:
        return [
            message.updateResponse.WhichOneof("update")
            for message in self.messages
            if message.WhichOneof("response") == "updateResponse"
        ]

    def close(self) -> None:
        self._stream.cancel()


def test_stream_nodes_reports_every_change(cluster: Cluster, tmp_path: Path) -> None:
    events = NodeEvents(
        cluster, cluster.client_channel
    )  # opened through the client, served by the hub
    wait_until(lambda: len(events.messages) >= 1, what="the initial response")
    initial = events.messages[0]
    assert initial.WhichOneof("response") == "initialResponse"
    assert len(initial.initialResponse.nodes) == 2
    cluster.call(
        cluster.client_channel, HUB_CLIENT + "setNode", name="n2", metadata=cluster.metadata(k="v")
    )
    wait_until(lambda: "updatedMetadataNode" in events.kinds(), what="name and metadata updates")
    assert events.kinds()[:2] == ["updatedNameNode", "updatedMetadataNode"]
    second = NodeProcess(data_dir=tmp_path / "second").start()
    join(cluster.api, cluster.controller, second)
    wait_until(lambda: "connectedNode" in events.kinds(), what="the second node's connection")
    second.stop()
    wait_until(lambda: "disconnectedNode" in events.kinds(), what="the second node's disconnection")
    cluster.call(cluster.hub_channel, HUB_SERVER + "removeNode", node_id=second.node_id)
    wait_until(lambda: "deauthenticatedNode" in events.kinds(), what="the removal")
    assert events.kinds()[2:] == [
        "authenticatedNode",
        "connectedNode",
        "disconnectedNode",
        "deauthenticatedNode",
    ]
    events.close()


def test_removed_node_drops_to_unauthenticated(cluster: Cluster) -> None:
    cluster.call(cluster.hub_channel, HUB_SERVER + "removeNode", node_id=cluster.client.node_id)

    def unauthenticated() -> bool:
        identity = cluster.call(cluster.client_channel, HUB_CLIENT + "getLocalNodeId")
        return not identity.is_authenticated

    wait_until(unauthenticated, what="the removed client to lose its credential")
    assert [node.id for node in nodes(cluster, cluster.hub_channel)] == [cluster.controller.node_id]
    code = cluster.status(cluster.client_channel, HUB_SERVER + "getNodes")
    assert code == grpc.StatusCode.FAILED_PRECONDITION
    unknown = cluster.status(
        cluster.hub_channel, HUB_SERVER + "removeNode", node_id=cluster.client.node_id
    )
    assert unknown == grpc.StatusCode.NOT_FOUND


def test_disconnect_leaves_the_hub(cluster: Cluster) -> None:
    cluster.call(cluster.client_channel, HUB_CLIENT + "disconnect")
    identity = cluster.call(cluster.client_channel, HUB_CLIENT + "getLocalNodeId")
    assert identity.is_authenticated is False
    wait_until(
        lambda: (
            [node.id for node in nodes(cluster, cluster.hub_channel)]
            == [cluster.controller.node_id]
        ),
        what="the hub to drop the node",
    )
    cluster.call(cluster.client_channel, HUB_CLIENT + "disconnect")  # leaving twice is fine


def test_disconnect_leaves_even_when_the_hub_is_down(cluster: Cluster) -> None:
    cluster.controller.kill()
    cluster.call(cluster.client_channel, HUB_CLIENT + "disconnect")
    identity = cluster.call(cluster.client_channel, HUB_CLIENT + "getLocalNodeId")
    assert identity.is_authenticated is False


def test_a_routed_stream_ends_when_the_hub_link_is_lost(cluster: Cluster) -> None:
    path = HUB_SERVER + "streamNodes"
    stream = cluster.api.stream(cluster.client_channel, path, cluster.api.request(path), timeout=30)
    assert next(stream).WhichOneof("response") == "initialResponse"
    cluster.controller.kill()
    with pytest.raises(grpc.RpcError) as raised:
        next(stream)
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE
