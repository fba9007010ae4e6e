"""The diagram's model, run in the browser: links read from configs, the layout, and the edits
the editor makes, each checked against the node's own config validation."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page
from starlette.responses import JSONResponse

from nanoping.dashboard import DashboardSite
from nanoping.pipelines.json_config import JsonConfig

from .conftest import served_in_thread

MODEL = "/assets/pipeline-model.js"


@pytest.fixture(scope="module")
def model_page(browser: Browser) -> Iterator[Page]:
    """A page of the dashboard's origin, to import its modules in (the API is not needed)."""
    api = JSONResponse({"code": 12, "message": "no API in this test"}, status_code=501)
    with served_in_thread(lambda: DashboardSite(api)) as url:
        page = browser.new_page()
        page.goto(url + "assets/vendor/VERSIONS.txt")  # same origin, no app running
        yield page
        page.close()


def run(page: Page, body: str) -> Any:
    """Evaluate ``body`` (JavaScript using ``m``, the model module) and return its JSON result."""
    script = f"import('{MODEL}').then((m) => JSON.stringify((() => {{ {body} }})()))"
    return json.loads(page.evaluate(script))


def test_links_are_read_from_strings_lists_and_flows(model_page: Page) -> None:
    links = run(
        model_page,
        """
        const doc = m.TEMPLATES["Impaired link (delay and loss between two UDP ports)"];
        return m.links(m.components(doc)).map((l) => [l.producer, l.outPort, l.consumer, l.inPort]);
        """,
    )
    assert sorted(links) == [
        ["delay_constant-1", 0, "loss_dynamic-1", 0],
        ["loss_dynamic-1", 0, "udp_socket-2", 0],
        ["udp_socket-1", 0, "delay_constant-1", 0],
    ]


def test_the_layout_ranks_by_longest_path_and_survives_cycles(model_page: Page) -> None:
    placed = run(
        model_page,
        """
        const list = ["a", "b", "c", "d"].map((id) => ({ id, type: "t", params: {} }));
        const link = (p, c) => m.parseLink(m.linkText(p, 0, c, 0));
        const layout = m.layout(list, [link("a", "b"), link("b", "c"), link("a", "c"), link("c", "a"), link("d", "d")]);
        return Object.fromEntries(Object.entries(layout.positions).map(([id, at]) => [id, at.x]));
        """,
    )
    assert placed["a"] < placed["b"] < placed["c"]
    assert placed["d"] == placed["a"]  # a self-loop does not push a component right


def test_connecting_and_removing_make_configs_the_node_accepts(model_page: Page) -> None:
    document = run(
        model_page,
        """
        const catalogue = { uniform_traffic_source: { params: [] }, delay_constant: { params: [{ name: "flows" }] },
                            traffic_sink: { params: [] } };
        const doc = { version: 13, plumr_config: { pipeline: {} } };
        const source = m.addComponent(doc, "uniform_traffic_source", catalogue);
        const delay = m.addComponent(doc, "delay_constant", catalogue);
        const sink = m.addComponent(doc, "traffic_sink", catalogue);
        const spare = m.addComponent(doc, "traffic_sink", catalogue);
        m.connect(doc, { producer: source, outPort: 0, consumer: delay, inPort: 0 });
        m.connect(doc, { producer: delay, outPort: 0, consumer: sink, inPort: 0 });
        m.removeComponent(doc, spare);
        return doc;
        """,
    )
    pipeline = document["plumr_config"]["pipeline"]
    assert sorted(pipeline) == ["delay_constant-1", "traffic_sink-1", "uniform_traffic_source-1"]
    assert pipeline["delay_constant-1"]["delay_constant"]["flows"] == [
        {
            "input": "[delay_constant-1|in:0]-[uniform_traffic_source-1|out:0]",
            "output": "[traffic_sink-1|in:0]-[delay_constant-1|out:0]",
        }
    ]
    JsonConfig.parse(json.dumps(document))


def test_removing_a_component_drops_the_links_that_name_it(model_page: Page) -> None:
    document = run(
        model_page,
        """
        const doc = JSON.parse(JSON.stringify(m.TEMPLATES["Guide example (traffic source to sink)"]));
        m.removeComponent(doc, "traffic_sink-1");
        return doc;
        """,
    )
    assert document["plumr_config"]["pipeline"] == {
        "uniform_traffic_source-1": {
            "uniform_traffic_source": {"total_packets": 5000, "interval": 25}
        }
    }


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        (
            "invalid json_config: component 'sink-1', key 'mtu': expected an integer, got string",
            {"component": "sink-1", "key": "mtu", "message": "expected an integer, got string"},
        ),
        ("invalid json_config: version: expected an integer, got string", None),
    ],
)
def test_error_locations_are_read_from_the_nodes_messages(
    model_page: Page, message: str, expected: dict[str, str] | None
) -> None:
    assert run(model_page, f"return m.errorLocation({json.dumps(message)});") == expected
