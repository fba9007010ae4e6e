"""What every HTTP listener of a node answers besides its own routes: ``/healthz``, and ``/``
on the hub port.

``/healthz`` is for load balancers and service managers: 200 with the node's id and state while
it serves, 503 once it is stopping. ``GET /`` on the hub (HTTP) port names the node and says
where its APIs are, instead of a bare 404; it is one small handler so a dashboard can replace it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

HEALTH_PATH = "/healthz"


class NodeState(enum.Enum):
    """Where a node is in its life; stopping is a state of its own, not only a cancelled task."""

    STARTING = "starting"
    UP = "up"
    STOPPING = "stopping"


StatusSource = Callable[[], Mapping[str, Any]]
"""Returns the node's ``{"id", "name", "state", ...}`` at the time of the request."""


def health_response(status: StatusSource) -> Response:
    """200 with the node's status while it is up; 503 (same body) otherwise."""
    body = dict(status())
    return JSONResponse(body, status_code=200 if body.get("state") == NodeState.UP.value else 503)


class HealthFront:
    """ASGI wrapper answering ``GET /healthz`` and passing every other request to ``app``."""

    def __init__(self, app: ASGIApp, status: StatusSource) -> None:
        self._app = app
        self._status = status

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == HEALTH_PATH and scope["method"] == "GET":
            await health_response(self._status)(scope, receive, send)
            return
        await self._app(scope, receive, send)


def home_route(describe: Callable[[], Mapping[str, Any]]) -> Route:
    """``GET /`` of the hub port: what this node is and where its APIs are (replaceable)."""

    async def home(request: Request) -> Response:
        return JSONResponse(dict(describe()))

    return Route("/", home, methods=["GET"])
