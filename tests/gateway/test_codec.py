"""HTTP requests to API messages (path, query, body) and messages to JSON, with their errors."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from nanoping.api import hub_node_pb2, hub_server_pb2, logging_pb2, pipelines_pb2
from nanoping.errors import HTTP_STATUS, StatusCode
from nanoping.gateway.codec import json_bytes, message_to_json, request_from_http
from nanoping.gateway.route_map import RouteMap
from nanoping.gateway.status import RequestRejected
from nanoping.service.method_table import MethodTable


@pytest.fixture(scope="module")
def route_map() -> RouteMap:
    return RouteMap(MethodTable.build({}))


def parse(
    route_map: RouteMap, verb: str, path: bytes, *, query: bytes = b"", body: bytes = b""
) -> Any:
    return request_from_http(route_map.match_http(verb, path), query=query, body=body)


def refused(route_map: RouteMap, verb: str, path: bytes, **parts: bytes) -> str:
    with pytest.raises(RequestRejected) as raised:
        parse(route_map, verb, path, **parts)
    assert (raised.value.code, raised.value.http_status) == (StatusCode.INVALID_ARGUMENT, 400)
    return raised.value.message


def test_path_query_and_nested_query_fields(route_map: RouteMap) -> None:
    request = parse(
        route_map,
        "GET",
        b"/v1/streams/nodes/n1/pipeline-runs/run%201/logs",
        query=b"options.lines=9223372036854775807",
    )
    assert request == pipelines_pb2.OpenLogStreamRequest(
        node_id="n1", run_id="run 1", options=logging_pb2.Options(lines=2**63 - 1)
    )


def test_repeated_enums_and_a_map_in_the_query(route_map: RouteMap) -> None:
    request = parse(
        route_map,
        "GET",
        b"/v1/nodes",
        query=b"serviceFilters=PIPELINES&serviceFilters=HUB_SERVER"
        b"&metadataFilters.type.stringValue=my+type&metadata_filters.rank.intValue=-3",
    )
    assert list(request.service_filters) == [hub_node_pb2.PIPELINES, hub_node_pb2.HUB_SERVER]
    assert request.metadata_filters["type"].string_value == "my type"
    assert request.metadata_filters["rank"].int_value == -3


def test_booleans_bytes_and_blank_oneof_members_in_the_query(route_map: RouteMap) -> None:
    request = parse(
        route_map,
        "GET",
        b"/v1/nodes",
        query=b"metadataFilters.a.boolValue=false&metadataFilters.b.bytesValue=aGk%3D"
        b"&metadataFilters.c.stringValue=",
    )
    assert request.metadata_filters["a"].WhichOneof("value") == "bool_value"
    assert request.metadata_filters["a"].bool_value is False
    assert request.metadata_filters["b"].bytes_value == b"hi"
    assert request.metadata_filters["c"].WhichOneof("value") == "string_value"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (b"bogus=1", "unknown query parameter bogus"),
        (b"serviceFilters=NOPE", "invalid GetNodesRequest"),
        (b"metadataFilters.k.boolValue=yes", "must be true or false"),
        (b"metadataFilters=x", "is a map"),
        (b"metadataFilters.k.intValue=1.5", "invalid GetNodesRequest"),
        (b"metadataFilters.k.stringValue=a&metadataFilters.k.stringValue=b", "more than once"),
        (b"metadataFilters.k.stringValue=a&metadataFilters.k.intValue=1", "oneof"),
        (b"metadataFilters.k=x", "is a message"),
        (b"%FF=1", "not valid percent-encoded UTF-8"),
    ],
)
def test_bad_query_parameters_are_invalid_arguments(
    route_map: RouteMap, query: bytes, message: str
) -> None:
    assert message in refused(route_map, "GET", b"/v1/nodes", query=query)


def test_a_whole_request_body_takes_numbers_or_strings_for_64_bit_integers(
    route_map: RouteMap,
) -> None:
    for lines in (b"100", b'"100"'):
        request = parse(
            route_map,
            "POST",
            b"/v1/streams/nodes/n1/logs",
            body=b'{"options": {"lines": ' + lines + b'}, "appLogStreamRequest": {}}',
        )
        assert request.options.lines == 100
        assert request.node_id == "n1"
        assert request.WhichOneof("request") == "app_log_stream_request"


def test_a_metadata_search_body(route_map: RouteMap) -> None:
    body = json.dumps(
        {
            "metadataFilters": {
                "k": {"bytesValue": "AAE="},
                "u": {"uintValue": "18446744073709551615"},
            },
            "serviceFilters": ["PIPELINES"],
        }
    ).encode()
    request = parse(route_map, "POST", b"/v1/nodes/search", body=body)
    assert request.metadata_filters["k"].bytes_value == b"\x00\x01"
    assert request.metadata_filters["u"].uint_value == 2**64 - 1


def test_a_single_field_body(route_map: RouteMap) -> None:
    body = b'{"carriers": [{"interface": "eth0", "bandwidthPriority": 100}]}'
    request = parse(route_map, "PUT", b"/v1/nodes/n1/default-network-carriers", body=body)
    assert request.node_id == "n1"
    assert request.carriers.carriers[0].interface == "eth0"
    empty = parse(route_map, "PUT", b"/v1/nodes/n1/default-network-carriers", body=b"{}")
    assert empty.HasField("carriers")


def test_body_less_routes_take_no_body_but_an_empty_object(route_map: RouteMap) -> None:
    start = parse(route_map, "POST", b"/v1/nodes/n1/pipelines-by-name/My%20Pipe/start")
    assert (start.node_id, start.name) == ("n1", "My Pipe")
    assert parse(route_map, "POST", b"/v1/nodes/n1/pipelines/p1/stop", body=b" {} ").id == "p1"
    message = refused(route_map, "POST", b"/v1/nodes/n1/pipelines/p1/stop", body=b'{"id": "p"}')
    assert message == "this route takes no body: send the request fields in the query string"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"name": ', "the body is not valid JSON"),
        (b"\xff\xfe{", "the body is not valid JSON"),
        (b"[1, 2]", "the body must be a JSON object"),
        (b'{"name": "n", "colour": "red"}', 'has no field named "colour"'),
        (b'{"name": 5}', "Failed to parse name field"),
        (b'{"metadata": {"items": {"k": {"intValue": "x"}}}}', "Failed to parse"),
        (b'{"metadata": {"items": {"k": {"intValue": 1, "boolValue": true}}}}', "oneof"),
        (b"[" * 100_000 + b"]" * 100_000, "the body is not valid JSON"),
    ],
)
def test_bad_bodies_are_invalid_arguments(route_map: RouteMap, body: bytes, message: str) -> None:
    assert message in refused(route_map, "PUT", b"/v1/nodes/n1", body=body)


def test_a_field_given_twice_with_different_values_is_refused(route_map: RouteMap) -> None:
    same = parse(route_map, "PUT", b"/v1/nodes/n1", body=b'{"nodeId": "n1", "name": "x"}')
    assert same.name == "x"
    message = refused(route_map, "PUT", b"/v1/nodes/n1", body=b'{"nodeId": "n2"}')
    assert "nodeId is given twice" in message
    message = refused(route_map, "GET", b"/v1/nodes/n1", query=b"nodeId=n2")
    assert "nodeId is given twice" in message


def test_an_empty_path_segment_leaves_its_field_unset(route_map: RouteMap) -> None:
    # What the client sends for stop_pipeline(run_id="r1") without a node id.
    request = parse(route_map, "POST", b"/v1/nodes//pipelines//stop", query=b"runId=r1")
    assert request.WhichOneof("pipeline_identifier") == "run_id"
    assert (request.node_id, request.run_id) == ("", "r1")
    local = parse(route_map, "PUT", b"/v1/nodes/", body=b'{"name": "n"}')
    assert (local.node_id, local.name) == ("", "n")


def test_a_whole_request_route_takes_no_query(route_map: RouteMap) -> None:
    message = refused(route_map, "POST", b"/v1/nodes/search", query=b"serviceFilters=PIPELINES")
    assert "not in the query" in message


def test_download_without_a_selector_means_the_application_log(route_map: RouteMap) -> None:
    app_log = parse(route_map, "GET", b"/v1/nodes/n1/log-file")
    assert app_log.WhichOneof("request") == "app_log_file_request"
    run_log = parse(
        route_map,
        "GET",
        b"/v1/nodes/n1/log-file",
        query=b"pipelineRunLogFileRequest.pipelineRunId=r1",
    )
    assert run_log.pipeline_run_log_file_request.pipeline_run_id == "r1"
    blank = parse(route_map, "GET", b"/v1/nodes/n1/log-file", query=b"appLogFileRequest=")
    assert blank.WhichOneof("request") == "app_log_file_request"


def test_responses_are_canonical_proto3_json() -> None:
    request = hub_server_pb2.AuthenticationByRequestRequest(
        request_id=2**64 - 1,
        node=hub_node_pb2.Node(
            id="n",
            services=[hub_node_pb2.HUB_SERVER, hub_node_pb2.PIPELINES],
            metadata=hub_node_pb2.NodeMetadata(
                items={
                    "b": hub_node_pb2.NodeMetadataItem(bytes_value=b"\xff\n"),
                    "f": hub_node_pb2.NodeMetadataItem(double_value=math.inf),
                    "z": hub_node_pb2.NodeMetadataItem(int_value=0),
                }
            ),
        ),
    )
    assert message_to_json(request) == {
        "requestId": "18446744073709551615",
        "node": {
            "id": "n",
            "services": ["HUB_SERVER", "PIPELINES"],
            "metadata": {
                "items": {
                    "b": {"bytesValue": "/wo="},
                    "f": {"doubleValue": "Infinity"},
                    "z": {"intValue": "0"},
                }
            },
        },
    }
    assert message_to_json(hub_server_pb2.RemoveNodeResponse()) == {}


def test_json_text_is_one_line() -> None:
    text = json_bytes({"message": "two\nlines", "name": "caf\u00e9"})
    assert text == '{"message":"two\\nlines","name":"caf\u00e9"}'.encode()


def test_every_status_code_has_an_http_status() -> None:
    assert set(HTTP_STATUS) == set(StatusCode)
    assert HTTP_STATUS[StatusCode.NOT_FOUND] == 404
    assert HTTP_STATUS[StatusCode.FAILED_PRECONDITION] == 400
    assert HTTP_STATUS[StatusCode.UNAUTHENTICATED] == 401
