"""The dashboard's Nodes page with a large cluster: time to render it, and how fast it stays live.

A fake hub (the real dashboard files in front of a stand-in REST API on 127.0.0.1) answers
``streamNodes`` with N nodes, then renames one node at a time on request. Headless Chromium
(Debian's, through Playwright) opens the Nodes page:
- render: from navigation start to N rows in the table (page scripts loaded, stream opened, the
  initial list parsed and drawn), over several fresh page loads;
- live: from the moment the fake hub sends a rename to the moment the new name is in the page,
  over a series of renames while all N rows are shown.

Usage: ``python benchmarks/dashboard_nodes.py [--nodes N] [--loads N] [--renames N]``. Timings are
wall-clock on this machine; the browser and the fake hub share its cores.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import JSONResponse, StreamingResponse
from starlette.types import Receive, Scope, Send

from nanoping.config import ListenAddress
from nanoping.dashboard import DashboardSite
from nanoping.net.http_listener import HttpListener
from nanoping.testing.browser import chromium

HUB_ID = "00000000-0000-4000-8000-000000000000"


def node(index: int, name: str | None = None) -> dict[str, Any]:
    """One HubNode as REST JSON, with a little metadata like a real fleet's."""
    return {
        "id": f"00000000-0000-4000-8000-{index:012d}",
        "name": name or f"node-{index:04d}",
        "online": index % 7 != 0,
        "services": ["PIPELINES"] if index else ["HUB_SERVER", "PIPELINES"],
        "metadata": {"items": {"site": {"stringValue": f"site-{index % 12}"}}},
    }


class FakeHub:
    """A stand-in REST API: streamNodes with ``count`` nodes, and renames sent on demand."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.loop: asyncio.AbstractEventLoop | None = None
        self.watchers: set[asyncio.Queue[str]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/v1/streams/nodes":
            response: Any = StreamingResponse(self._events(), media_type="text/event-stream")
        elif scope["path"] == "/v1/hub-client/local-node-id":
            response = JSONResponse({"nodeId": HUB_ID, "isAuthenticated": True})
        else:
            response = JSONResponse({"code": 5, "message": "not in the fake hub"}, 404)
        await response(scope, receive, send)

    async def _events(self) -> AsyncIterator[str]:
        queue: asyncio.Queue[str] = asyncio.Queue(maxsize=1000)
        self.watchers.add(queue)
        try:
            nodes = [node(i) for i in range(self.count)]
            yield f"data: {json.dumps({'initialResponse': {'nodes': nodes}})}\n\n"
            while True:
                yield await queue.get()
        finally:
            self.watchers.discard(queue)

    def rename(self, index: int, name: str) -> float:
        """Send every watcher a rename; returns the wall-clock time it was handed to them."""
        update = {"updateResponse": {"updatedNameNode": node(index, name)}}
        event = f"data: {json.dumps(update)}\n\n"
        assert self.loop is not None
        sent = time.time()
        for queue in list(self.watchers):
            self.loop.call_soon_threadsafe(queue.put_nowait, event)
        return sent


def serve(
    hub: FakeHub, ready: threading.Event, bound: list[str], stop: list[asyncio.Event]
) -> None:
    """Serve the fake hub until ``stop[0]`` is set (from the main thread, through the loop)."""

    async def run() -> None:
        hub.loop = asyncio.get_running_loop()
        stop.append(asyncio.Event())
        listener = HttpListener(DashboardSite(hub), ListenAddress("127.0.0.1", 0, "benchmark"))
        await listener.start()
        bound.append(listener.bound_address)
        ready.set()
        await stop[0].wait()
        await listener.close()

    asyncio.run(run())


STREAM_START = "performance.getEntriesByName('stream open /v1/streams/nodes')[0].startTime"


def measure(
    url: str, hub: FakeHub, loads: int, renames: int
) -> tuple[list[float], list[float], list[float]]:
    rows = f"document.querySelectorAll('[data-testid=node-row]').length === {hub.count}"
    # bypass_csp: Playwright's condition polling evaluates strings, which the page's CSP forbids.
    render_ms: list[float] = []
    list_ms: list[float] = []
    live_ms: list[float] = []
    with chromium() as browser:
        for _ in range(loads):
            page = browser.new_page(viewport={"width": 1280, "height": 720}, bypass_csp=True)
            page.goto(url + "#/nodes")
            page.wait_for_function(rows, polling="raf", timeout=60_000)
            drawn = page.evaluate("performance.now()")
            render_ms.append(drawn)
            list_ms.append(drawn - page.evaluate(STREAM_START))
            page.close()
        page = browser.new_page(viewport={"width": 1280, "height": 720}, bypass_csp=True)
        page.goto(url + "#/nodes")
        page.wait_for_function(rows, polling="raf", timeout=60_000)
        for n in range(renames):
            name = f"renamed-{n}"
            sent = hub.rename((n * 37) % hub.count, name)
            page.wait_for_function(
                f"document.getElementById('nodes-title') && "
                f"document.querySelector('.node-list').textContent.includes('{name}')",
                polling="raf",
                timeout=30_000,
            )
            live_ms.append((time.time() - sent) * 1000)
            time.sleep(0.1)
        page.close()
    return render_ms, list_ms, live_ms


def summary(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"{label}: median {statistics.median(ordered):.0f} ms, p95 {p95:.0f} ms, "
        f"min {ordered[0]:.0f} ms, max {ordered[-1]:.0f} ms ({len(ordered)} samples)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1000)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument("--renames", type=int, default=30)
    arguments = parser.parse_args()
    hub = FakeHub(arguments.nodes)
    ready = threading.Event()
    stop: list[asyncio.Event] = []
    bound: list[str] = []
    server = threading.Thread(target=serve, args=(hub, ready, bound, stop), daemon=True)
    server.start()
    ready.wait(10)
    try:
        render_ms, list_ms, live_ms = measure(
            f"http://{bound[0]}/", hub, arguments.loads, arguments.renames
        )
    finally:
        assert hub.loop is not None
        hub.loop.call_soon_threadsafe(stop[0].set)
        server.join(10)
    print(f"Nodes page with {arguments.nodes} nodes")
    print(summary("  render (navigation start to every row drawn)", render_ms))
    print(summary("  of which from streamNodes' headers to every row drawn", list_ms))
    print(summary("  live (rename sent by the hub to new name on the page)", live_ms))


if __name__ == "__main__":
    main()
