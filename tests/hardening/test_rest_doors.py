"""The REST door under hostile input: the approver WebSocket's error frame, cross-site requests."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from websockets.sync.client import connect

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
