"""A controller and client nodes as real processes, for control-plane tests and examples."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import grpc

from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

HUB_CLIENT = "/nanopinggrpc.hub.HubClientService/"
HUB_SERVER = "/nanopinggrpc.hub.HubServerService/"


def controller_config(
    tmp_path: Path,
    *,
    join_timeout: str = "5m",
    name: str = "My Controller",
    http_port: int = 0,
    extra: str = "",
) -> Path:
    config = tmp_path / "controller.yaml"
    config.write_text(
        f"node:\n  name: {name}\nhttp:\n  address: 127.0.0.1:{http_port}\nhubServer:\n"
        f"  authenticationByRequest:\n    timeout: {join_timeout}\n{extra}"
        "grpcBridge:\n  address: 127.0.0.1:0\n"
    )
    return config


def start_controller(tmp_path: Path, **options: Any) -> NodeProcess:
    config = controller_config(tmp_path, **options)
    return NodeProcess(
        data_dir=tmp_path / "controller-data", global_args=["-c", str(config)], up_args=()
    ).start()


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (for a hub that must keep its port on restart)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_together(*nodes: NodeProcess) -> None:
    """Start the nodes at the same moment, as after a host reboot; returns when all are up.

    A node that fails to start fails the call (with its own error), after the others are up.
    """
    failures: list[BaseException] = []

    def start(node: NodeProcess) -> None:
        try:
            node.start()
        except BaseException as failure:  # handed to the caller's thread below
            failures.append(failure)

    starters = [threading.Thread(target=start, args=(node,)) for node in nodes]
    for starter in starters:
        starter.start()
    for starter in starters:
        starter.join()
    if failures:
        raise failures[0]


def hub_url(controller: NodeProcess) -> str:
    return f"http://{controller.addresses['HTTP (hub server)']}"


class Approver:
    """Holds authenticationByRequests open on a node and answers every request it is sent."""

    def __init__(self, api: ReferenceApi, channel: grpc.Channel, *, accept: bool = True) -> None:
        self._api = api
        self._accept = accept
        self._answers: list[Any] = []
        self._wake = threading.Condition()
        self._closed = False
        self.seen: list[Any] = []
        self._responses = api.bidi(
            channel, HUB_SERVER + "authenticationByRequests", self._outgoing(), timeout=60
        )
        self._responses.initial_metadata()  # the hub has registered this approver
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _outgoing(self) -> Iterator[Any]:
        while True:
            with self._wake:
                self._wake.wait_for(lambda: self._answers or self._closed)
                if self._closed:
                    return
                answer = self._answers.pop(0)
            yield answer

    def _run(self) -> None:
        try:
            for request in self._responses:
                self.seen.append(request)
                answer = self._api.message(
                    "nanopinggrpc.hub.AuthenticationByRequestAnswer",
                    request_id=request.request_id,
                    accept=self._accept,
                )
                with self._wake:
                    self._answers.append(answer)
                    self._wake.notify_all()
        except grpc.RpcError:
            pass

    def close(self) -> None:
        with self._wake:
            self._closed = True
            self._wake.notify_all()
        self._responses.cancel()
        self._thread.join(timeout=5)


def join(
    api: ReferenceApi, controller: NodeProcess, node: NodeProcess, timeout: float = 20
) -> None:
    """Join ``node`` to the controller's hub, accepting the request on the controller."""
    path = HUB_CLIENT + "authenticateByRequest"
    with grpc.insecure_channel(controller.grpc_address) as hub_channel:
        approver = Approver(api, hub_channel)
        try:
            with grpc.insecure_channel(node.grpc_address) as channel:
                request = api.request(path, hub_server_address=hub_url(controller))
                api.call(channel, path, request, timeout=timeout)
        finally:
            approver.close()


@contextmanager
def joined_pair(api: ReferenceApi, tmp_path: Path) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    """A controller and a client joined to its hub and shown online there; both stopped after."""
    controller = start_controller(tmp_path)
    client = NodeProcess(data_dir=tmp_path / "client-data").start()
    try:
        join(api, controller, client)
        path = HUB_SERVER + "getNodes"
        with grpc.insecure_channel(controller.grpc_address) as channel:

            def online() -> bool:
                nodes = api.call(channel, path, api.request(path)).nodes
                return any(node.id == client.node_id and node.online for node in nodes)

            wait_until(online, what="the client node online at the hub")
        yield controller, client
    finally:
        client.stop()
        controller.stop()


def wait_until(
    condition: Callable[[], bool], *, timeout: float = 20, what: str = "condition"
) -> None:
    """Poll ``condition`` until it holds; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
