"""Joining a hub by request, with real controller and client processes."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from nanoping.testing.cluster import HUB_CLIENT, HUB_SERVER, Approver, hub_url, start_controller
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

AUTHENTICATE = HUB_CLIENT + "authenticateByRequest"


@pytest.fixture
def controller(tmp_path: Path) -> Iterator[NodeProcess]:
    node = start_controller(tmp_path)
    yield node
    node.stop()


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NodeProcess]:
    """One client for the module's joins that fail: none of them may leave it joined."""
    with NodeProcess(data_dir=tmp_path_factory.mktemp("client") / "client-data") as node:
        yield node


def authenticate(api: ReferenceApi, node: NodeProcess, url: str, timeout: float = 20) -> Any:
    with grpc.insecure_channel(node.grpc_address) as channel:
        return api.call(
            channel,
            AUTHENTICATE,
            api.request(AUTHENTICATE, hub_server_address=url),
            timeout=timeout,
        )


def failure(api: ReferenceApi, node: NodeProcess, url: str) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as raised:
        authenticate(api, node, url)
    return raised.value


class StateRecorder:
    """Follows streamConnectionState of a node in a thread."""

    def __init__(self, api: ReferenceApi, node: NodeProcess) -> None:
        self._channel = grpc.insecure_channel(node.grpc_address)
        path = HUB_CLIENT + "streamConnectionState"
        self._stream = api.stream(self._channel, path, api.request(path), timeout=None)
        self.states: list[int] = []
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for message in self._stream:
                self.states.append(message.state)
        except grpc.RpcError:
            pass

    def wait_for(self, state: int, timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.states and self.states[-1] == state:
                return
            time.sleep(0.02)
        raise AssertionError(f"state {state} not reached; saw {self.states}")

    def close(self) -> None:
        self._stream.cancel()
        self._channel.close()


UNAUTHENTICATED, DISCONNECTED, CONNECTED = 0, 1, 2


def test_accepted_join_connects_and_survives_restart(
    tmp_path: Path, controller: NodeProcess, reference_api: ReferenceApi
) -> None:
    client = NodeProcess(data_dir=tmp_path / "client-data").start()
    states = StateRecorder(reference_api, client)
    with grpc.insecure_channel(controller.grpc_address) as hub_channel:
        approver = Approver(reference_api, hub_channel)
        authenticate(reference_api, client, hub_url(controller))
        states.wait_for(CONNECTED)
        assert states.states[0] == UNAUTHENTICATED
        assert [request.node.id for request in approver.seen] == [client.node_id]
        approver.close()
    states.close()
    with grpc.insecure_channel(client.grpc_address) as channel:
        identity = reference_api.call(
            channel,
            HUB_CLIENT + "getLocalNodeId",
            reference_api.request(HUB_CLIENT + "getLocalNodeId"),
        )
        assert identity.is_authenticated is True
        again = failure(reference_api, client, hub_url(controller))
    assert again.code() == grpc.StatusCode.ALREADY_EXISTS
    assert again.details() == "Client is already authenticated"
    client.stop()
    restarted = NodeProcess(data_dir=tmp_path / "client-data").start()
    states = StateRecorder(reference_api, restarted)
    states.wait_for(CONNECTED)
    states.close()
    with grpc.insecure_channel(controller.grpc_address) as hub_channel:
        nodes = reference_api.call(
            hub_channel, HUB_SERVER + "getNodes", reference_api.request(HUB_SERVER + "getNodes")
        ).nodes
    assert {(node.id, node.online) for node in nodes} == {
        (controller.node_id, True),
        (client.node_id, True),
    }
    restarted.stop()


def test_rejected_join_is_unauthenticated(
    controller: NodeProcess, client: NodeProcess, reference_api: ReferenceApi
) -> None:
    with grpc.insecure_channel(controller.grpc_address) as hub_channel:
        approver = Approver(reference_api, hub_channel, accept=False)
        error = failure(reference_api, client, hub_url(controller))
        approver.close()
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED
    with grpc.insecure_channel(controller.grpc_address) as hub_channel:
        nodes = reference_api.call(
            hub_channel, HUB_SERVER + "getNodes", reference_api.request(HUB_SERVER + "getNodes")
        ).nodes
    assert [node.id for node in nodes] == [controller.node_id]


def test_unanswered_join_times_out(
    tmp_path: Path, client: NodeProcess, reference_api: ReferenceApi
) -> None:
    controller = start_controller(tmp_path, join_timeout="1s")
    try:
        started = time.monotonic()
        error = failure(reference_api, client, hub_url(controller))
        assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert 0.9 < time.monotonic() - started < 10
    finally:
        controller.stop()


def test_unreachable_hub_is_unavailable(client: NodeProcess, reference_api: ReferenceApi) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    error = failure(reference_api, client, f"http://127.0.0.1:{free_port}")
    assert error.code() == grpc.StatusCode.UNAVAILABLE


def test_hub_without_join_by_request_is_not_found(
    tmp_path: Path, client: NodeProcess, reference_api: ReferenceApi
) -> None:
    config = tmp_path / "closed-hub.yaml"
    config.write_text(
        "http:\n  address: 127.0.0.1:0\nhubServer: {}\ngrpcBridge:\n  address: 127.0.0.1:0\n"
    )
    with NodeProcess(
        data_dir=tmp_path / "closed-hub", global_args=["-c", str(config)], up_args=()
    ) as hub:
        error = failure(reference_api, client, hub_url(hub))
        assert error.code() == grpc.StatusCode.NOT_FOUND
        with grpc.insecure_channel(hub.grpc_address) as channel:
            with pytest.raises(grpc.RpcError) as raised:
                next(
                    iter(
                        reference_api.bidi(
                            channel, HUB_SERVER + "authenticationByRequests", iter([])
                        )
                    )
                )
            assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_a_web_server_that_is_no_hub_is_not_found(
    tmp_path: Path, client: NodeProcess, reference_api: ReferenceApi
) -> None:
    config = tmp_path / "plain.yaml"
    config.write_text("http:\n  address: 127.0.0.1:0\n")
    with NodeProcess(
        data_dir=tmp_path / "plain", global_args=["-c", str(config)], up_args=()
    ) as plain:
        error = failure(reference_api, client, f"http://{plain.addresses['HTTP']}")
    assert error.code() == grpc.StatusCode.NOT_FOUND
    assert "is not a NanoPing hub server" in str(error.details())


@pytest.mark.parametrize(
    "address", ["127.0.0.1:8769", "ftp://127.0.0.1:8769", "http://", "http://host:99999"]
)
def test_malformed_hub_address_is_invalid(
    client: NodeProcess, reference_api: ReferenceApi, address: str
) -> None:
    error = failure(reference_api, client, address)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "hub_server_address" in str(error.details())


def test_every_open_approver_sees_each_request_and_the_first_answer_decides(
    tmp_path: Path, controller: NodeProcess, reference_api: ReferenceApi
) -> None:
    first_client = NodeProcess(data_dir=tmp_path / "a").start()
    with grpc.insecure_channel(controller.grpc_address) as hub_channel:
        yes = Approver(reference_api, hub_channel, accept=True)
        no = Approver(reference_api, hub_channel, accept=False)
        outcome: list[str] = []
        try:
            authenticate(reference_api, first_client, hub_url(controller))
            outcome.append("accepted")
        except grpc.RpcError as error:
            outcome.append(error.code().name)
        yes.close()
        no.close()
    assert outcome[0] in ("accepted", "UNAUTHENTICATED")
    assert [request.node.id for request in yes.seen] == [first_client.node_id]
    assert [request.node.id for request in no.seen] == [first_client.node_id]
    first_client.stop()


def test_nothing_is_sent_when_an_approver_opens(
    controller: NodeProcess, reference_api: ReferenceApi
) -> None:
    with grpc.insecure_channel(controller.grpc_address) as hub_channel:
        approver = Approver(reference_api, hub_channel)
        time.sleep(0.5)  # a window in which a wrongly sent message would arrive
        assert approver.seen == []
        approver.close()


def test_hub_server_service_needs_a_hub(client: NodeProcess, reference_api: ReferenceApi) -> None:
    with (
        grpc.insecure_channel(client.grpc_address) as channel,
        pytest.raises(grpc.RpcError) as raised,
    ):
        reference_api.call(
            channel, HUB_SERVER + "getNodes", reference_api.request(HUB_SERVER + "getNodes")
        )
    assert raised.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "neither hosts a hub server nor is authenticated" in str(raised.value.details())
