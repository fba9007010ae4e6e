"""Networks, blueprints and instances across a real cluster, all through the client's gRPC API."""

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
from tests.networks.cluster import (
    BLUEPRINTS,
    CONFIG,
    INSTANCES,
    NETWORKS,
    TEST_TEMPLATE,
    Door,
    all_roles,
    config_value,
)


class Cluster:
    def __init__(self, hub: Door, edge: Door) -> None:
        self.hub = hub
        self.edge = edge
        self.hub_id = hub.node.node_id
        self.client_id = edge.node.node_id


@pytest.fixture
def cluster(tmp_path: Path, reference_api: ReferenceApi) -> Iterator[Cluster]:
    controller = start_controller(tmp_path)
    client = NodeProcess(data_dir=tmp_path / "client").start()
    hub = edge = None
    try:
        join(reference_api, controller, client)
        hub, edge = Door(reference_api, controller), Door(reference_api, client)
        wait_until(lambda: _online(hub, client.node_id), what="the client online in the hub")
        yield Cluster(hub, edge)
    finally:
        for door in (hub, edge):
            if door is not None:
                door.close()
        client.stop()
        controller.stop()


def _online(door: Door, node_id: str) -> bool:
    nodes = door.call("/nanopinggrpc.hub.HubServerService/getNodes").nodes
    return any(node.id == node_id and node.online for node in nodes)


class Follow:
    """Reads a server stream in a thread."""

    def __init__(self, door: Door, path: str, **fields: Any) -> None:
        self.items: list[Any] = []
        self._call = door.api.stream(door.channel, path, door.api.request(path, **fields))
        self._call.initial_metadata()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for item in self._call:
                self.items.append(item)
        except grpc.RpcError:
            pass

    def kinds(self) -> list[str]:
        return [item.WhichOneof("event") for item in self.items]

    def close(self) -> None:
        self._call.cancel()
        self._thread.join(timeout=5)


def test_blueprints_built_in_and_user(cluster: Cluster) -> None:
    edge = cluster.edge
    listed = edge.call(BLUEPRINTS + "getBlueprints").blueprints
    built_in = {item.id: item.blueprint for item in listed}
    assert set(built_in) == {"default-relay", "default-relay-client", "default-client"}
    assert all(blueprint.read_only for blueprint in built_in.values())
    denied = edge.error(
        BLUEPRINTS + "updateBlueprint",
        id="default-client",
        blueprint={"name": "x", "template": "{}"},
    )
    assert denied.code() == grpc.StatusCode.PERMISSION_DENIED
    assert edge.error(BLUEPRINTS + "deleteBlueprint", id="default-relay").code() == (
        grpc.StatusCode.PERMISSION_DENIED
    )
    bad = edge.error(
        BLUEPRINTS + "createBlueprint",
        blueprint={"name": "broken", "template": "{\n  {{ if .node }}\n"},
    )
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "line 2, column 3" in bad.details()
    created = edge.call(
        BLUEPRINTS + "createBlueprint", blueprint={"name": " Test ", "template": TEST_TEMPLATE}
    )
    assert created.blueprint.name == "Test"
    assert not created.blueprint.read_only
    fetched = cluster.hub.call(BLUEPRINTS + "getBlueprint", id=created.id)
    assert fetched.blueprint.template == TEST_TEMPLATE
    assert edge.error(BLUEPRINTS + "getBlueprint", id="nope").code() == grpc.StatusCode.NOT_FOUND
    edge.call(BLUEPRINTS + "deleteBlueprint", id=created.id)
    assert len(edge.call(BLUEPRINTS + "getBlueprints").blueprints) == 3


def test_default_carriers_per_node(cluster: Cluster) -> None:
    edge = cluster.edge
    assert not edge.call(CONFIG + "getDefaultNetworkCarriers", node_id=cluster.hub_id).carriers
    carriers = {
        "carriers": [{"address": {"ip": "127.0.0.1", "port": 4100}, "bandwidth_priority": 5}]
    }
    edge.call(CONFIG + "setDefaultNetworkCarriers", node_id=cluster.hub_id, carriers=carriers)
    got = cluster.hub.call(CONFIG + "getDefaultNetworkCarriers").carriers
    assert [(c.address.ip, c.address.port, c.bandwidth_priority) for c in got] == [
        ("127.0.0.1", 4100, 5)
    ]
    bad = edge.error(
        CONFIG + "setDefaultNetworkCarriers",
        node_id=cluster.client_id,
        carriers={"carriers": [{"address": {"ip": "not-an-ip", "port": 1}}]},
    )
    assert bad.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "carriers[0].address.ip 'not-an-ip'" in bad.details()
    edge.call(CONFIG + "setDefaultNetworkCarriers", node_id=cluster.hub_id)  # unset clears
    assert not edge.call(CONFIG + "getDefaultNetworkCarriers", node_id=cluster.hub_id).carriers


