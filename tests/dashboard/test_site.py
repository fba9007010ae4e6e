"""The dashboard's HTTP side: which paths it serves, which it leaves to the REST API, its headers."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import cast

import httpx
import pytest
import websockets.asyncio.client
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send

from nanoping.cli.up import _warn_if_exposed
from nanoping.config import ListenAddress
from nanoping.dashboard import DashboardSite, dashboard_url, exposed_beyond_loopback
from nanoping.dashboard.site import STATIC
from nanoping.net.http_listener import HttpListener
from nanoping.node.daemon import NodeDaemon


class RecordingApi:
    """Stands in for the REST gateway: answers every request and remembers its path."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.seen.append((scope.get("method", "WS"), scope["path"]))
        await JSONResponse({"code": 5, "message": "from the api"}, status_code=404)(
            scope, receive, send
        )


@pytest.fixture
def api() -> RecordingApi:
    return RecordingApi()


@pytest.fixture
async def client(api: RecordingApi) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=DashboardSite(api))
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as opened:
        yield opened


async def test_the_page_is_served_at_the_root_with_its_security_headers(
    client: httpx.AsyncClient, api: RecordingApi
) -> None:
    reply = await client.get("/")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="/assets/app.js">' in reply.text
    policy = reply.headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert api.seen == []


async def test_every_script_and_stylesheet_the_page_names_is_served(
    client: httpx.AsyncClient,
) -> None:
    page = (await client.get("/")).text
    named = re.findall(r'(?:src|href)="(/assets/[^"]+)"', page)
    assert "/assets/app.js" in named
    for url in named:
        reply = await client.get(url)
        assert reply.status_code == 200, url
        assert "content-security-policy" in reply.headers


def test_every_module_import_resolves_to_a_shipped_file() -> None:
    """No bare or remote import: everything the browser loads ships inside the package."""
    for script in STATIC.rglob("*.js"):
        for target in re.findall(
            r'(?:(?<![-\w])from\s*|\bimport\(\s*)"([^"\n<>]+)"', script.read_text()
        ):
            assert target.startswith("./"), f"{script.name} imports {target!r}"
            assert (script.parent / target).is_file(), f"{script.name} imports {target!r}"


def test_the_vendored_libraries_record_version_and_licence() -> None:
    vendor = STATIC / "vendor"
    versions = (vendor / "VERSIONS.txt").read_text().splitlines()
    for name in ("preact", "htm", "uplot"):
        (line,) = [entry for entry in versions if entry.startswith(f"{name} ")]
        assert re.fullmatch(rf"{name} \d+\.\d+\.\d+ (MIT|Apache-2\.0)", line)
        assert (vendor / f"LICENSE.{name}").stat().st_size > 500


async def test_the_catalogue_lists_parameters_and_wiring_fields(client: httpx.AsyncClient) -> None:
    catalogue = (await client.get("/assets/catalogue.json")).json()
    assert catalogue["traffic_sink"]["links"] == ["input"]
    assert catalogue["udp_socket"]["links"] == ["input", "output"]
    mtu = {p["name"]: p for p in catalogue["traffic_sink"]["params"]}["mtu"]
    assert (mtu["type"], mtu["default"], mtu["required"]) == ("integer", 1500, False)
    phases = {p["name"]: p for p in catalogue["loss_dynamic"]["params"]}["phases"]
    assert phases["default"] == [{"duration": 1000, "loss_probability": 1.0}]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/nodes"),
        ("GET", "/favicon.ico"),
        ("GET", "/index.html"),
        ("POST", "/"),
        ("PUT", "/assets/app.js"),
    ],
)
async def test_other_requests_reach_the_api_unchanged(
    client: httpx.AsyncClient, api: RecordingApi, method: str, path: str
) -> None:
    reply = await client.request(method, path)
    assert reply.json() == {"code": 5, "message": "from the api"}
    assert api.seen == [(method, path)]


async def test_websockets_reach_the_api() -> None:
    seen: list[str] = []

    async def websocket_api(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["path"])
        await receive()
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "hello"})
        await send({"type": "websocket.close", "code": 1000})

    listener = HttpListener(DashboardSite(websocket_api), ListenAddress("127.0.0.1", 0, "test"))
    await listener.start()
    try:
        url = f"ws://{listener.bound_address}/v1/streams/hub-server/authentication-requests"
        async with websockets.asyncio.client.connect(url) as socket:
            assert await socket.recv() == "hello"
    finally:
        await listener.close()
    assert seen == ["/v1/streams/hub-server/authentication-requests"]


@pytest.mark.parametrize(
    "path", ["/assets/../site.py", "/assets/%2e%2e/site.py", "/assets/nope.js", "/assets/"]
)
async def test_nothing_outside_the_assets_is_served(client: httpx.AsyncClient, path: str) -> None:
    reply = await client.get(path)
    assert reply.status_code == 404
    assert "def " not in reply.text


@pytest.mark.parametrize(
    ("host", "exposed"),
    [
        ("127.0.0.1", False),
        ("127.0.0.2", False),
        ("::1", False),
        ("[::1]", False),
        ("localhost", False),
        ("0.0.0.0", True),
        ("::", True),
        ("192.168.1.10", True),
        ("node.example", True),
    ],
)
def test_which_bind_addresses_reach_beyond_this_machine(host: str, exposed: bool) -> None:
    assert exposed_beyond_loopback(host) is exposed


def test_the_dashboard_url_is_the_rest_listener_root() -> None:
    assert dashboard_url("127.0.0.1:8080") == "http://127.0.0.1:8080/"
    assert dashboard_url("[::1]:8080") == "http://[::1]:8080/"


@pytest.mark.parametrize(("host", "warned"), [("0.0.0.0", True), ("127.0.0.1", False)])
def test_the_banner_warns_when_the_dashboard_is_reachable_from_elsewhere(
    capsys: pytest.CaptureFixture[str], host: str, warned: bool
) -> None:
    # No listener is opened: binding beyond loopback in a test would expose it for real.
    daemon = SimpleNamespace(config=SimpleNamespace(rest_address=ListenAddress(host, 8080, "f")))
    _warn_if_exposed(cast(NodeDaemon, daemon))
    warning = capsys.readouterr().err
    if warned:
        assert f"the REST API and dashboard on {host}:8080 are reachable from other" in warning
        assert "no authentication" in warning
    else:
        assert warning == ""
