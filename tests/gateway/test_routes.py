"""The route table against the API reference, and matching paths to routes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nanoping.errors import StatusCode
from nanoping.gateway.route_map import RouteMap
from nanoping.gateway.routes import ROUTES, Transport
from nanoping.gateway.status import RequestRejected
from nanoping.service.method_table import MethodKind, MethodTable

REFERENCE_ROUTES = Path(__file__).parent.parent / "data" / "rest_routes.json"


@pytest.fixture(scope="module")
def route_map() -> RouteMap:
    return RouteMap(MethodTable.build({}))


def test_the_table_is_the_reference_route_list() -> None:
    reference = json.loads(REFERENCE_ROUTES.read_text())
    expected = {
        (row["verb"], row["path"], row["method"], row["body"], row["transport"])
        for row in reference
    }
    ours = {
        (route.verb, route.template, route.grpc_path, route.body, route.transport.value)
        for route in ROUTES
    }
    assert len(ROUTES) == len(reference) == 51
    assert ours == expected


def test_every_method_has_a_route_of_its_kind() -> None:
    table = MethodTable.build({})
    served = {route.grpc_path for route in ROUTES}
    assert served == {method.path for method in table}
    transports = {
        MethodKind.UNARY: {Transport.JSON},
        MethodKind.SERVER_STREAMING: {Transport.SSE, Transport.TEXT},
        MethodKind.BIDI_STREAMING: {Transport.WEBSOCKET},
    }
    for route in ROUTES:
        assert route.transport in transports[table[route.grpc_path].kind], route


def test_the_map_binds_every_route(route_map: RouteMap) -> None:
    assert len(route_map) == 51


@pytest.mark.parametrize(
    ("verb", "path", "method", "parameters"),
    [
        ("POST", b"/v1/nodes/search", "getNodes", {}),
        ("GET", b"/v1/nodes/search", "getNode", {"node_id": "search"}),
        ("GET", b"/v1/nodes", "getNodes", {}),
        ("PUT", b"/v1/nodes/n1", "setNode", {"node_id": "n1"}),
        ("DELETE", b"/v1/nodes/n1", "removeNode", {"node_id": "n1"}),
        (
            "GET",
            b"/v1/nodes/n1/pipelines-by-name/a%2Fb%20c%25",
            "getPipelineByName",
            {"node_id": "n1", "name": "a/b c%"},
        ),
        (
            "POST",
            b"/v1/nodes/n1/pipeline-runs/r%C3%A9/stop",
            "stopPipeline",
            {"node_id": "n1", "run_id": "r\u00e9"},
        ),
        ("PUT", b"/v1/nodes/", "setNode", {"node_id": ""}),
        ("GET", b"/v1/nodes//pipelines/p1", "getPipelineById", {"node_id": "", "id": "p1"}),
        ("GET", b"/v1/streams/nodes", "streamNodes", {}),
        ("POST", b"/v1/streams/nodes", "streamNodes", {}),
    ],
)
def test_paths_match_their_routes(
    route_map: RouteMap, verb: str, path: bytes, method: str, parameters: dict[str, str]
) -> None:
    match = route_map.match_http(verb, path)
    assert match.method.name == method
    assert match.path_parameters == parameters


def rejection(route_map: RouteMap, verb: str, path: bytes) -> RequestRejected:
    with pytest.raises(RequestRejected) as raised:
        route_map.match_http(verb, path)
    return raised.value


@pytest.mark.parametrize(
    "path", [b"/v1/nope", b"/v1/nodes/n1/pipelinez", b"/v2/nodes", b"/", b"", b"/v1/nodes//x"]
)
def test_a_path_of_no_route_is_not_found(route_map: RouteMap, path: bytes) -> None:
    rejected = rejection(route_map, "GET", path)
    assert (rejected.http_status, rejected.code) == (404, StatusCode.NOT_FOUND)
    assert rejected.message.startswith("no API route at ")


def test_a_wrong_verb_is_not_allowed_and_names_the_allowed_ones(route_map: RouteMap) -> None:
    rejected = rejection(route_map, "PATCH", b"/v1/nodes/n1")
    assert (rejected.http_status, rejected.code) == (405, StatusCode.UNIMPLEMENTED)
    assert rejected.headers == {"allow": "DELETE, GET, PUT"}
    assert rejected.message == "PATCH is not allowed on /v1/nodes/n1 (allowed: DELETE, GET, PUT)"


def test_the_websocket_route_needs_an_upgrade(route_map: RouteMap) -> None:
    path = b"/v1/streams/hub-server/authentication-requests"
    rejected = rejection(route_map, "POST", path)
    assert (rejected.http_status, rejected.code) == (426, StatusCode.INVALID_ARGUMENT)
    assert route_map.match_websocket(path).method.name == "authenticationByRequests"


def test_a_websocket_to_a_plain_route_is_refused(route_map: RouteMap) -> None:
    with pytest.raises(RequestRejected) as raised:
        route_map.match_websocket(b"/v1/nodes")
    assert raised.value.http_status == 405
    with pytest.raises(RequestRejected) as missing:
        route_map.match_websocket(b"/v1/nothing")
    assert missing.value.http_status == 404


def test_a_path_that_is_not_utf8_is_invalid(route_map: RouteMap) -> None:
    rejected = rejection(route_map, "GET", b"/v1/nodes/%FF")
    assert (rejected.http_status, rejected.code) == (400, StatusCode.INVALID_ARGUMENT)
