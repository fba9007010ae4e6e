"""Random bytes and hostile field values to every method through gRPC, REST and the hub link.

Whatever arrives, no call may end INTERNAL or UNKNOWN (those mean our code broke, not the
caller), the node logs no traceback, and it still answers afterwards. Bounded: each door gets a
fixed number of examples, streams a short deadline.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterator
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf import message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect

from nanoping.api import hub_server_pb2
from nanoping.gateway.routes import ROUTES, Transport
from nanoping.service.method_table import API_FILES
from nanoping.testing.cluster import HUB_SERVER, hub_url, start_controller
from nanoping.testing.node_process import NodeProcess

REST_API_CONFIG = "restApi:\n  address: 127.0.0.1:0\n"
NO_BACK_OFF = "  links:\n    failuresPerSource: 1000000\n"
"""Every fuzzed link fails to authenticate: without this, its address would back off (429)
after ten and the rest would never reach the link's frame decoder."""
BROKEN = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}
EXAMPLES = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)
METHODS: list[MethodDescriptor] = [
    method for file in API_FILES for service in file.services_by_name.values()
    for method in service.methods
]  # fmt: skip
HOSTILE_TEXT = st.one_of(
    st.sampled_from(
        ["", "\x00", "a\nb\r\n", "x" * 70_000, "../../etc/passwd", "%00%ff", "\u202e\ufeff",
         "http://[::1", "http://" + "a" * 300, "'; DROP TABLE x; --", "{}", "null", "🙂" * 10]
    ),
    st.text(max_size=40),
)  # fmt: skip
_INT_EXTREMES = {
    FieldDescriptor.CPPTYPE_INT32: [-(2**31), -1, 0, 2**31 - 1],
    FieldDescriptor.CPPTYPE_INT64: [-(2**63), -1, 0, 2**63 - 1],
    FieldDescriptor.CPPTYPE_UINT32: [0, 1, 2**32 - 1],
    FieldDescriptor.CPPTYPE_UINT64: [0, 1, 2**64 - 1],
}


def scalar(field: FieldDescriptor) -> st.SearchStrategy[Any]:
    kind = field.cpp_type
    if kind == FieldDescriptor.CPPTYPE_STRING:
        if field.type == FieldDescriptor.TYPE_BYTES:
            return st.binary(max_size=64)
        return HOSTILE_TEXT
    if kind in _INT_EXTREMES:
        return st.sampled_from(_INT_EXTREMES[kind])
    if kind == FieldDescriptor.CPPTYPE_BOOL:
        return st.booleans()
    if kind in (FieldDescriptor.CPPTYPE_DOUBLE, FieldDescriptor.CPPTYPE_FLOAT):
        return st.sampled_from([0.0, -1.0, 1e308, float("inf"), float("nan")])
    if kind == FieldDescriptor.CPPTYPE_ENUM:
        return st.sampled_from([-1, 0, 1, 2, 999])
    raise AssertionError(field.full_name)


@st.composite
def hostile(draw: st.DrawFn, descriptor: Descriptor, depth: int = 0) -> Message:
    """A message of ``descriptor`` with some of its fields set to hostile values."""
    message = message_factory.GetMessageClass(descriptor)()
    for field in descriptor.fields:
        if not draw(st.booleans()):
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            _fill_map(draw, message, field, depth)
        elif field.message_type is not None:
            if depth < 2:
                child = draw(hostile(field.message_type, depth + 1))
                target = getattr(message, field.name)
                target.add().CopyFrom(child) if _repeated(field) else target.CopyFrom(child)
        elif _repeated(field):
            getattr(message, field.name).extend(draw(st.lists(scalar(field), max_size=3)))
        else:
            setattr(message, field.name, draw(scalar(field)))
    return message


