"""Bad HTTP input against a real node: each gets its status and ``{code, message}``, and the
node keeps serving. Also the JSON forms a client may choose: 64-bit integers as strings or
numbers, bytes as base64."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
import websockets.sync.client

from nanoping.testing.node_process import NodeProcess

from .rest_cluster import start_rest_controller

MIB = 1024 * 1024


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    node = start_rest_controller(tmp_path_factory.mktemp("bad-input"))
    yield node
    node.stop()


@pytest.fixture
def http(hub: NodeProcess) -> Iterator[httpx.Client]:
    # Bodies are declared as JSON, as the REST API requires (else 415, tested elsewhere).
    json_bodies = {"Content-Type": "application/json"}
    with httpx.Client(base_url=hub.rest_url, timeout=10, headers=json_bodies) as client:
        yield client
    assert hub.process is not None
    assert hub.process.poll() is None, "the node died"
    with httpx.Client(base_url=hub.rest_url, timeout=10) as client:
        assert client.get("/v1/hub-client/local-node-id").json()["nodeId"] == hub.node_id


BAD_REQUESTS = [
    # (verb, path, body, status, code, message part)
    ("PUT", "/v1/nodes/", b'{"name": ', 400, 3, "the body is not valid JSON"),
    ("PUT", "/v1/nodes/", b'{"name": "a", "nickname": "b"}', 400, 3, 'no field named "nickname"'),
    ("PUT", "/v1/nodes/", b'{"name": ["a"]}', 400, 3, "Failed to parse name field"),
    ("POST", "/v1/nodes/search", b'{"serviceFilters": "PIPELINES"}', 400, 3, "serviceFilters"),
    ("POST", "/v1/nodes/search", b'{"serviceFilters": ["ROUTER"]}', 400, 3, "ROUTER"),
    ("POST", "/v1/nodes/search", b"[]", 400, 3, "must be a JSON object"),
    ("POST", "/v1/nodes/search", b"[" * 50_000, 400, 3, "not valid JSON"),
    ("GET", "/v1/nodes?serviceFilters=PIPELINES&colour=red", b"", 400, 3, "colour"),
    ("GET", "/v1/nodes?metadataFilters.k.intValue=ten", b"", 400, 3, "intValue"),
    ("GET", "/v1/nodes/%C3%28", b"", 400, 3, "not valid UTF-8"),
    ("GET", "/v1/nowhere", b"", 404, 5, "no API route at /v1/nowhere"),
    ("GET", "/nodes", b"", 404, 5, "no API route"),
    ("PATCH", "/v1/nodes/x", b"{}", 405, 12, "PATCH is not allowed on /v1/nodes/x"),
    ("DELETE", "/v1/nodes", b"", 405, 12, "allowed: GET"),
    ("POST", "/v1/streams/hub-server/authentication-requests", b"{}", 426, 3, "WebSocket"),
    ("POST", "/v1/nodes/search", b" " * (4 * MIB + 1), 413, 8, "limit of 4194304 bytes"),
]


@pytest.mark.parametrize(
    ("verb", "path", "body", "status", "code", "message"),
    BAD_REQUESTS,
    ids=[f"{row[3]}-{row[1][:40]}" for row in BAD_REQUESTS],
)
def test_bad_requests_get_a_status_and_a_body(
    http: httpx.Client, verb: str, path: str, body: bytes, status: int, code: int, message: str
) -> None:
    response = http.request(verb, path, content=body)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    reply = response.json()
    assert reply["code"] == code
    assert message in reply["message"]


def test_a_wrong_verb_lists_the_allowed_ones(http: httpx.Client) -> None:
    response = http.post("/v1/nodes/abc")
    assert response.headers["allow"] == "DELETE, GET, PUT"


def test_an_oversized_chunked_body_is_refused(http: httpx.Client) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield b" " * MIB

    response = http.post("/v1/nodes/search", content=chunks())
    assert (response.status_code, response.json()["code"]) == (413, 8)


def test_a_websocket_to_no_websocket_route_is_refused(hub: NodeProcess) -> None:
    url = hub.rest_url.replace("http", "ws", 1)
    for path, status, code in (("/v1/nodes", 405, 12), ("/v1/nowhere", 404, 5)):
        with (
            pytest.raises(websockets.exceptions.InvalidStatus) as raised,
            websockets.sync.client.connect(url + path),
        ):
            pass
        response = raised.value.response
        assert response.status_code == status
        assert json.loads(response.body or b"")["code"] == code


def test_64_bit_integers_as_strings_or_numbers_and_bytes_as_base64(http: httpx.Client) -> None:
    largest = 2**63 - 1
    items = {
        "big": {"intValue": largest},
        "huge": {"uintValue": str(2**64 - 1)},
        "raw": {"bytesValue": "AP8="},
    }
    reply = http.put("/v1/nodes/", json={"name": "My Controller", "metadata": {"items": items}})
    assert reply.status_code == 403  # the name comes from the config file; the input was valid
    for filters in ({"big": {"intValue": largest}}, {"big": {"intValue": str(largest)}}):
        found = http.post("/v1/nodes/search", json={"metadataFilters": filters})
        assert (found.status_code, found.json()) == (200, {})
    query = "/v1/nodes?metadataFilters.raw.bytesValue=AP8%3D&serviceFilters=HUB_SERVER"
    assert http.get(query).json() == {}
    everyone = http.get("/v1/nodes?serviceFilters=HUB_SERVER").json()["nodes"]
    assert [node["name"] for node in everyone] == ["My Controller"]
    assert everyone[0]["services"] == ["HUB_SERVER", "PIPELINES", "LOGGING", "RESOURCES"]