def test_a_network_from_create_to_delete(cluster: Cluster) -> None:
    hub, edge = cluster.hub, cluster.edge
    edge.call(
        CONFIG + "setDefaultNetworkCarriers",
        node_id=cluster.client_id,
        carriers={"carriers": [{"interface": "lo"}]},
    )
    blueprint = edge.call(
        BLUEPRINTS + "createBlueprint", blueprint={"name": "test", "template": TEST_TEMPLATE}
    ).id
    networks = Follow(edge, NETWORKS + "streamNetworks")
    client_pipelines = Follow(edge, INSTANCES + "streamNetworkPipelines", node_id=cluster.client_id)
    try:
        created = edge.call(
            NETWORKS + "createNetwork",
            network={
                "name": "lan",
                "subnet_cidr": "100.65.254.0/24",
                "blueprints": all_roles(blueprint),
                "nodes": [{"node_id": "ignored", "node_ip": "1.2.3.4"}],
            },
        )
        network = created.network
        assert network.relay_node_id == cluster.hub_id
        members = {node.node_id: node for node in network.nodes}
        assert set(members) == {cluster.hub_id, cluster.client_id}
        assert members[cluster.hub_id].node_ip == "100.65.254.1"
        assert members[cluster.hub_id].type == 1  # NODE_TYPE_RELAY
        assert members[cluster.client_id].node_ip == "100.65.254.2"
        assert [c.interface for c in members[cluster.client_id].carriers] == ["lo"]

        # The client runs its client pipeline; the relay its relay, client and relay-client.
        on_client = edge.call(INSTANCES + "getNetworkPipelines", node_id=cluster.client_id)
        assert len(on_client.network_pipelines) == 1
        record = on_client.network_pipelines[0]
        assert record.enabled
        assert record.network_id == created.id
        pipeline = edge.pipelines(cluster.client_id)[record.pipeline_id]
        assert pipeline.started
        assert config_value(pipeline, "uniform_traffic_source-1", "packet_size") == 200
        relay_records = hub.call(INSTANCES + "getNetworkPipelines", node_id=cluster.hub_id)
        assert len(relay_records.network_pipelines) == 3
        relay_client = [p for p in hub.pipelines(cluster.hub_id).values() if p.node_reference_id]
        assert [p.node_reference_id for p in relay_client] == [cluster.client_id]
        instances = edge.call(INSTANCES + "getNetworkInstances").network_instances
        assert [(i.network_name, list(i.pipeline_ids)) for i in instances] == [
            ("lan", [record.pipeline_id])
        ]
        filtered = edge.call(
            INSTANCES + "getNetworkPipelines",
            node_id=cluster.hub_id,
            optional_blueprint_id=blueprint,
            optional_instance_id="other",
        )
        assert not filtered.network_pipelines

        # Toggle stops, then starts again.
        edge.call(INSTANCES + "toggleNetworkPipeline", optional_pipeline_id=record.pipeline_id)
        wait_until(
            lambda: not edge.pipelines(cluster.client_id)[record.pipeline_id].started,
            what="the toggled pipeline stopped",
        )
        toggled = edge.call(INSTANCES + "getNetworkPipelines", node_id=cluster.client_id)
        assert not toggled.network_pipelines[0].enabled
        edge.call(INSTANCES + "toggleNetworkPipeline", optional_instance_pipeline_id=record.id)
        assert edge.pipelines(cluster.client_id)[record.pipeline_id].started
        missing = edge.error(INSTANCES + "toggleNetworkPipeline", optional_pipeline_id="nope")
        assert missing.code() == grpc.StatusCode.NOT_FOUND

        # A blueprint change regenerates the pipeline, which restarts with the new config.
        changed = TEST_TEMPLATE.replace('"%d00"', '"%d50"')
        edge.call(
            BLUEPRINTS + "updateBlueprint",
            id=blueprint,
            blueprint={"name": "test", "template": changed},
        )
        pipeline = edge.pipelines(cluster.client_id)[record.pipeline_id]
        assert config_value(pipeline, "uniform_traffic_source-1", "packet_size") == 250
        assert pipeline.started
        # ...and one that fails for some member is refused, naming where, and changes nothing.
        broken = TEST_TEMPLATE.replace('"mtu": {{', '"mtu": {{ index .nodes 7 }}{{')
        refused = edge.error(
            BLUEPRINTS + "updateBlueprint",
            id=blueprint,
            blueprint={"name": "test", "template": broken},
        )
        assert refused.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "line 8, column 21" in refused.details()
        assert "index out of range: 7" in refused.details()
        kept = edge.call(BLUEPRINTS + "getBlueprint", id=blueprint).blueprint.template
        assert kept == changed
        in_use = edge.error(BLUEPRINTS + "deleteBlueprint", id=blueprint)
        assert in_use.code() == grpc.StatusCode.FAILED_PRECONDITION

        # Updates replace settings but not members, addresses or roles.
        renamed = edge.call(
            NETWORKS + "updateNetwork",
            id=created.id,
            network={
                "name": "lan2",
                "subnet_cidr": "100.65.254.0/24",
                "blueprints": all_roles(blueprint),
                "parameters": '{"mtu": 1400}',
            },
        ).network
        assert renamed.name == "lan2"
        assert len(renamed.nodes) == 2
        pipeline = edge.pipelines(cluster.client_id)[record.pipeline_id]
        assert config_value(pipeline, "traffic_sink-1", "mtu") == 1400
        moved = edge.error(
            NETWORKS + "updateNetwork",
            id=created.id,
            network={
                "name": "lan2",
                "subnet_cidr": "100.65.254.0/24",
                "nodes": [
                    {"node_id": cluster.hub_id, "node_ip": "100.65.254.1"},
                    {"node_id": cluster.client_id, "node_ip": "100.65.254.9"},
                ],
            },
        )
        assert moved.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "node_ip cannot change" in moved.details()
        assert edge.call(NETWORKS + "getNetwork", id=created.id).network.name == "lan2"

        edge.call(NETWORKS + "deleteNetwork", id=created.id)
        assert not edge.call(NETWORKS + "getNetworks").networks
        assert not edge.pipelines(cluster.client_id)
        assert not hub.pipelines(cluster.hub_id)
        assert not edge.call(INSTANCES + "getNetworkInstances").network_instances
        wait_until(lambda: networks.kinds()[-1:] == ["delete"], what="the delete event")
        assert networks.kinds() == ["create", "update", "delete"]
        assert client_pipelines.kinds()[0] == "create"
        assert client_pipelines.kinds()[-1] == "delete"
    finally:
        networks.close()
        client_pipelines.close()


