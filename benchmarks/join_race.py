"""The integration guide's join, repeated: does every join get decided, whichever side is first?

    python benchmarks/join_race.py [--runs 20]

For each run it starts a fresh controller and a fresh client (real processes) and makes the
official Go example's calls with this package's stubs: the approver stream
(authenticationByRequests: read one request, accept it) and authenticateByRequest, in three
orders: at the same moment, the join first, and the approver opening one second late. Then it
restarts both nodes and checks the client is linked again, and reports how long the client
took to be CONNECTED when both restarted at the same moment. A run passes when the join
returns within 30 s and the restarted client connects within 30 s.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc

from nanoping.api import hub_client_pb2, hub_client_pb2_grpc, hub_server_pb2, hub_server_pb2_grpc
from nanoping.testing.cluster import controller_config, free_port, hub_url, start_together
from nanoping.testing.node_process import NodeProcess

ORDERS = ("together", "join first", "approver 1 s late")
CONNECTED = 2


def accept_one(controller: NodeProcess, delay: float) -> None:
    time.sleep(delay)
    with grpc.insecure_channel(controller.grpc_address) as channel:
        ready = threading.Event()
        answers: list[hub_server_pb2.AuthenticationByRequestAnswer] = []

        def outgoing() -> Iterator[hub_server_pb2.AuthenticationByRequestAnswer]:
            ready.wait(40)
            yield from answers

        stream = hub_server_pb2_grpc.HubServerServiceStub(channel).authenticationByRequests(
            outgoing(), timeout=40
        )
        request = next(stream)
        answers.append(
            hub_server_pb2.AuthenticationByRequestAnswer(request_id=request.request_id, accept=True)
        )
        ready.set()
        for _ in stream:
            pass


def join(client: NodeProcess, url: str) -> None:
    with grpc.insecure_channel(client.grpc_address) as channel:
        hub_client_pb2_grpc.HubClientServiceStub(channel).authenticateByRequest(
            hub_client_pb2.AuthenticateByRequestRequest(hub_server_address=url), timeout=30
        )


def connected_within(client: NodeProcess, seconds: float) -> float | None:
    """Seconds until the client reports CONNECTED, or None after ``seconds``."""
    started = time.monotonic()
    with grpc.insecure_channel(client.grpc_address) as channel:
        stub = hub_client_pb2_grpc.HubClientServiceStub(channel)
        stream = stub.streamConnectionState(
            hub_client_pb2.StreamConnectionStateRequest(), timeout=seconds
        )
        try:
            for message in stream:
                if message.state == CONNECTED:
                    return time.monotonic() - started
        except grpc.RpcError:
            return None
    return None


def controller_node(root: Path, config: Path) -> NodeProcess:
    return NodeProcess(data_dir=root / "controller", global_args=["-c", str(config)], up_args=())


def one_run(root: Path, order: str) -> tuple[bool, float | None]:
    # The hub keeps its HTTP port across the restart: the client stored that address.
    config = controller_config(root, http_port=free_port())
    controller = controller_node(root, config).start()
    client = NodeProcess(data_dir=root / "client").start()
    try:
        delay = 1.0 if order == "approver 1 s late" else 0.0
        approver = threading.Thread(target=accept_one, args=(controller, delay), daemon=True)
        joiner = threading.Thread(target=join, args=(client, hub_url(controller)), daemon=True)
        if order == "together":
            approver.start()
            joiner.start()
        else:
            joiner.start()
            approver.start()
        joiner.join(35)
        joined = not joiner.is_alive()
    finally:
        client.stop()
        controller.stop()
    if not joined:
        return False, None
    # Restart both at the same moment: the client must link up again by itself.
    controller = controller_node(root, config)
    client = NodeProcess(data_dir=root / "client")
    try:
        start_together(controller, client)
        reconnect = connected_within(client, 30)
    finally:
        client.stop()
        controller.stop()
    return reconnect is not None, reconnect


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per order (default 20)")
    arguments = parser.parse_args()
    for order in ORDERS:
        passed, reconnects = 0, []
        for _ in range(arguments.runs):
            with tempfile.TemporaryDirectory(prefix="np-join-race-") as directory:
                ok, reconnect = one_run(Path(directory), order)
            passed += ok
            if reconnect is not None:
                reconnects.append(reconnect)
        slowest = f"{max(reconnects):.2f} s" if reconnects else "-"
        print(
            f"{order:>18}: {passed}/{arguments.runs} joined and reconnected after a restart; "
            f"slowest reconnect after a joint restart {slowest}",
            flush=True,
        )


if __name__ == "__main__":
    main()
