"""The REST door under hostile input: the approver WebSocket's error frame, cross-site requests."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import nanoping_api
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect
from websockets.typing import Origin

from nanoping.testing.cluster import start_controller
from nanoping.testing.node_process import NodeProcess

REST_API_CONFIG = "restApi:\n  address: 127.0.0.1:0\n"
APPROVALS = "/v1/streams/hub-server/authentication-requests"


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    node = start_controller(tmp_path_factory.mktemp("rest-doors"), extra=REST_API_CONFIG)
    yield node
    node.stop()


@pytest.mark.parametrize(
    "frame",
    [
        "not json",
        "[1, 2]",
        '"a string"',
        '{"requestId": "x"}',
        '{"unknownField": 1}',
        '{"accept": "yes"}',
        '{"requestId": 1.5}',
        "{",
    ],
)
def test_a_bad_approver_frame_gets_an_error_frame_before_the_close(
    hub: NodeProcess, frame: str
) -> None:
    """Defect 10: these closed with 1000 and no {"error": ...} frame (8 of 8)."""
    url = hub.rest_url.replace("http://", "ws://") + APPROVALS
    with connect(url, proxy=None) as websocket:
        websocket.send(frame)
        reply = json.loads(websocket.recv(timeout=10))
    assert reply["error"]["code"] == 3, reply
    assert reply["error"]["message"]


def test_a_cross_site_text_plain_post_is_refused_and_creates_nothing(hub: NodeProcess) -> None:
    """Also seen: a browser-style cross-origin text/plain POST created and started a pipeline."""
    create = f"/v1/nodes/{hub.node_id}/pipelines"
    body = json.dumps({"name": "csrf", "jsonConfig": "{}"})
    with httpx.Client(base_url=hub.rest_url, timeout=10) as http:
        foreign = http.post(
            create,
            content=body,
            headers={"Content-Type": "text/plain", "Origin": "http://evil.example"},
        )
        assert foreign.status_code == 403
        assert "web origin 'http://evil.example' are not allowed" in foreign.json()["message"]
        plain = http.post(create, content=body, headers={"Content-Type": "text/plain"})
        assert plain.status_code == 415
        assert plain.json()["code"] == 3
        start = http.post(f"/v1/nodes/{hub.node_id}/pipelines/x/start", headers={"Origin": "null"})
        assert start.status_code == 403
        assert http.get(create).json() == {}  # nothing was created


def test_same_origin_requests_pass_and_rebinding_hosts_do_not(hub: NodeProcess) -> None:
    host = hub.rest_url.removeprefix("http://")
    with httpx.Client(base_url=hub.rest_url, timeout=10) as http:
        own = http.get("/v1/hub-client/local-node-id", headers={"Origin": f"http://{host}"})
        assert own.status_code == 200
        port = host.rsplit(":", 1)[1]
        rebound = http.get(
            "/v1/hub-client/local-node-id",
            headers={"Host": f"rebind.example:{port}", "Origin": f"http://rebind.example:{port}"},
        )
        assert rebound.status_code == 403
        assert "is not an address of this node" in rebound.json()["message"]
        by_name = http.get("/v1/hub-client/local-node-id", headers={"Host": f"localhost:{port}"})
        assert by_name.status_code == 200


def test_a_cross_site_websocket_is_refused(hub: NodeProcess) -> None:
    url = hub.rest_url.replace("http://", "ws://") + APPROVALS
    with pytest.raises(InvalidStatus) as raised:
        connect(url, proxy=None, origin=Origin("http://evil.example"))
    assert raised.value.response.status_code == 403


def test_the_public_client_works_unchanged(hub: NodeProcess) -> None:
    """(tests/gateway drives every kind of call through it; this one is the smoke test.)"""
    with nanoping_api.NanopingClient(hub.rest_url) as client:
        nodes = client.hub_server.get_nodes().nodes
        assert [node.id for node in nodes] == [hub.node_id]
