"""The REST API across a node's life: the banner line, and open streams at shutdown."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import nanoping_api
import pytest

from nanoping.testing.node_process import NodeProcess

from .rest_cluster import Follower, start_rest_controller, start_rest_node

pytestmark = pytest.mark.filterwarnings(
    "ignore:connect\\(\\) must be used as a context manager:DeprecationWarning"
)


def test_the_banner_names_the_rest_address(tmp_path: Path) -> None:
    node = start_rest_node(tmp_path / "node")
    try:
        host, port = node.addresses["REST API"].rsplit(":", 1)
        assert (host, port != "0") == ("127.0.0.1", True)
        with nanoping_api.NanopingClient(node.rest_url, timeout=10) as api:
            assert api.hub_client.get_local_node_id().node_id == node.node_id
    finally:
        node.stop()


def test_a_config_file_serves_the_rest_api(tmp_path: Path) -> None:
    config = tmp_path / "node.yaml"
    config.write_text("node:\n  name: Filed\nrestApi:\n  address: 127.0.0.1:0\n")
    node = NodeProcess(
        data_dir=tmp_path / "node", global_args=["-c", str(config)], up_args=()
    ).start()
    try:
        assert "gRPC API" not in node.addresses
        with nanoping_api.NanopingClient(node.rest_url, timeout=10) as api:
            assert api.hub_client.get_node().node.name == "Filed"
    finally:
        node.stop()


def test_shutdown_ends_open_streams_with_unavailable(tmp_path: Path) -> None:
    controller = start_rest_controller(tmp_path)
    try:
        with nanoping_api.NanopingClient(controller.rest_url, timeout=10) as api:
            states = Follower(api.hub_client.stream_connection_state())
            approver = api.hub_server.authentication_by_requests()
            answers: list[nanoping_api.ApiError] = []
            reader = threading.Thread(target=_read_all, args=(approver, answers), daemon=True)
            reader.start()
            started = time.monotonic()
            controller.signal(signal.SIGTERM)
            assert controller.wait(timeout=15) == 0
            assert time.monotonic() - started < 5  # streams ended; no grace period ran out
            assert states.ended.wait(5)
            reader.join(timeout=5)
            for error in (states.error, *answers):
                assert error is not None
                assert (error.code, error.message) == (
                    nanoping_api.Code.UNAVAILABLE,
                    "the node is shutting down",
                )
    finally:
        controller.stop()


def _read_all(stream: nanoping_api.BidiStream[object, object], errors: list[object]) -> None:
    try:
        for _ in stream:
            pass
    except nanoping_api.ApiError as error:
        errors.append(error)
