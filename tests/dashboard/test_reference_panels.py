"""The node page's resources, flows and log panels against services shaped by the API reference.

LoggingService and ResourcesService answer UNIMPLEMENTED in real nodes of this branch, so these
panels are driven here by fakes of those services behind the real REST gateway: the messages are
the API's own protobufs, encoded by the gateway exactly as a real node would send them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from playwright.sync_api import Browser, expect

from nanoping.api import (
    hub_client_pb2,
    hub_node_pb2,
    hub_server_pb2,
    logging_pb2,
    metrics_pb2,
    network_blueprints_pb2,
    networks_pb2,
    resources_pb2,
)
from nanoping.dashboard import DashboardSite
from nanoping.errors import FailedPrecondition
from nanoping.gateway import RestGateway
from nanoping.service.method_table import MethodTable
from nanoping.testing.browser import PageProblems

from .conftest import served_in_thread

NODE = "11111111-1111-4111-8111-111111111111"
SAMPLES = 4


def now() -> Timestamp:
    stamp = Timestamp()
    stamp.GetCurrentTime()
    return stamp


def gauge(value: float, unit: str) -> metrics_pb2.Metric:
    return metrics_pb2.Metric(
        float64=metrics_pb2.Float64Metric(value=value, unit=unit, kind=metrics_pb2.GAUGE)
    )


class FakeHubClient:
    async def get_local_node_id(
        self, request: hub_client_pb2.GetLocalNodeIdRequest
    ) -> hub_client_pb2.GetLocalNodeIdResponse:
        return hub_client_pb2.GetLocalNodeIdResponse(node_id=NODE)

    async def get_node(
        self, request: hub_client_pb2.GetNodeRequest
    ) -> hub_client_pb2.GetNodeResponse:
        return hub_client_pb2.GetNodeResponse(
            node=hub_node_pb2.Node(id=NODE, name="sampled", online=True)
        )

    async def stream_connection_state(
        self, request: hub_client_pb2.StreamConnectionStateRequest
    ) -> AsyncIterator[hub_client_pb2.StreamConnectionStateResponse]:
        yield hub_client_pb2.StreamConnectionStateResponse()  # UNAUTHENTICATED
        await asyncio.Event().wait()


class FakeHubServer:
    async def stream_nodes(
        self, request: hub_server_pb2.GetNodesRequest
    ) -> AsyncIterator[hub_server_pb2.StreamNodesResponse]:
        raise FailedPrecondition("this node neither hosts a hub server nor is joined to one")
        yield hub_server_pb2.StreamNodesResponse()


class FakeResources:
    """Samples shaped like the reference's: /system collections, then flows once a second."""

    async def open_metrics_stream(
        self, request: resources_pb2.OpenMetricsStreamRequest
    ) -> AsyncIterator[resources_pb2.MetricsSample]:
        for n in range(SAMPLES):
            cpu = metrics_pb2.Collection(path="/system/cpu", metrics={"usage": gauge(10 + n, "%")})
            memory = metrics_pb2.Collection(
                path="/system/memory", metrics={"used": gauge(1e9 + n * 1e6, "B")}
            )
            yield resources_pb2.MetricsSample(timestamp=now(), collections=[cpu, memory])
            await asyncio.sleep(0.05)
        await asyncio.Event().wait()

    async def open_flows_stream(
        self, request: resources_pb2.OpenFlowsStreamRequest
    ) -> AsyncIterator[resources_pb2.FlowsSample]:
        flow = resources_pb2.Flow(
            interface="lo",
            protocol="UDP",
            source_ip="127.0.0.1",
            source_port=5000,
            destination_ip="127.0.0.1",
            destination_port=5001,
            sent_packets=40,
            received_packets=38,
            bits_per_second=384000,
        )
        yield resources_pb2.FlowsSample(timestamp=now(), flows=[flow])
        await asyncio.Event().wait()


class FakeLogging:
    async def open_log_stream(
        self, request: logging_pb2.OpenLogStreamRequest
    ) -> AsyncIterator[logging_pb2.Messages]:
        assert request.WhichOneof("request") == "app_log_stream_request"
        lines = [
            logging_pb2.Message(timestamp=now(), level=logging_pb2.INFO, message="node started"),
            logging_pb2.Message(timestamp=now(), level=logging_pb2.ERROR, message="disk is full"),
        ]
        yield logging_pb2.Messages(messages=lines[: request.options.lines])
        await asyncio.Event().wait()


class FakeNetworks:
    """Networks kept in a dict; every change is told to the open streams."""

    def __init__(self) -> None:
        self.networks: dict[str, networks_pb2.Network] = {}
        self.changed: asyncio.Queue[networks_pb2.StreamNetworksEvent] = asyncio.Queue()

    async def get_networks(
        self, request: networks_pb2.GetNetworksRequest
    ) -> networks_pb2.GetNetworksResponse:
        return networks_pb2.GetNetworksResponse(
            networks=[
                networks_pb2.GetNetworkResponse(id=key, network=value)
                for key, value in self.networks.items()
            ]
        )

    async def create_network(
        self, request: networks_pb2.CreateNetworkRequest
    ) -> networks_pb2.CreateNetworkResponse:
        key = f"net-{len(self.networks) + 1}"
        self.networks[key] = request.network
        event = networks_pb2.StreamNetworksEvent()
        event.create.network.CopyFrom(request.network)
        self.changed.put_nowait(event)
        return networks_pb2.CreateNetworkResponse(id=key, network=request.network)

    async def stream_networks(
        self, request: networks_pb2.StreamNetworksRequest
    ) -> AsyncIterator[networks_pb2.StreamNetworksEvent]:
        while True:
            yield await self.changed.get()