def test_a_node_removed_from_the_hub_leaves_its_networks(cluster: Cluster) -> None:
    hub = cluster.hub
    blueprint = hub.call(
        BLUEPRINTS + "createBlueprint", blueprint={"name": "test", "template": TEST_TEMPLATE}
    ).id
    created = hub.call(
        NETWORKS + "createNetwork",
        network={"name": "lan", "subnet_cidr": "10.77.0.0/24", "blueprints": all_roles(blueprint)},
    )
    assert len(created.network.nodes) == 2
    relay_records = hub.call(INSTANCES + "getNetworkPipelines", node_id=cluster.hub_id)
    assert len(relay_records.network_pipelines) == 3  # relay, client, relay client
    hub.call("/nanopinggrpc.hub.HubServerService/removeNode", node_id=cluster.client_id)

    def left() -> bool:
        network = hub.call(NETWORKS + "getNetwork", id=created.id).network
        return [node.node_id for node in network.nodes] == [cluster.hub_id]

    wait_until(left, what="the removed node to leave the network")
    wait_until(
        lambda: len(hub.pipelines(cluster.hub_id)) == 2,
        what="the relay-client pipeline of the removed node to go",
    )
    gone = hub.error(INSTANCES + "getNetworkInstances", node_id=cluster.client_id)
    assert gone.code() == grpc.StatusCode.NOT_FOUND


def test_networks_calls_wait_for_the_hub_instead_of_failing(cluster: Cluster) -> None:
    assert cluster.edge.call(NETWORKS + "getNetworks", timeout=10).networks == []
    cluster.hub.node.stop()
    waited = cluster.edge.error(NETWORKS + "getNetworks", timeout=1.5)
    assert waited.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    # The hub's own services answer at once instead (they do not wait).
    failed = cluster.edge.error("/nanopinggrpc.hub.HubServerService/getNodes", timeout=10)
    assert failed.code() == grpc.StatusCode.UNAVAILABLE