def _repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _fill_map(draw: st.DrawFn, message: Message, field: FieldDescriptor, depth: int) -> None:
    assert field.message_type is not None
    key_field, value_field = field.message_type.fields
    target = getattr(message, field.name)
    for _ in range(draw(st.integers(0, 2))):
        key = draw(scalar(key_field))
        if value_field.message_type is not None:
            if depth < 2:
                target[key].CopyFrom(draw(hostile(value_field.message_type, depth + 1)))
        else:
            target[key] = draw(scalar(value_field))


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    started = start_controller(tmp_path_factory.mktemp("fuzz"), extra=NO_BACK_OFF + REST_API_CONFIG)
    yield started
    assert started.process is not None
    assert started.process.poll() is None, "the node died"
    assert get_nodes(started) >= 1, "the node stopped answering"
    started.stop()
    log = "\n".join(started.stderr_lines)
    assert "Traceback" not in log, log[-3000:]


def get_nodes(node: NodeProcess) -> int:
    with grpc.insecure_channel(node.grpc_address) as channel:
        call = channel.unary_unary(
            HUB_SERVER + "getNodes",
            request_serializer=hub_server_pb2.GetNodesRequest.SerializeToString,
            response_deserializer=hub_server_pb2.GetNodesResponse.FromString,
        )
        return len(call(hub_server_pb2.GetNodesRequest(), timeout=10).nodes)


def grpc_status(channel: grpc.Channel, method: MethodDescriptor, data: bytes) -> grpc.StatusCode:
    path = f"/{method.containing_service.full_name}/{method.name}"
    identity = lambda b: b  # noqa: E731 - raw bytes both ways
    try:
        if not method.client_streaming and not method.server_streaming:
            channel.unary_unary(path, request_serializer=identity, response_deserializer=identity)(
                data, timeout=5
            )
        elif not method.client_streaming:
            call = channel.unary_stream(
                path, request_serializer=identity, response_deserializer=identity
            )(data, timeout=0.3)
            for _ in call:
                pass
        else:
            call = channel.stream_stream(
                path, request_serializer=identity, response_deserializer=identity
            )(iter([data]), timeout=0.3)
            for _ in call:
                pass
    except grpc.RpcError as error:
        return error.code()
    return grpc.StatusCode.OK


@given(method=st.sampled_from(METHODS), data=st.data())
@EXAMPLES
def test_grpc_hostile_messages(
    node: NodeProcess, method: MethodDescriptor, data: st.DataObject
) -> None:
    request = data.draw(hostile(method.input_type))
    with grpc.insecure_channel(node.grpc_address) as channel:
        code = grpc_status(channel, method, request.SerializeToString())
    assert code not in BROKEN, (method.full_name, request)


@given(method=st.sampled_from(METHODS), payload=st.binary(max_size=200))
@EXAMPLES
def test_grpc_random_bytes(node: NodeProcess, method: MethodDescriptor, payload: bytes) -> None:
    with grpc.insecure_channel(node.grpc_address) as channel:
        code = grpc_status(channel, method, payload)
    assert code not in BROKEN, (method.full_name, payload)


REST = [route for route in ROUTES if route.transport is not Transport.WEBSOCKET]


@given(
    route_index=st.integers(0, len(REST) - 1),
    segment=HOSTILE_TEXT,
    body=st.one_of(st.binary(max_size=200), st.sampled_from([b"{}", b"[]", b'{"name": 1}'])),
)
@EXAMPLES
def test_rest_hostile_paths_and_bodies(
    node: NodeProcess, route_index: int, segment: str, body: bytes
) -> None:
    route = REST[route_index]
    quoted_segment = urllib.parse.quote(segment[:2000], safe="") or "x"
    path = re.sub(r"\{[a-z_]+\}", lambda _: quoted_segment, route.template)
    headers = {"Content-Type": "application/json"}
    with httpx.Client(base_url=node.rest_url, timeout=httpx.Timeout(5, read=0.5)) as http:
        try:
            response = http.request(route.verb, path, content=body, headers=headers)
        except httpx.ReadTimeout:
            return  # a stream that stayed open: nothing broke
    assert response.status_code < 500 or response.status_code in (501, 503, 504), (
        route.template,
        response.text[:300],
    )


@given(messages=st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=4))
@EXAMPLES
def test_link_random_frames(node: NodeProcess, messages: list[bytes]) -> None:
    url = hub_url(node).replace("http://", "ws://") + "/hub/link"
    with connect(url, proxy=None, open_timeout=10) as websocket:
        for message in messages:
            try:
                websocket.send(message)
            except Exception:
                break  # the hub already closed this link