class FakeBlueprints:
    """Blueprints kept in a dict, one of them built in (read-only)."""

    def __init__(self) -> None:
        builtin = network_blueprints_pb2.Blueprint(
            name="Relay LAN", template='{"version": 13}', read_only=True
        )
        self.blueprints: dict[str, network_blueprints_pb2.Blueprint] = {"bp-1": builtin}

    async def get_blueprints(
        self, request: network_blueprints_pb2.GetBlueprintsRequest
    ) -> network_blueprints_pb2.GetBlueprintsResponse:
        return network_blueprints_pb2.GetBlueprintsResponse(
            blueprints=[
                network_blueprints_pb2.GetBlueprintResponse(id=key, blueprint=value)
                for key, value in self.blueprints.items()
            ]
        )

    async def create_blueprint(
        self, request: network_blueprints_pb2.CreateBlueprintRequest
    ) -> network_blueprints_pb2.CreateBlueprintResponse:
        key = f"bp-{len(self.blueprints) + 1}"
        stored = network_blueprints_pb2.Blueprint(
            name=request.blueprint.name, template=request.blueprint.template
        )
        self.blueprints[key] = stored
        return network_blueprints_pb2.CreateBlueprintResponse(id=key, blueprint=stored)

    async def update_blueprint(
        self, request: network_blueprints_pb2.UpdateBlueprintRequest
    ) -> network_blueprints_pb2.UpdateBlueprintResponse:
        stored = network_blueprints_pb2.Blueprint(
            name=request.blueprint.name, template=request.blueprint.template
        )
        self.blueprints[request.id] = stored
        return network_blueprints_pb2.UpdateBlueprintResponse(id=request.id, blueprint=stored)


@dataclass
class Stores:
    """The fakes whose state a test checks after driving the page."""

    networks: FakeNetworks = field(default_factory=FakeNetworks)
    blueprints: FakeBlueprints = field(default_factory=FakeBlueprints)


@pytest.fixture(scope="module")
def stores() -> Stores:
    return Stores()


@pytest.fixture(scope="module")
def node_url(stores: Stores) -> Iterator[str]:
    """A REST gateway with the fakes, served with the dashboard in a thread of its own."""
    table = MethodTable.build(
        {
            "nanopinggrpc.hub.HubClientService": FakeHubClient(),
            "nanopinggrpc.hub.HubServerService": FakeHubServer(),
            "nanopinggrpc.resources.ResourcesService": FakeResources(),
            "nanopinggrpc.logging.LoggingService": FakeLogging(),
            "nanopinggrpc.networks.Networks": stores.networks,
            "nanopinggrpc.networks.Blueprints": stores.blueprints,
        }
    )
    with served_in_thread(lambda: DashboardSite(RestGateway(table))) as url:
        yield url


def test_resources_flows_and_log_panels_show_reference_shaped_streams(
    node_url: str, browser: Browser, shots: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    problems = PageProblems(page)
    try:
        page.goto(f"{node_url}#/nodes/{NODE}")
        resources = page.get_by_test_id("resources")
        expect(resources.get_by_test_id("chart")).to_have_count(2)
        expect(resources).to_contain_text("/system/cpu")
        expect(resources).to_contain_text("/system/memory")
        flows = page.get_by_test_id("flows")
        expect(flows).to_contain_text("127.0.0.1:5000")
        expect(flows).to_contain_text("384000")
        log = page.get_by_test_id("log")
        expect(log).to_contain_text("node started")
        expect(log.locator(".level-ERROR")).to_contain_text("disk is full")
        expect(page.get_by_test_id("connection-state")).to_have_text("UNAUTHENTICATED")
        page.screenshot(path=shots / "node-with-resources.png", full_page=True)
    finally:
        context.close()
    assert problems.messages == []


def test_blueprints_are_listed_edited_duplicated_and_networks_created(
    node_url: str, stores: Stores, browser: Browser, shots: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    problems = PageProblems(page)
    try:
        page.goto(f"{node_url}#/networks")
        builtin = page.locator('[data-testid="blueprint-row"][data-blueprint="Relay LAN"]')
        expect(builtin).to_contain_text("built in")
        expect(builtin.get_by_role("button", name="Delete")).to_have_count(0)
        builtin.get_by_role("button", name="Duplicate").click()
        copy = page.locator('[data-testid="blueprint-row"][data-blueprint="Relay LAN (copy)"]')
        copy.get_by_role("button", name="Edit").click()
        editor = page.get_by_test_id("blueprint-editor")
        editor.get_by_label("Template").fill('{"version": 13, "ip": "{{ .node.ip }}"}')
        editor.get_by_role("button", name="Save blueprint").click()
        expect(editor).to_have_count(0)
        assert (
            stores.blueprints.blueprints["bp-2"].template
            == '{"version": 13, "ip": "{{ .node.ip }}"}'
        )
        assert stores.blueprints.blueprints["bp-1"].read_only

        form = page.get_by_test_id("network-form")
        form.get_by_label("Name").fill("lan")
        form.get_by_label("Relay node id").fill(NODE)
        form.get_by_label("Client blueprint").select_option("bp-2")
        form.get_by_role("button", name="Create network").click()
        expect(page.get_by_test_id("network-row")).to_contain_text("100.65.254.0/24")
        page.screenshot(path=shots / "networks-fake.png", full_page=True)
        (network,) = stores.networks.networks.values()
        assert (network.name, network.relay_node_id, network.blueprints.client_blueprint) == (
            "lan",
            NODE,
            "bp-2",
        )
    finally:
        context.close()
    assert problems.messages == []
