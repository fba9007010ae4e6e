"""Finds the route of an HTTP request: path template matching over the route table.

Paths are matched segment by segment on the *raw* path, and each segment is percent-decoded on
its own, because the public client encodes path parameters with no safe characters: a pipeline
named ``a/b c`` arrives as ``a%2Fb%20c`` and must stay one segment. Where several templates fit
a path, literal segments win over parameters (``/v1/nodes/search`` over ``/v1/nodes/{node_id}``).

A parameter may be empty: the client puts an unset ``node_id`` into the path as is
(``PUT /v1/nodes/`` for ``setNode`` without a node id), and an empty ``node_id`` means the node
serving the API, as over gRPC.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Iterable
from dataclasses import dataclass

from nanoping.errors import StatusCode
from nanoping.gateway.routes import ROUTES, RestRoute, Transport
from nanoping.gateway.status import RequestRejected
from nanoping.service.method_table import Method, MethodTable

_PARAMETER = re.compile(r"^\{([a-z_][a-z0-9_]*)\}$")


@dataclass(frozen=True)
class Parameter:
    """A ``{field}`` segment of a template."""

    field: str
    """The request field the segment holds."""


Segment = str | Parameter


@dataclass(frozen=True)
class BoundRoute:
    """A route with its template parsed and its method looked up."""

    route: RestRoute
    """The table row."""
    method: Method
    """The (routed) method it serves."""
    segments: tuple[Segment, ...]
    """The template split at ``/``."""

    def bind(self, segments: list[str]) -> dict[str, str] | None:
        """The path parameters when ``segments`` (as many as the template's) fit, else None."""
        parameters: dict[str, str] = {}
        for pattern, value in zip(self.segments, segments, strict=True):
            if isinstance(pattern, Parameter):
                parameters[pattern.field] = value
            elif pattern != value:
                return None
        return parameters

    @property
    def specificity(self) -> tuple[bool, ...]:
        """Sort key putting literal segments before parameters, left to right."""
        return tuple(isinstance(segment, Parameter) for segment in self.segments)


@dataclass(frozen=True)
class RouteMatch:
    """The route chosen for a request and the values of its path parameters."""

    bound: BoundRoute
    """The route and its method."""
    path_parameters: dict[str, str]
    """Request field name -> percent-decoded segment."""

    @property
    def route(self) -> RestRoute:
        return self.bound.route

    @property
    def method(self) -> Method:
        return self.bound.method


class RouteMap:
    """Every route of the table, bound to the methods of ``table``."""

    def __init__(self, table: MethodTable, routes: Iterable[RestRoute] = ROUTES) -> None:
        bound = sorted((_bind(route, table) for route in routes), key=lambda r: r.specificity)
        self._count = len(bound)
        # Indexed by segment count: a path is only compared with templates of its length.
        self._by_length: dict[int, list[BoundRoute]] = {}
        for route in bound:
            self._by_length.setdefault(len(route.segments), []).append(route)

    def __len__(self) -> int:
        return self._count

    def match_http(self, verb: str, raw_path: bytes) -> RouteMatch:
        """The route serving ``verb raw_path``; RequestRejected (404/405/426) when there is none."""
        candidates = self._candidates(raw_path)
        for bound, parameters in candidates:
            if bound.route.verb == verb and bound.route.transport is not Transport.WEBSOCKET:
                return RouteMatch(bound, parameters)
        verbs = sorted(
            {b.route.verb for b, _ in candidates if b.route.transport is not Transport.WEBSOCKET}
        )
        if not verbs and candidates:
            raise RequestRejected(
                "this route is a WebSocket: open it with a GET request that asks for an upgrade",
                code=StatusCode.INVALID_ARGUMENT,
                http_status=426,
            )
        raise _no_route(verb, raw_path, verbs)

    def match_websocket(self, raw_path: bytes) -> RouteMatch:
        """The WebSocket route at ``raw_path``; RequestRejected (404/405) when there is none."""
        candidates = self._candidates(raw_path)
        for bound, parameters in candidates:
            if bound.route.transport is Transport.WEBSOCKET:
                return RouteMatch(bound, parameters)
        raise _no_route("WebSocket", raw_path, sorted({b.route.verb for b, _ in candidates}))

    def _candidates(self, raw_path: bytes) -> list[tuple[BoundRoute, dict[str, str]]]:
        segments = _decoded_segments(raw_path)
        found: list[tuple[BoundRoute, dict[str, str]]] = []
        for bound in self._by_length.get(len(segments), ()):
            parameters = bound.bind(segments)
            if parameters is not None:
                found.append((bound, parameters))
        return found


def _bind(route: RestRoute, table: MethodTable) -> BoundRoute:
    method = table.get(route.grpc_path)
    if method is None:
        raise ValueError(f"route {route.verb} {route.template}: no method {route.grpc_path}")
    segments = tuple(_segment(part) for part in route.template.split("/")[1:])
    fields = method.request_type.DESCRIPTOR.fields_by_name
    for segment in segments:
        if isinstance(segment, Parameter) and segment.field not in fields:
            raise ValueError(f"route {route.template}: {route.grpc_path} has no {segment.field}")
    return BoundRoute(route=route, method=method, segments=segments)


def _segment(part: str) -> Segment:
    match = _PARAMETER.match(part)
    return Parameter(match.group(1)) if match else part


def _decoded_segments(raw_path: bytes) -> list[str]:
    if not raw_path.startswith(b"/"):
        return []
    try:
        return [
            urllib.parse.unquote_to_bytes(part).decode("utf-8") for part in raw_path[1:].split(b"/")
        ]
    except UnicodeDecodeError:
        raise RequestRejected(
            "the path is not valid UTF-8 once percent-decoded", code=StatusCode.INVALID_ARGUMENT
        ) from None


def _no_route(verb: str, raw_path: bytes, allowed: list[str]) -> RequestRejected:
    path = raw_path.decode("latin-1")
    if not allowed:
        return RequestRejected(f"no API route at {path}", code=StatusCode.NOT_FOUND)
    return RequestRejected(
        f"{verb} is not allowed on {path} (allowed: {', '.join(allowed)})",
        code=StatusCode.UNIMPLEMENTED,
        http_status=405,
        headers={"allow": ", ".join(allowed)},
    )
