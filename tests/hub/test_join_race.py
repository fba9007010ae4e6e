"""The join race of the public guide's program: approver and joiner started at the same moment.

The official Go example opens ``authenticationByRequests`` in a goroutine while it calls
``authenticateByRequest``; whichever reaches the hub first, the join must be decided. These
tests make that call pattern with this package's generated stubs against real node processes.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from nanoping.api import hub_client_pb2, hub_client_pb2_grpc, hub_server_pb2, hub_server_pb2_grpc
from nanoping.testing.cluster import hub_url, start_controller, wait_until
from nanoping.testing.node_process import NodeProcess, run_np


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    controller = start_controller(tmp_path)
    try:
        with NodeProcess(data_dir=tmp_path / "client-data") as client:
            yield controller, client
    finally:
        controller.stop()


def accept_one_request(controller: NodeProcess, outcome: list[str]) -> None:
    """The guide's acceptAuthenticationRequests: open the stream, read one request, accept it."""
    with grpc.insecure_channel(controller.grpc_address) as channel:
        hub_server = hub_server_pb2_grpc.HubServerServiceStub(channel)
        answers: list[hub_server_pb2.AuthenticationByRequestAnswer] = []
        ready = threading.Event()

        def outgoing() -> Iterator[hub_server_pb2.AuthenticationByRequestAnswer]:
            ready.wait(30)
            yield from answers

        stream = hub_server.authenticationByRequests(outgoing(), timeout=30)
        request = next(stream)
        answers.append(
            hub_server_pb2.AuthenticationByRequestAnswer(request_id=request.request_id, accept=True)
        )
        ready.set()
        outcome.append(request.node.id)
        for _ in stream:  # the hub ends the stream once our answers end
            pass


def authenticate(client: NodeProcess, url: str) -> None:
    with grpc.insecure_channel(client.grpc_address) as channel:
        hub_client = hub_client_pb2_grpc.HubClientServiceStub(channel)
        request = hub_client_pb2.AuthenticateByRequestRequest(hub_server_address=url)
        hub_client.authenticateByRequest(request, timeout=30)


def pending_logged(controller: NodeProcess) -> bool:
    return any("is pending" in line for line in controller.stderr_lines)


@pytest.mark.parametrize("order", ["approver first", "join first", "approver 1 s late"])
def test_the_join_is_decided_whichever_side_reaches_the_hub_first(
    nodes: tuple[NodeProcess, NodeProcess], order: str
) -> None:
    controller, client = nodes
    seen: list[str] = []
    approver = threading.Thread(target=accept_one_request, args=(controller, seen), daemon=True)
    joiner = threading.Thread(target=authenticate, args=(client, hub_url(controller)))
    if order == "approver first":
        approver.start()
        joiner.start()
    else:
        joiner.start()
        wait_until(lambda: pending_logged(controller), what="the hub to hold the join request")
        if order == "approver 1 s late":
            time.sleep(1.0)  # the scenario itself: an approver opening a second after the request
        approver.start()
    joiner.join(40)
    approver.join(40)
    assert not joiner.is_alive(), "authenticateByRequest never returned"
    assert seen == [client.node_id]
    with grpc.insecure_channel(client.grpc_address) as channel:
        identity = hub_client_pb2_grpc.HubClientServiceStub(channel).getLocalNodeId(
            hub_client_pb2.GetLocalNodeIdRequest(), timeout=10
        )
    assert identity.is_authenticated


def test_the_shell_approver_lists_a_request_made_before_it_opened(
    nodes: tuple[NodeProcess, NodeProcess],
) -> None:
    controller, client = nodes
    joining = subprocess.Popen(
        [sys.executable, "-m", "nanoping.cli.main", "authenticate-by-request",
         hub_url(controller), "--grpc", client.grpc_address],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        wait_until(lambda: pending_logged(controller), what="the hub to hold the join request")
        answered = run_np(
            ["authentication-requests", "--grpc", controller.grpc_address, "--accept-all",
             "--count", "1"]
        )  # fmt: skip
        out, err = joining.communicate(timeout=30)
    finally:
        if joining.poll() is None:
            joining.kill()
            joining.communicate()
    assert answered.returncode == 0, answered.stderr
    listed = answered.stderr.splitlines()
    assert listed[0] == "1 join request(s) pending:"
    assert listed[1].startswith(
        f"  request 1: node {client.name} ({client.node_id}) from 127.0.0.1, waiting "
    )
    assert answered.stdout == f"accepted node {client.name} ({client.node_id})\n"
    assert joining.returncode == 0, err
    assert err.startswith(f"waiting for the hub at {hub_url(controller)} to answer")
    assert out == f"authenticated with the hub server at {hub_url(controller)}\n"
    # the hub's log names nodes by name and id, each quoted (they are the joining node's words)
    named = f"node '{client.name}' ('{client.node_id}')"
    assert any(f"join request 1 from {named} at 127.0.0.1" in x for x in controller.stderr_lines)
    wait_until(
        lambda: any(f"{named} connected from" in line for line in controller.stderr_lines),
        what="the hub to log the new member by name and id",
    )


def test_the_shell_approver_fails_when_too_few_requests_came(tmp_path: Path) -> None:
    controller = start_controller(tmp_path)
    try:
        result = run_np(
            ["authentication-requests", "--grpc", controller.grpc_address, "--accept-all",
             "--count", "2", "--timeout", "0.5"]
        )  # fmt: skip
    finally:
        controller.stop()
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1] == (
        "np: authentication-requests: answered 0 of 2 request(s) before 0.5 s passed "
        "without a new one"
    )
