"""One HTTP listener for the REST API and the dashboard that drives it.

Paths under ``/v1`` and every WebSocket go to the REST gateway unchanged, so the API behaves
exactly as without the dashboard. ``/`` answers the dashboard's page and ``/assets/...`` its
files, which ship inside this package (no CDN, no build step). ``/assets/catalogue.json`` is the
component parameter catalogue, read from the component registry: product data, not an API call.
Any other path falls through to the gateway, which answers its usual 404 ``{code, message}``.
"""

from __future__ import annotations

import ipaddress
import json
from functools import cache
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nanoping.dashboard.catalogue import catalogue_document
from nanoping.dataplane.component import catalogue

STATIC = Path(__file__).parent / "static"
"""Where the dashboard's files live inside the installed package."""
ASSETS = "/assets"
"""URL prefix of the dashboard's files."""

SECURITY_HEADERS = {
    # Only this origin's scripts, styles and API; no framing (clickjacking of Accept buttons).
    "content-security-policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
}


class DashboardSite:
    """ASGI app: the dashboard's page and assets in front of ``api`` (the REST gateway)."""

    def __init__(self, api: ASGIApp) -> None:
        self._api = api
        self._files = StaticFiles(directory=STATIC)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            await self._api(scope, receive, send)
            return
        path: str = scope["path"]
        if path == "/":
            await _page(scope, receive, send)
        elif path == f"{ASSETS}/catalogue.json":
            await _catalogue(scope, receive, send)
        elif path.startswith(f"{ASSETS}/"):
            await self._asset(scope, receive, send)
        else:
            await self._api(scope, receive, send)

    async def _asset(self, scope: Scope, receive: Receive, send: Send) -> None:
        inner = dict(scope, path=scope["path"][len(ASSETS) :], root_path="")
        try:
            response = await self._files.get_response(self._files.get_path(inner), inner)
        except HTTPException as missing:
            response = _missing(scope["path"], missing.status_code)
        await response(inner, receive, _secured(send))


def _missing(path: str, status: int) -> Response:
    """The REST API's error shape for an asset that is not there (NOT_FOUND, code 5)."""
    shown = path if len(path) <= 80 else path[:77] + "..."
    body = {"code": 5, "message": f"no dashboard file at {shown!r}"}
    return Response(json.dumps(body), status_code=status, media_type="application/json")


async def _page(scope: Scope, receive: Receive, send: Send) -> None:
    body = (STATIC / "index.html").read_bytes()
    response = Response(body, media_type="text/html", headers=_no_store())
    await response(scope, receive, _secured(send))


async def _catalogue(scope: Scope, receive: Receive, send: Send) -> None:
    response = Response(_catalogue_bytes(), media_type="application/json", headers=_no_store())
    await response(scope, receive, _secured(send))


@cache
def _catalogue_bytes() -> bytes:
    return json.dumps(catalogue_document(catalogue()), separators=(",", ":")).encode()


def _no_store() -> dict[str, str]:
    return {"cache-control": "no-store"}


def _secured(send: Send) -> Send:
    """``send`` with the security headers added to the response start."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = list(message.get("headers", []))
            headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


def dashboard_url(rest_address: str) -> str:
    """The address to open in a browser for a REST listener bound at ``rest_address``."""
    return f"http://{rest_address}/"


def exposed_beyond_loopback(host: str) -> bool:
    """True when a listener on ``host`` is reachable from other machines (no auth exists yet)."""
    if host == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return True  # a host name: it may resolve anywhere
