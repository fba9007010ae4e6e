"""What keeps web pages on other sites from driving the REST API through a user's browser.

A browser lets any page send a "simple" cross-site request (a POST with a ``text/plain`` body
or none, a WebSocket) and attaches an ``Origin`` header naming the page's site. So the gateway:

- refuses a request whose ``Origin`` is neither the API's own (scheme and ``Host`` it was
  asked for, so the dashboard the node serves itself passes) nor in ``restApi.allowedOrigins``;
- refuses a ``Host`` that is not an address of this node (an IP address, ``localhost``, the
  machine's host name or the host of an allowed origin): a DNS-rebinding page makes its own
  name point at the node, and its requests then look same-origin;
- requires ``application/json`` for request bodies (checked where the body is read).

Programs (``nanoping-api``, curl) send no ``Origin`` and address the node by IP or name, so
they are unaffected.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

from starlette.types import Scope

from nanoping.errors import StatusCode
from nanoping.gateway.status import RequestRejected
from nanoping.quoting import quoted

JSON = "application/json"


class CrossSiteGuard:
    """Checks ``Host`` and ``Origin`` of each request against the node's own addresses."""

    def __init__(self, allowed_origins: Iterable[str] = ()) -> None:
        self._origins = {origin.rstrip("/").lower() for origin in allowed_origins}
        self._hosts = {"localhost", socket.gethostname().lower(), socket.getfqdn().lower()}
        self._hosts.update(urlsplit(origin).hostname or "" for origin in self._origins)

    def check(self, scope: Scope) -> None:
        """RequestRejected (PERMISSION_DENIED, HTTP 403) for a cross-site or rebound request."""
        host = _header(scope, b"host")
        if host is not None and not self._host_allowed(host):
            raise _denied(
                f"Host {quoted(host)} is not an address of this node; to reach it by this name "
                "add the origin to restApi.allowedOrigins"
            )
        origin = _header(scope, b"origin")
        if origin is None:
            return
        scheme = "https" if scope.get("scheme") in ("https", "wss") else "http"
        normalized = origin.rstrip("/").lower()
        if normalized == f"{scheme}://{(host or '').lower()}" or normalized in self._origins:
            return
        raise _denied(
            f"requests from the web origin {quoted(origin)} are not allowed; add it to "
            "restApi.allowedOrigins to allow them"
        )

    def _host_allowed(self, host: str) -> bool:
        name = urlsplit(f"//{host}").hostname if host else None
        if not name:
            return False
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return name.lower() in self._hosts
        return True


def check_json_body(content_type: str | None) -> None:
    """RequestRejected (INVALID_ARGUMENT, HTTP 415) unless a body is declared as JSON."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != JSON:
        shown = quoted(content_type) if content_type else "none"
        raise RequestRejected(
            f"a request body must be sent as {JSON}, got content type {shown}",
            code=StatusCode.INVALID_ARGUMENT,
            http_status=415,
        )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def _denied(message: str) -> RequestRejected:
    return RequestRejected(message, code=StatusCode.PERMISSION_DENIED, http_status=403)
