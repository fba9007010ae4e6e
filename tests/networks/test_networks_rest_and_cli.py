"""The public nanoping-api client's networks, blueprints, instances and config calls over REST,
and the `np networks` / `np blueprints` commands, against a real two-node cluster."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import nanoping_api
import pytest

from nanoping.testing.cluster import join, wait_until
from nanoping.testing.node_process import NodeProcess, run_np
from nanoping.testing.reference_client import ReferenceApi
from tests.gateway.rest_cluster import Follower, api_error, start_rest_controller, start_rest_node
from tests.networks.cluster import TEST_TEMPLATE


@pytest.fixture
def nodes(tmp_path: Path, reference_api: ReferenceApi) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    controller = start_rest_controller(tmp_path)
    client = start_rest_node(tmp_path / "client")
    try:
        join(reference_api, controller, client)
        with nanoping_api.NanopingClient(client.rest_url) as api:
            wait_until(
                lambda: any(
                    n.id == client.node_id and n.online for n in api.hub_server.get_nodes().nodes
                ),
                what="the client online",
            )
        yield controller, client
    finally:
        client.stop()
        controller.stop()


def test_the_public_client_over_rest(nodes: tuple[NodeProcess, NodeProcess]) -> None:
    controller, client = nodes
    with nanoping_api.NanopingClient(client.rest_url) as api:
        carriers = nanoping_api.DefaultNetworkCarriers(
            carriers=[
                nanoping_api.DefaultNetworkCarrier(
                    address=nanoping_api.DefaultNetworkCarrierAddress(ip="127.0.0.1", port=4300)
                )
            ]
        )
        api.config.set_default_network_carriers(node_id=client.node_id, carriers=carriers)
        got = api.config.get_default_network_carriers(node_id=client.node_id).carriers
        assert got[0].address is not None
        assert got[0].address.port == 4300

        listed = api.blueprints.get_blueprints().blueprints
        assert {item.id for item in listed} == {
            "default-relay",
            "default-relay-client",
            "default-client",
        }
        refused = api_error(
            lambda: api.blueprints.create_blueprint(
                blueprint=nanoping_api.BlueprintWrite(name="x", template="{{ .a ")
            )
        )
        assert refused.code == 3
        assert "line 1, column 1" in refused.message
        blueprint = api.blueprints.create_blueprint(
            blueprint=nanoping_api.BlueprintWrite(name="test", template=TEST_TEMPLATE)
        ).id

        changes = Follower(api.networks.stream_networks())
        instance_changes = Follower(
            api.network_instances.stream_network_instances(node_id=client.node_id)
        )
        try:
            roles = nanoping_api.NetworkBlueprints(
                relay_blueprint=blueprint,
                relay_client_blueprint=blueprint,
                client_blueprint=blueprint,
            )
            created = api.networks.create_network(
                network=nanoping_api.Network(
                    name="rest lan", subnet_cidr="100.65.0.0/16", blueprints=roles
                )
            )
            assert created.network is not None
            assert [n.node_ip for n in created.network.nodes] == ["100.65.0.1", "100.65.0.2"]
            wait_until(changes.holds(1), what="the create event")
            wait_until(instance_changes.holds(1), what="the instance's create event")
            first_event = instance_changes.messages[0]
            assert first_event.create is not None
            assert first_event.create.network_instance is not None
            assert first_event.create.network_instance.network_id == created.id
        finally:
            changes.close()
            instance_changes.close()

        mine = api.network_instances.get_network_pipelines(
            node_id=client.node_id, optional_network_id=created.id
        ).network_pipelines
        assert len(mine) == 1
        assert mine[0].enabled
        assert (
            api.network_instances.get_network_instances(node_id=client.node_id)
            .network_instances[0]
            .network_name
            == "rest lan"
        )
        api.network_instances.toggle_network_pipeline(
            node_id=client.node_id, optional_instance_pipeline_id=mine[0].id
        )
        again = api.network_instances.get_network_pipelines(
            node_id=client.node_id
        ).network_pipelines
        assert not again[0].enabled

        instance = mine[0].instance_id
        instance_log = api.network_instances.open_log_stream(
            node_id=client.node_id,
            network_instance_id=instance,
            options=nanoping_api.Options(lines=5),
        )
        try:
            entries = next(iter(instance_log)).messages
            assert any("pipeline 'rest lan client' created" in e.message for e in entries)
        finally:
            instance_log.close()
        log = api.networks.open_log_stream(
            network_id=created.id, options=nanoping_api.Options(lines=10)
        )
        try:
            first = next(iter(log))
            assert "created with 2 members" in first.messages[0].message
        finally:
            log.close()
        # The same logs through LoggingService, on the networks node that keeps them.
        logged = api.logging.open_log_stream(
            node_id=controller.node_id,
            options=nanoping_api.Options(lines=10),
            network_log_stream_request=nanoping_api.LoggingOpenNetworkLogStreamRequest(
                network_id=created.id
            ),
        )
        try:
            assert "created with 2 members" in next(iter(logged)).messages[0].message
        finally:
            logged.close()
        instance_text = api.logging.download_log_file(
            node_id=controller.node_id,
            network_instance_log_file_request=nanoping_api.DownloadNetworkInstanceLogFileRequest(
                network_instance_id=instance
            ),
        )
        assert "pipeline 'rest lan client' created" in instance_text
        unknown = api_error(
            lambda: next(
                iter(
                    api.logging.open_log_stream(
                        node_id=client.node_id,
                        network_log_stream_request=nanoping_api.LoggingOpenNetworkLogStreamRequest(
                            network_id=created.id
                        ),
                    )
                )
            )
        )
        assert unknown.code == 5  # network logs live on the networks node, not on the client

        api.networks.delete_network(id=created.id)
        missing = api_error(lambda: api.networks.get_network(id=created.id))
        assert missing.code == 5
        assert missing.status == 404
        assert not api.pipelines.get_pipelines(node_id=controller.node_id).pipelines


def np(*args: str) -> str:
    result = run_np(args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_np_networks_and_blueprints(nodes: tuple[NodeProcess, NodeProcess], tmp_path: Path) -> None:
    _, client = nodes
    grpc = ("--grpc", client.grpc_address)
    assert "default-client  Default client  (built in, read-only)" in np(
        "blueprints", "list", *grpc
    )
    template = tmp_path / "test.tmpl"
    template.write_text(TEST_TEMPLATE)
    created = json.loads(
        np("blueprints", "create", *grpc, "--name", "t", "--template", str(template), "--json")
    )
    blueprint = created["id"]
    roles = [f"--{role}-blueprint" for role in ("relay", "relay-client", "client")]
    options = [item for role in roles for item in (role, blueprint)]
    made = json.loads(
        np(
            "networks",
            "create",
            *grpc,
            "--name",
            "cli",
            "--subnet",
            "10.99.0.0/24",
            *options,
            "--json",
        )
    )
    network = made["id"]
    assert network in np("networks", "list", *grpc)
    shown = np("networks", "instances", *grpc, "--node", client.name)
    assert "network cli" in shown
    assert "enabled  cli client" in shown
    np("networks", "update", *grpc, network, "--name", "cli2")
    assert "cli2" in np("networks", "show", *grpc, network)
    failed = run_np(["blueprints", "delete", *grpc, "default-client"])
    assert failed.returncode == 1
    assert "PERMISSION_DENIED" in failed.stderr
    np("networks", "delete", *grpc, network)
    np("blueprints", "delete", *grpc, blueprint)
    assert "cli2" not in np("networks", "list", *grpc)
