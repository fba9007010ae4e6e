"""The REST routes of the public API: one row per HTTP binding, written from the API reference.

The HTTP rules are not part of the API's descriptors, so this table is their only home. Each row
names the HTTP verb, the path template (``{field}`` segments are request fields), the gRPC path of
the method it serves, which part of the request the body carries and how the response travels.
Nothing here is code per route: :class:`~nanoping.gateway.route_map.RouteMap` matches the rows
generically and one adapter per transport serves them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Transport(enum.Enum):
    """How a route's response travels."""

    JSON = "json"
    """One JSON object (unary methods)."""
    SSE = "sse"
    """Server-sent events, one event per message (server-streaming methods)."""
    TEXT = "text"
    """One text/plain body: the messages' bytes concatenated (``downloadLogFile``)."""
    WEBSOCKET = "websocket"
    """JSON frames both ways over a WebSocket (the bidirectional method)."""


WHOLE_REQUEST = "*"
"""Body rule: the body is the whole request minus the path parameters."""
NO_BODY = ""
"""Body rule: no body; every other field comes from the query string."""


@dataclass(frozen=True)
class RestRoute:
    """One HTTP binding of an API method."""

    verb: str
    """HTTP method as the reference states it (the WebSocket route is opened with a GET upgrade)."""
    template: str
    """Path template, e.g. ``/v1/nodes/{node_id}/pipelines/{id}``."""
    grpc_path: str
    """The method served, e.g. ``/nanopinggrpc.pipeline.PipelinesService/getPipelineById``."""
    body: str
    """``*`` (whole request), ``""`` (no body) or the name of the one request field it holds."""
    transport: Transport
    """How the response travels."""
    empty_selector: str = ""
    """A oneof member set to an empty message when the client left that oneof unset.

    The public client drops empty sub-messages from query strings, so a selector with no fields
    (``appLogFileRequest: {}``) cannot be sent on a body-less route; its absence means it."""


_HUB_CLIENT = "/nanopinggrpc.hub.HubClientService/"
_HUB_SERVER = "/nanopinggrpc.hub.HubServerService/"
_CONFIG = "/nanopinggrpc.hub.ConfigService/"
_LOGGING = "/nanopinggrpc.logging.LoggingService/"
_NETWORKS = "/nanopinggrpc.networks.Networks/"
_BLUEPRINTS = "/nanopinggrpc.networks.Blueprints/"
_INSTANCES = "/nanopinggrpc.networks.NetworkInstances/"
_PIPELINES = "/nanopinggrpc.pipeline.PipelinesService/"
_RESOURCES = "/nanopinggrpc.resources.ResourcesService/"

_J, _S, _T, _W = Transport.JSON, Transport.SSE, Transport.TEXT, Transport.WEBSOCKET
_ALL, _NONE = WHOLE_REQUEST, NO_BODY

