"""The dashboard in a real headless Chromium against real node processes.

Every test drives the controller's dashboard and checks the result through the public REST API,
so what the page claims is what the cluster did. Screenshots of each page are kept.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nanoping_api
import psutil
import pytest
from playwright.sync_api import Page, expect

from nanoping.logs.app_log import APP_LOG_FILE
from nanoping.pipelines.json_config import JsonConfig
from nanoping.testing.cluster import wait_until

from .conftest import Cluster, start_rest_node

# The public client's blocking WebSocket (used to approve the module's client node) warns so.
pytestmark = pytest.mark.filterwarnings(
    "ignore:connect\\(\\) must be used as a context manager:DeprecationWarning"
)

GUIDE = "Guide example (traffic source to sink)"
TEMPLATES_JSON = "import('/assets/pipeline-model.js').then((m) => JSON.stringify(m.TEMPLATES))"


def pipelines_of(node_url: str, node_id: str) -> list[nanoping_api.Pipeline]:
    with nanoping_api.NanopingClient(node_url, timeout=30) as api:
        return list(api.pipelines.get_pipelines(node_id=node_id).pipelines)


def named(node_url: str, node_id: str, name: str) -> nanoping_api.Pipeline:
    (found,) = [p for p in pipelines_of(node_url, node_id) if p.name == name]
    return found


def test_join_a_node_from_its_own_dashboard_and_accept_it_on_the_hub(
    cluster: Cluster, page: Page, shots: Path, tmp_path: Path
) -> None:
    newcomer = start_rest_node(tmp_path / "newcomer-data")
    try:
        joining = page.context.new_page()
        joining.goto(newcomer.addresses["dashboard"] + "#/join")
        # Not in a cluster yet: the page says why nobody can ask it to approve joins.
        expect(joining.get_by_test_id("join-error")).to_contain_text(
            "Not possible now (FAILED_PRECONDITION)"
        )
        joining.goto(f"{newcomer.addresses['dashboard']}#/nodes/{newcomer.node_id}")
        expect(joining.get_by_test_id("connection-state")).to_have_text("UNAUTHENTICATED")

        page.goto(cluster.dashboard + "#/join")
        expect(page.get_by_test_id("join-state")).to_have_text("Listening for join requests")
        joining.get_by_label("Hub address").fill(cluster.hub_address)
        joining.get_by_role("button", name="Connect to hub").click()
        expect(joining.get_by_role("status")).to_contain_text("waiting for the hub")
        request = page.locator(f'[data-testid="join-request"][data-node-id="{newcomer.node_id}"]')
        expect(request).to_be_visible()
        page.screenshot(path=shots / "join-requests.png", full_page=True)
        request.get_by_role("button", name="Accept").click()
        expect(page.get_by_test_id("join-decided")).to_contain_text("accepted")
        expect(joining.get_by_role("status")).to_have_text("Accepted: this node joined the hub.")
        expect(joining.get_by_test_id("connection-state")).to_have_text("CONNECTED")
        expect(joining.get_by_test_id("node-online")).to_have_text("online")  # told by the hub
        joining.screenshot(path=shots / "node-joined.png", full_page=True)

        page.goto(cluster.dashboard + "#/nodes")
        row = page.locator(f'[data-testid="node-row"][data-node-id="{newcomer.node_id}"]')
        expect(row).to_contain_text("online")
        page.screenshot(path=shots / "nodes.png", full_page=True)
        with nanoping_api.NanopingClient(newcomer.rest_url, timeout=30) as api:
            assert api.hub_client.get_local_node_id().is_authenticated

        page.once("dialog", lambda dialog: dialog.accept())
        row.get_by_role("button", name="Remove").click()
        expect(row).to_have_count(0)  # streamNodes said it was deauthenticated
        expect(joining.get_by_test_id("connection-state")).to_have_text("UNAUTHENTICATED")
        with nanoping_api.NanopingClient(newcomer.rest_url, timeout=30) as api:
            assert not api.hub_client.get_local_node_id().is_authenticated

        # Join once more, then leave from the node's own page.
        page.goto(cluster.dashboard + "#/join")
        expect(page.get_by_test_id("join-state")).to_have_text("Listening for join requests")
        joining.get_by_label("Hub address").fill(cluster.hub_address)
        joining.get_by_role("button", name="Connect to hub").click()
        page.locator(
            f'[data-testid="join-request"][data-node-id="{newcomer.node_id}"]'
        ).get_by_role("button", name="Accept").click()
        expect(joining.get_by_test_id("connection-state")).to_have_text("CONNECTED")
        joining.once("dialog", lambda dialog: dialog.accept())
        joining.get_by_role("button", name="Leave the hub").click()
        expect(joining.get_by_role("status")).to_have_text("Left the hub.")
        expect(joining.get_by_test_id("connection-state")).to_have_text("UNAUTHENTICATED")
        with nanoping_api.NanopingClient(cluster.controller.rest_url, timeout=30) as hub:
            wait_until(
                lambda: newcomer.node_id not in {n.id for n in hub.hub_server.get_nodes().nodes},
                what="the hub to forget the node that left",
            )
    finally:
        newcomer.stop()


def test_create_start_watch_and_stop_a_pipeline_on_a_remote_node(
    cluster: Cluster, page: Page, shots: Path
) -> None:
    edge = cluster.edge
    page.goto(f"{cluster.dashboard}#/nodes/{edge.node_id}/pipelines")
    expect(page.get_by_role("heading", name="Pipelines of edge-1")).to_be_visible()
    page.get_by_test_id("create-name").fill("watched")
    page.get_by_test_id("create").click()
    row = page.locator('[data-testid="pipeline-row"][data-pipeline="watched"]')
    expect(row).to_be_visible()
    page.screenshot(path=shots / "pipelines.png", full_page=True)
    row.get_by_test_id("start").click()
    expect(row.get_by_test_id("pipeline-state")).to_have_text("running")
    assert named(edge.rest_url, edge.node_id, "watched").started

    row.get_by_role("link", name="watched").click()
    expect(page.get_by_test_id("telemetry-samples")).to_have_text("3 samples", timeout=30_000)
    rates = page.get_by_test_id("link-rate")
    expect(rates).to_have_count(1)
    expect(rates).to_have_text(_nonzero_rate())
    expect(
        page.locator('[data-testid="rates"] tr[data-component="traffic_sink-1"]')
    ).to_be_visible()
    expect(page.get_by_test_id("chart")).to_have_count(2)
    expect(page.get_by_test_id("log")).to_contain_text("INFO")
    page.screenshot(path=shots / "pipeline-running.png", full_page=True)

    page.get_by_test_id("stop").click()
    expect(page.get_by_test_id("pipeline-state")).to_have_text("stopped")
    wait_until(lambda: not named(edge.rest_url, edge.node_id, "watched").started, what="stopped")

    controller = cluster.controller
    page.get_by_test_id("copy-target").select_option(controller.node_id)
    page.get_by_test_id("copy").click()
    expect(page.get_by_role("status")).to_have_text("Copied to My Controller.")
    copied = named(controller.rest_url, controller.node_id, "watched")
    original = named(edge.rest_url, edge.node_id, "watched")
    assert (copied.json_config, copied.started) == (original.json_config, False)


def _nonzero_rate() -> Any:
    import re

    # The source sends one packet every 25 ms: about 40 packets/s, never zero while it runs.
    return re.compile(r"^[1-9][0-9.]*k? pkt/s$")


def test_an_invalid_config_shows_its_error_at_the_component(
    cluster: Cluster, page: Page, shots: Path
) -> None:
    edge = cluster.edge
    page.goto(f"{cluster.dashboard}#/nodes/{edge.node_id}/pipelines")
    config = json.loads(page.get_by_test_id("create-json").input_value())
    config["plumr_config"]["pipeline"]["traffic_sink-1"]["traffic_sink"]["mtu"] = "large"
    page.get_by_test_id("create-json").fill(json.dumps(config, indent=2))
    page.get_by_test_id("create-name").fill("broken")
    page.get_by_test_id("create").click()
    failing = page.locator('[data-testid="config-component"][data-component="traffic_sink-1"]')
    expect(failing.get_by_test_id("component-error")).to_contain_text("mtu")
    expect(page.get_by_test_id("component-error")).to_have_count(1)
    page.screenshot(path=shots / "invalid-config.png", full_page=True)
    assert [p.name for p in pipelines_of(edge.rest_url, edge.node_id)].count("broken") == 0


def test_build_a_pipeline_in_the_diagram_then_edit_and_start_it(
    cluster: Cluster, page: Page, shots: Path
) -> None:
    edge = cluster.edge
    page.goto(f"{cluster.dashboard}#/nodes/{edge.node_id}/editor")
    page.get_by_test_id("editor-name").fill("drawn")
    for kind in ("uniform_traffic_source", "traffic_sink"):
        page.get_by_test_id("add-type").select_option(kind)
        page.get_by_test_id("add-component").click()
    expect(page.get_by_test_id("box")).to_have_count(2)
    page.get_by_test_id("connect-from").select_option("uniform_traffic_source-1")
    page.get_by_test_id("connect-to").select_option("traffic_sink-1")
    page.get_by_test_id("connect").click()
    expect(page.get_by_test_id("link")).to_have_count(1)
    # Keyboard: focus the source's box and choose it with Enter, then set a parameter.
    page.locator('[data-testid="box"][data-component="uniform_traffic_source-1"]').focus()
    page.keyboard.press("Enter")
    inspector = page.get_by_test_id("inspector")
    expect(inspector).to_have_attribute("data-component", "uniform_traffic_source-1")
    inspector.locator('[data-param="interval"]').fill("20")
    inspector.locator('[data-param="interval"]').press("Tab")
    page.screenshot(path=shots / "diagram-editor.png", full_page=True)
    page.get_by_test_id("editor-save").click()
    expect(page.get_by_role("heading", name="drawn")).to_be_visible()
    drawn = named(edge.rest_url, edge.node_id, "drawn")
    pipeline = json.loads(drawn.json_config)["plumr_config"]["pipeline"]
    link = "[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]"
    assert pipeline["uniform_traffic_source-1"]["uniform_traffic_source"] == {
        "output": link,
        "interval": 20,
    }
    assert pipeline["traffic_sink-1"]["traffic_sink"] == {"input": link}

    page.get_by_role("link", name="Edit in diagram").click()
    page.locator('[data-testid="box"][data-component="traffic_sink-1"]').click()
    page.get_by_test_id("inspector").locator('[data-param="mtu"]').fill("9000")
    page.get_by_test_id("inspector").locator('[data-param="mtu"]').press("Tab")
    page.get_by_test_id("editor-save-start").click()
    expect(page.get_by_test_id("pipeline-state")).to_have_text("running")
    expect(page.get_by_test_id("link-rate")).to_have_text(_nonzero_rate(), timeout=30_000)
    page.screenshot(path=shots / "diagram-live.png", full_page=True)
    edited = named(edge.rest_url, edge.node_id, "drawn")
    assert edited.started
    assert json.loads(edited.json_config)["plumr_config"]["pipeline"]["traffic_sink-1"][
        "traffic_sink"
    ] == {"input": link, "mtu": 9000}
    page.get_by_test_id("stop").click()
    expect(page.get_by_test_id("pipeline-state")).to_have_text("stopped")


def test_an_error_in_the_diagram_points_at_its_box(cluster: Cluster, page: Page) -> None:
    page.goto(f"{cluster.dashboard}#/nodes/{cluster.edge.node_id}/editor")
    page.get_by_test_id("editor-name").fill("unwired")
    page.get_by_test_id("add-type").select_option("delay_constant")
    page.get_by_test_id("add-component").click()
    page.get_by_test_id("editor-save").click()
    expect(page.locator('[data-testid="box"][data-component="delay_constant-1"]')).to_have_class(
        _has_word("failing")
    )
    expect(page.get_by_test_id("component-error")).to_contain_text("flows")


def _has_word(word: str) -> Any:
    import re

    return re.compile(rf"(^|\s){word}(\s|$)")


def test_the_templates_are_valid_configs(cluster: Cluster, page: Page) -> None:
    page.goto(cluster.dashboard)
    templates = page.evaluate(TEMPLATES_JSON)
    documents = json.loads(templates)
    assert GUIDE in documents
    assert len(documents) == 5
    assert {"rely_encoder", "rely_decoder", "raft"} <= {
        kind
        for document in documents.values()
        for component in document["plumr_config"]["pipeline"].values()
        for kind in component
    }
    edge = cluster.edge
    with nanoping_api.NanopingClient(edge.rest_url, timeout=30) as api:
        for number, document in enumerate(documents.values()):
            config = json.dumps(document)
            JsonConfig.parse(config)  # raises naming the component and key
            # The node checks every component's parameters and links too.
            made = api.pipelines.create_pipeline(
                node_id=edge.node_id, name=f"template-{number}", json_config=config
            )
            api.pipelines.delete_pipeline(node_id=edge.node_id, id=made.pipeline.id)


TUNNELS = (
    "FEC-protected tunnel (rely encoder and decoder over UDP)",
    "Raft-protected tunnel (two bonded UDP carriers)",
)


@pytest.mark.parametrize("template", TUNNELS)
def test_a_tunnel_template_carries_datagrams_both_ways(
    cluster: Cluster, page: Page, template: str
) -> None:
    page.goto(cluster.dashboard)
    text = json.dumps(json.loads(page.evaluate(TEMPLATES_JSON))[template])
    app_a, app_b, *tunnel = free_ports(6)
    # Both sides on one node: the second swaps every tunnel socket's local and remote address.
    sides = {
        "a": _readdress(text, dict(zip(TEMPLATE_PORTS, [app_a, *tunnel], strict=True))),
        "b": _readdress(
            text, dict(zip(TEMPLATE_PORTS, [app_b, *_pairs_swapped(tunnel)], strict=True))
        ),
    }
    edge = cluster.edge
    with nanoping_api.NanopingClient(edge.rest_url, timeout=30) as api:
        made = [
            api.pipelines.create_pipeline(
                node_id=edge.node_id, name=f"tunnel-{side}", json_config=config
            ).pipeline.id
            for side, config in sides.items()
        ]
        try:
            for pipeline_id in made:
                api.pipelines.start_pipeline(node_id=edge.node_id, id=pipeline_id)
            with _udp() as x, _udp() as y:
                _send_until_received(x, app_a, y, app_b)
                _send_until_received(y, app_b, x, app_a)
        finally:
            for pipeline_id in made:
                api.pipelines.stop_pipeline(node_id=edge.node_id, id=pipeline_id)
                api.pipelines.delete_pipeline(node_id=edge.node_id, id=pipeline_id)


TEMPLATE_PORTS = ("5000", "6000", "6001", "6002", "6003")


def free_ports(count: int) -> list[str]:
    sockets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [str(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _pairs_swapped(ports: list[str]) -> list[str]:
    return [port for pair in zip(ports[1::2], ports[::2], strict=True) for port in pair]


def _readdress(config: str, ports: dict[str, str]) -> str:
    return re.sub(r"127\.0\.0\.1:(\d+)", lambda m: f"127.0.0.1:{ports[m.group(1)]}", config)


@contextlib.contextmanager
def _udp() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.2)
        yield sock


def _send_until_received(
    sender: socket.socket, sender_side: str, receiver: socket.socket, receiver_side: str
) -> None:
    """Send into one side until a datagram leaves the other, from its application socket.

    The application sockets answer the last sender they heard from, so the receiver also
    greets its own side each round (until then, what crosses has nobody to go to).
    """
    deadline = time.monotonic() + 30
    number = 0
    while time.monotonic() < deadline:
        number += 1
        receiver.sendto(b"greeting", ("127.0.0.1", int(receiver_side)))
        sender.sendto(b"datagram %d" % number, ("127.0.0.1", int(sender_side)))
        with contextlib.suppress(TimeoutError):
            data, source = receiver.recvfrom(2048)
            assert source == ("127.0.0.1", int(receiver_side))
            assert data.startswith((b"datagram ", b"greeting")), data
            return
    raise AssertionError(f"nothing crossed the tunnel in 30 s ({number} datagrams sent)")


def test_node_page_draws_the_controllers_real_resources_log_and_flows(
    cluster: Cluster, page: Page, shots: Path
) -> None:
    banner = cluster.controller.addresses
    assert banner["dashboard"] == f"http://{banner['REST API']}/"
    page.goto(f"{cluster.dashboard}#/nodes/{cluster.controller.node_id}")
    expect(page.get_by_test_id("connection-state")).to_have_text("CONNECTED")

    # Resources: the charts draw the node's own samples (same machine as this test).
    expect(page.get_by_test_id("resources-samples")).to_have_text(
        re.compile(r"^([2-9]|[1-9][0-9]+) samples$"), timeout=30_000
    )
    cpu = page.locator('[data-collection="/system/cpu"][data-unit="percent"]')
    expect(cpu.get_by_test_id("chart")).to_be_visible()
    busy = float(cpu.locator('[data-series="total"]').get_attribute("data-value") or "nan")
    assert 0.0 <= busy <= 100.0
    expect(cpu.locator("[data-series^=core]")).to_have_count(min(5, psutil.cpu_count() or 1))
    memory = page.locator('[data-collection="/system/memory"][data-unit="bytes"]')
    expect(memory.get_by_test_id("chart")).to_be_visible()
    expect(memory.locator('[data-series="total"]')).to_have_attribute(
        "data-value", str(psutil.virtual_memory().total)
    )
    expect(page.get_by_test_id("resources-error")).to_have_count(0)

    # The application log tail shows the controller's own log file, line by line.
    applog = page.get_by_test_id("log")
    expect(applog).not_to_contain_text("No log lines yet.")
    lines = (cluster.controller_data / APP_LOG_FILE).read_text().splitlines()
    expect(applog).to_contain_text(json.loads(lines[-1])["message"])
    expect(page.get_by_test_id("applog-error")).to_have_count(0)

    # Flows: as root the node captures the page's own streams to its REST port; otherwise the
    # API refuses and the panel says so in words.
    rest_port = banner["REST API"].rsplit(":", 1)[1]
    if os.geteuid() == 0:
        to_rest = page.locator(f'[data-testid="flow-row"][data-destination-port="{rest_port}"]')
        expect(to_rest.first).to_be_visible(timeout=30_000)
        expect(page.get_by_test_id("flows-error")).to_have_count(0)
    else:
        expect(page.get_by_test_id("flows-error")).to_contain_text("PERMISSION_DENIED")
    page.screenshot(path=shots / "node.png", full_page=True)

    # The controller's name comes from its config file: the node refuses, the form says why.
    form = page.get_by_test_id("node-form")
    form.get_by_label("Name").fill("Another Name")
    form.get_by_role("button", name="Save name and metadata").click()
    expect(page.get_by_test_id("node-save-error")).to_contain_text(
        "Not allowed (PERMISSION_DENIED)"
    )


def test_networks_page_lists_and_creates_against_the_real_service(
    cluster: Cluster, page: Page, shots: Path
) -> None:
    controller = cluster.controller
    page.goto(cluster.dashboard + "#/networks")
    expect(page.get_by_test_id("blueprint-row").first).to_be_visible()
    expect(page.get_by_test_id("networks-error")).to_have_count(0)
    expect(page.get_by_test_id("blueprints-error")).to_have_count(0)
    with nanoping_api.NanopingClient(controller.rest_url, timeout=30) as api:
        blueprints = api.blueprints.get_blueprints().blueprints
        before = {n.id for n in api.networks.get_networks().networks}
    expect(page.get_by_test_id("blueprint-row")).to_have_count(len(blueprints))
    expect(page.get_by_test_id("network-row")).to_have_count(len(before))

    form = page.get_by_test_id("network-form")
    form.get_by_label("Name").fill("lab-net")
    form.get_by_label("Relay node id").fill(controller.node_id)
    form.get_by_role("button", name="Create network").click()
    made = page.locator('[data-testid="network-row"]', has_text="lab-net")
    error = page.get_by_test_id("network-error")
    expect(made.or_(error)).to_be_visible(timeout=30_000)
    with nanoping_api.NanopingClient(controller.rest_url, timeout=30) as api:
        after = [n for n in api.networks.get_networks().networks if n.id not in before]
    if after:
        assert [n.network.name for n in after] == ["lab-net"]
        expect(made).to_contain_text(after[0].id)
        expect(error).to_have_count(0)
    else:
        # The default blueprints need TUN and a relay carrier address: the API's refusal, in words.
        expect(error).to_contain_text(re.compile(r"\([A-Z_]+\)"))
    page.screenshot(path=shots / "networks.png", full_page=True)


def test_rename_a_remote_node_and_see_it_live_in_the_list(cluster: Cluster, page: Page) -> None:
    page.goto(cluster.dashboard + "#/nodes")
    row = page.locator(f'[data-testid="node-row"][data-node-id="{cluster.edge.node_id}"]')
    expect(row).to_contain_text("edge-1")
    other = page.context.new_page()
    other.goto(f"{cluster.dashboard}#/nodes/{cluster.edge.node_id}")
    form = other.get_by_test_id("node-form")
    form.get_by_label("Name").fill("edge-renamed")
    form.get_by_role("button", name="Add metadata").click()
    form.get_by_label("key").fill("site")
    form.get_by_label("value").fill("lab")
    form.get_by_role("button", name="Save name and metadata").click()
    expect(form.get_by_role("status")).to_have_text("Saved.")
    expect(row).to_contain_text("edge-renamed")  # the first page was told by streamNodes
    expect(row).to_contain_text("site=lab")
    page.get_by_test_id("metadata-filter").fill("site=lab")
    expect(page.get_by_test_id("node-row")).to_have_count(1)
    page.get_by_test_id("metadata-filter").fill("site=elsewhere")
    expect(page.get_by_test_id("node-row")).to_have_count(0)
    with nanoping_api.NanopingClient(cluster.edge.rest_url, timeout=30) as api:
        api.hub_client.set_node(name="edge-1")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_pages_fit_a_phone(cluster: Cluster, page: Page, shots: Path, theme: str) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(cluster.dashboard)
    page.evaluate(f"localStorage.setItem('np-theme', '{theme}')")
    edge = cluster.edge.node_id
    with nanoping_api.NanopingClient(cluster.edge.rest_url, timeout=30) as api:
        config = json.dumps(json.loads(page.evaluate(TEMPLATES_JSON))[GUIDE])
        made = api.pipelines.create_pipeline(
            node_id=edge, name=f"phone-{theme}", json_config=config
        )
    pages = {
        "nodes": "#/nodes",
        "node": f"#/nodes/{edge}",
        "networks": "#/networks",
        "pipelines": f"#/nodes/{edge}/pipelines",
        "pipeline": f"#/nodes/{edge}/pipelines/{made.pipeline.id}",
        "editor": f"#/nodes/{edge}/editor/{made.pipeline.id}",
    }
    for name, where in pages.items():
        page.goto(cluster.dashboard + where)
        page.reload()
        expect(page.locator("html")).to_have_attribute("data-theme", theme)
        expect(page.get_by_role("heading").first).to_be_visible()
        if name == "node":  # measured once the charts and flows are drawn
            expect(page.get_by_test_id("chart").first).to_be_visible(timeout=30_000)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{name} scrolls sideways on a phone ({width} px)"
        page.screenshot(path=shots / f"phone-{theme}-{name}.png", full_page=True)
