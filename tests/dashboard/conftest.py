"""A real cluster and a real browser for the dashboard tests, shared by the module's tests."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import nanoping_api
import pytest
from playwright.sync_api import Browser, Page
from starlette.types import ASGIApp

from nanoping.config import ListenAddress
from nanoping.net.http_listener import HttpListener
from nanoping.testing.browser import PageProblems, chromium, screenshot_dir
from nanoping.testing.cluster import hub_url, start_controller, wait_until
from nanoping.testing.node_process import NodeProcess

REST = "restApi:\n  address: 127.0.0.1:0\n"
EDGE_NAME = "edge-1"


@dataclass
class Cluster:
    """The controller (hub, REST, dashboard) and one joined client node serving REST too."""

    controller: NodeProcess
    edge: NodeProcess
    controller_data: Path

    @property
    def dashboard(self) -> str:
        return self.controller.addresses["dashboard"]

    @property
    def hub_address(self) -> str:
        return hub_url(self.controller)


def start_rest_node(data_dir: Path) -> NodeProcess:
    return NodeProcess(
        data_dir=data_dir, up_args=("--grpc", "127.0.0.1:0", "--rest-api", "127.0.0.1:0")
    ).start()


def join(node: NodeProcess, hub: NodeProcess) -> None:
    """Join ``node`` to ``hub``'s cluster through the REST API, accepting on the hub's side."""
    failures: list[BaseException] = []
    listening = threading.Event()
    approver = threading.Thread(
        target=_approve, args=(hub.rest_url, node.node_id, listening, failures), daemon=True
    )
    approver.start()
    # Ask only once the approver listens: a request made while its stream opens can be missed.
    assert listening.wait(15) or failures, "the approver did not start listening"
    with nanoping_api.NanopingClient(node.rest_url, timeout=30) as node_api:
        try:
            node_api.join_hub(hub_url(hub))
        finally:
            approver.join(timeout=5)
            assert failures == [], f"the approver failed: {failures}"
    with nanoping_api.NanopingClient(hub.rest_url, timeout=30) as hub_api:
        wait_until(
            lambda: any(
                n.id == node.node_id and n.online for n in hub_api.hub_server.get_nodes().nodes
            ),
            what="the node online at the hub",
        )


def _approve(
    hub_rest_url: str, node_id: str, listening: threading.Event, failures: list[BaseException]
) -> None:
    """Accept ``node_id``'s join request, then close the approvals stream (answer nothing else)."""
    try:
        with (
            nanoping_api.NanopingClient(hub_rest_url, timeout=30) as hub_api,
            hub_api.hub_server.authentication_by_requests() as stream,
        ):
            listening.set()
            for request in stream:
                if request.node.id == node_id:
                    answer = nanoping_api.AuthenticationByRequestAnswer(
                        request_id=request.request_id, accept=True
                    )
                    stream.send(answer)
                    return
    except BaseException as error:  # reported by join(), in the test's thread
        failures.append(error)


@contextlib.contextmanager
def served_in_thread(make_app: Callable[[], ASGIApp]) -> Iterator[str]:
    """Serve the app ``make_app`` builds on 127.0.0.1 from a thread's event loop; yields its URL."""
    bound: list[str] = []
    ready = threading.Event()
    stop: list[asyncio.Event] = []
    loops: list[asyncio.AbstractEventLoop] = []

    async def serve() -> None:
        listener = HttpListener(make_app(), ListenAddress("127.0.0.1", 0, "test"))
        await listener.start()
        stop.append(asyncio.Event())
        loops.append(asyncio.get_running_loop())
        bound.append(listener.bound_address)
        ready.set()
        await stop[0].wait()
        await listener.close()

    server = threading.Thread(target=asyncio.run, args=(serve(),), daemon=True)
    server.start()
    assert ready.wait(15), "the test server did not start"
    try:
        yield f"http://{bound[0]}/"
    finally:
        loops[0].call_soon_threadsafe(stop[0].set)
        server.join(10)


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp("cluster")
    with contextlib.ExitStack() as stack:
        controller = start_controller(tmp, extra=REST)
        stack.callback(controller.stop)
        edge = start_rest_node(tmp / "edge-data")
        stack.callback(edge.stop)
        with nanoping_api.NanopingClient(edge.rest_url, timeout=30) as edge_api:
            edge_api.hub_client.set_node(name=EDGE_NAME)
        join(edge, controller)
        yield Cluster(controller, edge, tmp / "controller-data")


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as running:
        yield running


@pytest.fixture(scope="module")
def shots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where this module's screenshots are kept."""
    return screenshot_dir(tmp_path_factory.mktemp("screenshots"))


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh 1280x720 page; fails the test if the dashboard's scripts reported an error."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    problems = PageProblems(opened)
    try:
        yield opened
    finally:
        context.close()
    assert problems.messages == []