ROUTES: tuple[RestRoute, ...] = (
    # HubClientService
    RestRoute("GET", "/v1/hub-client/local-node-id", _HUB_CLIENT + "getLocalNodeId", _NONE, _J),
    RestRoute("GET", "/v1/nodes/{node_id}", _HUB_CLIENT + "getNode", _NONE, _J),
    RestRoute("PUT", "/v1/nodes/{node_id}", _HUB_CLIENT + "setNode", _ALL, _J),
    RestRoute(
        "POST",
        "/v1/hub-client/authenticate-by-request",
        _HUB_CLIENT + "authenticateByRequest",
        _ALL,
        _J,
    ),
    RestRoute("POST", "/v1/hub-client/disconnect", _HUB_CLIENT + "disconnect", _ALL, _J),
    RestRoute(
        "GET",
        "/v1/streams/hub-client/connection-state",
        _HUB_CLIENT + "streamConnectionState",
        _NONE,
        _S,
    ),
    # HubServerService
    RestRoute("GET", "/v1/nodes", _HUB_SERVER + "getNodes", _NONE, _J),
    RestRoute("POST", "/v1/nodes/search", _HUB_SERVER + "getNodes", _ALL, _J),
    RestRoute("DELETE", "/v1/nodes/{node_id}", _HUB_SERVER + "removeNode", _NONE, _J),
    RestRoute("GET", "/v1/streams/nodes", _HUB_SERVER + "streamNodes", _NONE, _S),
    RestRoute("POST", "/v1/streams/nodes", _HUB_SERVER + "streamNodes", _ALL, _S),
    RestRoute(
        "POST",
        "/v1/streams/hub-server/authentication-requests",
        _HUB_SERVER + "authenticationByRequests",
        _ALL,
        _W,
    ),
    # ConfigService
    RestRoute(
        "GET",
        "/v1/nodes/{node_id}/default-network-carriers",
        _CONFIG + "getDefaultNetworkCarriers",
        _NONE,
        _J,
    ),
    RestRoute(
        "PUT",
        "/v1/nodes/{node_id}/default-network-carriers",
        _CONFIG + "setDefaultNetworkCarriers",
        "carriers",
        _J,
    ),
    # LoggingService
    RestRoute("POST", "/v1/streams/nodes/{node_id}/logs", _LOGGING + "openLogStream", _ALL, _S),
    RestRoute(
        "GET",
        "/v1/nodes/{node_id}/log-file",
        _LOGGING + "downloadLogFile",
        _NONE,
        _T,
        empty_selector="app_log_file_request",
    ),
    # Networks
    RestRoute("GET", "/v1/networks/{id}", _NETWORKS + "getNetwork", _NONE, _J),
    RestRoute("GET", "/v1/networks", _NETWORKS + "getNetworks", _NONE, _J),
    RestRoute("POST", "/v1/networks", _NETWORKS + "createNetwork", "network", _J),
    RestRoute("PUT", "/v1/networks/{id}", _NETWORKS + "updateNetwork", "network", _J),
    RestRoute("DELETE", "/v1/networks/{id}", _NETWORKS + "deleteNetwork", _NONE, _J),
    RestRoute("GET", "/v1/streams/networks", _NETWORKS + "streamNetworks", _NONE, _S),
    RestRoute(
        "GET", "/v1/streams/networks/{network_id}/logs", _NETWORKS + "openLogStream", _NONE, _S
    ),
    # Blueprints
    RestRoute("GET", "/v1/blueprints/{id}", _BLUEPRINTS + "getBlueprint", _NONE, _J),
    RestRoute("GET", "/v1/blueprints", _BLUEPRINTS + "getBlueprints", _NONE, _J),
    RestRoute("POST", "/v1/blueprints", _BLUEPRINTS + "createBlueprint", "blueprint", _J),
    RestRoute("PUT", "/v1/blueprints/{id}", _BLUEPRINTS + "updateBlueprint", "blueprint", _J),
    RestRoute("DELETE", "/v1/blueprints/{id}", _BLUEPRINTS + "deleteBlueprint", _NONE, _J),
    # NetworkInstances
    RestRoute(
        "GET",
        "/v1/nodes/{node_id}/network-instances",
        _INSTANCES + "getNetworkInstances",
        _NONE,
        _J,
    ),
    RestRoute(
        "GET",
        "/v1/streams/nodes/{node_id}/network-instances",
        _INSTANCES + "streamNetworkInstances",
        _NONE,
        _S,
    ),
    RestRoute(
        "GET",
        "/v1/nodes/{node_id}/network-pipelines",
        _INSTANCES + "getNetworkPipelines",
        _NONE,
        _J,
    ),
    RestRoute(
        "GET",
        "/v1/streams/nodes/{node_id}/network-pipelines",
        _INSTANCES + "streamNetworkPipelines",
        _NONE,
        _S,
    ),
    RestRoute(
        "POST",
        "/v1/nodes/{node_id}/network-pipelines/toggle",
        _INSTANCES + "toggleNetworkPipeline",
        _ALL,
        _J,
    ),
    RestRoute(
        "GET",
        "/v1/streams/nodes/{node_id}/network-instances/{network_instance_id}/logs",
        _INSTANCES + "openLogStream",
        _NONE,
        _S,
    ),
    # PipelinesService
    RestRoute("GET", "/v1/nodes/{node_id}/pipelines", _PIPELINES + "getPipelines", _NONE, _J),
    RestRoute(
        "GET", "/v1/nodes/{node_id}/pipelines/{id}", _PIPELINES + "getPipelineById", _NONE, _J
    ),
    RestRoute(
        "GET",
        "/v1/nodes/{node_id}/pipelines-by-name/{name}",
        _PIPELINES + "getPipelineByName",
        _NONE,
        _J,
    ),
    RestRoute(
        "GET",
        "/v1/nodes/{node_id}/pipeline-runs/{id}",
        _PIPELINES + "getPipelineByRunId",
        _NONE,
        _J,
    ),
    RestRoute("POST", "/v1/nodes/{node_id}/pipelines", _PIPELINES + "createPipeline", _ALL, _J),
    RestRoute("PUT", "/v1/nodes/{node_id}/pipelines/{id}", _PIPELINES + "updatePipeline", _ALL, _J),
    RestRoute(
        "DELETE", "/v1/nodes/{node_id}/pipelines/{id}", _PIPELINES + "deletePipeline", _NONE, _J
    ),
    RestRoute(
        "POST", "/v1/nodes/{node_id}/pipelines/{id}/start", _PIPELINES + "startPipeline", _NONE, _J
    ),
    RestRoute(
        "POST",
        "/v1/nodes/{node_id}/pipelines-by-name/{name}/start",
        _PIPELINES + "startPipeline",
        _NONE,
        _J,
    ),
    RestRoute(
        "POST", "/v1/nodes/{node_id}/pipelines/{id}/stop", _PIPELINES + "stopPipeline", _NONE, _J
    ),
    RestRoute(
        "POST",
        "/v1/nodes/{node_id}/pipelines-by-name/{name}/stop",
        _PIPELINES + "stopPipeline",
        _NONE,
        _J,
    ),
    RestRoute(
        "POST",
        "/v1/nodes/{node_id}/pipeline-runs/{run_id}/stop",
        _PIPELINES + "stopPipeline",
        _NONE,
        _J,
    ),
    RestRoute(
        "GET", "/v1/streams/nodes/{node_id}/pipelines", _PIPELINES + "streamPipelines", _NONE, _S
    ),
    RestRoute(
        "GET",
        "/v1/streams/nodes/{node_id}/pipeline-runs/{run_id}/logs",
        _PIPELINES + "openLogStream",
        _NONE,
        _S,
    ),
    RestRoute(
        "GET",
        "/v1/streams/nodes/{node_id}/pipeline-runs/{run_id}/telemetry",
        _PIPELINES + "openTelemetryStream",
        _NONE,
        _S,
    ),
    # ResourcesService
    RestRoute(
        "GET", "/v1/streams/nodes/{node_id}/metrics", _RESOURCES + "openMetricsStream", _NONE, _S
    ),
    RestRoute(
        "GET", "/v1/streams/nodes/{node_id}/flows", _RESOURCES + "openFlowsStream", _NONE, _S
    ),
)
