"""Node configuration: frozen, validated dataclasses and the YAML file loader.

This module is the single home of the defaults. The YAML keys are the public NanoPing ones::

    node:
      name: My Controller          # node name; a node configured from a file refuses setNode
    http:
      address: 127.0.0.1:8769      # HTTP listener (hub server, later the REST twin and dashboard)
      maxConnections: 10000        # connections held at once (more get a 503 at once)
      maxConnectionsPerSource: 256 # the same, per IP address
      headerTimeout: 10s           # time a connection has to send a complete request head
    hubServer:                     # present = this node hosts the hub server on http.address
      authenticationByRequest:     # present = nodes may join by request
        timeout: 5m                # how long a join request waits for an answer
      linkTimeout: 15s             # silence after which a member's link is dropped (offline)
      links:                       # admission of new links (before they are authenticated)
        maxHandshakes: 64          # links admitted and not yet authenticated; more wait their turn
        maxWaiting: 10000          # links waiting for a handshake slot; more get a 503
        rate: 1000                 # new links per second in all (bursts of `burst`)
        burst: 10000
        ratePerSource: 50          # new links per second from one IP address (bursts of 256)
        burstPerSource: 256
        failuresPerSource: 10      # failed authentications an address may have; then it backs off
        failureBackoff: 1s         # first back-off, doubled per further failure up to 1m
    grpcBridge:
      address: 127.0.0.1:10564     # gRPC API listener
    restApi:
      address: 127.0.0.1:10566     # REST API listener (and the three limits above; 1024 in all)
      allowedOrigins: []           # browser origins besides its own that may call it
    pipelines: {}                  # pipelines service; on by default, `enabled: false` turns it off
    networks: {}                   # networks (only on the hub node); on there by default,
                                   # `enabled: false` turns it off
    logs:                          # every log (node.log and run logs) rotates by size
      maxFileBytes: 10485760       # size at which a log file is rotated (at least 4096)
      files: 4                     # rotated parts kept per log besides the live file (1..100)
      keptRuns: 100                # ended runs whose logs are kept; older ones are pruned

Every error names the source (file or flag), the dotted key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nanoping.errors import ConfigError, StartupError, describe_path
from nanoping.logs.pruning import DEFAULT_KEPT_RUNS
from nanoping.logs.rotation import LogRotation

DEFAULT_JOIN_TIMEOUT = 300.0
"""Seconds a join request waits for an answer when `authenticationByRequest.timeout` is unset."""
DEFAULT_LINK_TIMEOUT = 15.0
"""Seconds of silence after which the hub drops a member's link (`hubServer.linkTimeout`)."""

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_DURATION_HINT = "a duration such as 30s, 5m, 1h30m or 500ms"


@dataclass(frozen=True)
class ListenAddress:
    """A host and TCP port to listen on; ``origin`` says where it was configured."""

    host: str
    port: int
    origin: str

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True, kw_only=True)
class ListenerLimits:
    """Connection limits of one HTTP listener (`http.*` for the hub, `restApi.*` for REST)."""

    max_connections: int = 10_000
    """`maxConnections`: connections held at once; more are refused with a 503."""
    max_connections_per_source: int = 256
    """`maxConnectionsPerSource`: connections held at once from one IP address."""
    header_timeout: float = 10.0
    """`headerTimeout`: seconds a connection has to send a complete request head."""


REST_LISTENER_LIMITS = ListenerLimits(max_connections=1024)
"""The REST API's defaults: browsers and scripts, not a cluster's worth of member links."""


@dataclass(frozen=True, kw_only=True)
class LinkAdmissionLimits:
    """Admission of new links at the hub's link door (`hubServer.links.*`).

    Generous for members (a restarted hub sees every member reconnect at once: they wait for a
    handshake slot rather than being refused), stingy for addresses whose links fail to
    authenticate.
    """

    max_handshakes: int = 64
    """`maxHandshakes`: links admitted and not yet authenticated at once; more wait their turn."""
    max_waiting: int = 10_000
    """`maxWaiting`: links waiting for a handshake slot; more are refused with a 503."""
    rate: int = 1000
    """`rate`: new links admitted per second from all addresses (token bucket)."""
    burst: int = 10_000
    """`burst`: new links admitted at once from all addresses (a whole cluster reconnecting)."""
    rate_per_source: int = 50
    """`ratePerSource`: new links admitted per second from one IP address."""
    burst_per_source: int = 256
    """`burstPerSource`: new links admitted at once from one IP address."""
    failures_per_source: int = 10
    """`failuresPerSource`: failed authentications an address may have before it backs off."""
    failure_backoff: float = 1.0
    """`failureBackoff`: seconds of the first back-off, doubled per further failure (to 60 s)."""


@dataclass(frozen=True)
class HubServerConfig:
    """The hub server this node hosts."""

    join_timeout: float | None
    """Seconds a join request waits for an answer; None = joining by request is not offered."""
    link_timeout: float = DEFAULT_LINK_TIMEOUT
    """Seconds without a frame from a member before its link is dropped and it shows offline."""
    link_admission: LinkAdmissionLimits = LinkAdmissionLimits()
    """`hubServer.links`: how new links are admitted before they authenticate."""


@dataclass(frozen=True)
class NodeConfig:
    """Everything a node needs to start; built from the config file and command-line flags."""

    name: str | None = None
    """Node name from `node.name`; None = the stored name, else the hostname."""
    http_address: ListenAddress | None = None
    """`http.address`: where the hub server listens."""
    hub_server: HubServerConfig | None = None
    """`hubServer`: present when this node hosts the hub server."""
    grpc_address: ListenAddress | None = None
    """`grpcBridge.address` / `--grpc`: where the gRPC API listens."""
    rest_address: ListenAddress | None = None
    """`restApi.address` / `--rest-api`: where the REST API listens."""
    pipelines_enabled: bool = True
    """`pipelines.enabled`: whether this node offers the pipelines service."""
    http_limits: ListenerLimits = ListenerLimits()
    """`http.maxConnections`, `http.maxConnectionsPerSource`, `http.headerTimeout`."""
    rest_limits: ListenerLimits = REST_LISTENER_LIMITS
    """The same keys under `restApi`."""
    rest_allowed_origins: tuple[str, ...] = ()
    """`restApi.allowedOrigins`: browser origins besides the REST API's own that may call it."""
    config_file: Path | None = None
    """The file the node was configured from; such a node refuses setNode."""
    networks_enabled: bool | None = None
    """`networks.enabled`: None = the default, on when this node hosts the hub server."""

    @property
    def networks_on(self) -> bool:
        """Whether this node stores networks and blueprints (it must host the hub)."""
        enabled = (
            self.hub_server is not None if self.networks_enabled is None else self.networks_enabled
        )
        return enabled and self.hub_server is not None

    log_rotation: LogRotation = dataclasses.field(default_factory=LogRotation)
    """`logs.maxFileBytes` / `logs.files`: when every log of the node rotates."""
    kept_runs: int = DEFAULT_KEPT_RUNS
    """`logs.keptRuns`: ended runs whose logs are kept (older ones are pruned)."""

    def with_overrides(self, **changes: Any) -> NodeConfig:
        """A copy with the given fields replaced (command-line flags win over the file)."""
        return dataclasses.replace(self, **changes)

    def listeners(self) -> list[ListenAddress]:
        """Every address this node will listen on."""
        return [
            address
            for address in (self.http_address, self.grpc_address, self.rest_address)
            if address is not None
        ]

    def check_listeners(self) -> None:
        """Refuse two listeners on one address, naming both (StartupError)."""
        seen: list[ListenAddress] = []
        for address in self.listeners():
            for earlier in seen:
                if _same_socket(earlier, address):
                    raise StartupError(
                        f"{earlier.origin} and {address.origin} both ask for {address}: "
                        "give each listener a port of its own"
                    )
            seen.append(address)


def _same_socket(one: ListenAddress, other: ListenAddress) -> bool:
    """Whether two listeners would ask for the same TCP port on overlapping hosts."""
    if one.port == 0 or one.port != other.port:
        return False  # port 0 gives each listener a free port of its own
    wildcards = ("0.0.0.0", "::", "")
    return one.host == other.host or one.host in wildcards or other.host in wildcards


def parse_duration(text: object, *, source: str, key: str) -> float:
    """Seconds in a duration like ``5m`` or ``1h30m``; a bare number is taken as seconds."""
    if isinstance(text, bool):
        raise ConfigError(source=source, key=key, problem=f"{text!r} is not {_DURATION_HINT}")
    if isinstance(text, int | float):
        seconds = float(text)
    elif isinstance(text, str):
        seconds = _duration_seconds(text, source=source, key=key)
    else:
        raise ConfigError(source=source, key=key, problem=f"{text!r} is not {_DURATION_HINT}")
    if seconds <= 0:
        raise ConfigError(source=source, key=key, problem=f"{text!r} must be longer than zero")
    return seconds


def _duration_seconds(text: str, *, source: str, key: str) -> float:
    stripped = text.strip()
    position = 0
    total = 0.0
    for match in _DURATION_PART.finditer(stripped):
        if match.start() != position:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        position = match.end()
    if position == 0 or position != len(stripped):
        raise ConfigError(source=source, key=key, problem=f"{text!r} is not {_DURATION_HINT}")
    return total


def parse_address(text: object, *, origin: str, source: str, key: str) -> ListenAddress:
    """A ``host:port`` (or ``[v6]:port``) listen address; port 0 picks a free port."""
    problem = f"{text!r} is not an address of the form HOST:PORT (e.g. 127.0.0.1:10432)"
    if not isinstance(text, str) or ":" not in text:
        raise ConfigError(source=source, key=key, problem=problem)
    host, _, port_text = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if not port_text.isdigit() or int(port_text) > 65535:
        raise ConfigError(source=source, key=key, problem=f"{problem}; port must be 0-65535")
    return ListenAddress(host=host or "0.0.0.0", port=int(port_text), origin=origin)


class _Section:
    """A YAML mapping being read: checks types and rejects keys nobody reads."""

    def __init__(self, value: object, *, source: str, path: str, allowed: tuple[str, ...]) -> None:
        self.source = source
        self.path = path
        if value is None:
            value = {}
        if not isinstance(value, Mapping):
            raise ConfigError(
                source=source,
                key=path or "(top level)",
                problem=f"must be a mapping of keys ({', '.join(allowed)}), got {_kind(value)}",
            )
        for name in value:
            if name not in allowed:
                raise ConfigError(
                    source=source,
                    key=self.key(str(name)),
                    problem=f"unknown key (allowed here: {', '.join(allowed)})",
                )
        self.values: Mapping[str, object] = value

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def has(self, name: str) -> bool:
        return name in self.values

    def section(self, name: str, allowed: tuple[str, ...]) -> _Section:
        return _Section(
            self.values.get(name), source=self.source, path=self.key(name), allowed=allowed
        )

    def string(self, name: str) -> str | None:
        value = self.values.get(name)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ConfigError(
                source=self.source, key=self.key(name), problem=f"must be text, got {_kind(value)}"
            )
        if not value.strip():
            raise ConfigError(
                source=self.source,
                key=self.key(name),
                problem="must not be empty (leave the key out to keep the stored name)",
            )
        return value

    def boolean(self, name: str, default: bool) -> bool:
        value = self.values.get(name, default)
        if not isinstance(value, bool):
            raise ConfigError(
                source=self.source,
                key=self.key(name),
                problem=f"must be true or false, got {_kind(value)}",
            )
        return value

    def integer(self, name: str, default: int, *, minimum: int, maximum: int | None = None) -> int:
        value = self.values.get(name, default)
        allowed = f"from {minimum}" + (f" to {maximum}" if maximum is not None else " up")
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < minimum
            or (maximum is not None and value > maximum)
        ):
            raise ConfigError(
                source=self.source,
                key=self.key(name),
                problem=f"must be a whole number {allowed}, got {_kind(value)}",
            )
        return value

    def count(self, name: str, default: int) -> int:
        value = self.values.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                source=self.source,
                key=self.key(name),
                problem=f"must be a whole number of at least 1, got {_kind(value)}",
            )
        return value

    def duration(self, name: str, default: float) -> float:
        value = self.values.get(name)
        if value is None:
            return default
        return parse_duration(value, source=self.source, key=self.key(name))

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.values.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(
                source=self.source,
                key=self.key(name),
                problem=f"must be a list of texts, got {_kind(value)}",
            )
        return tuple(value)

    def listener_limits(self, defaults: ListenerLimits) -> ListenerLimits:
        return ListenerLimits(
            max_connections=self.count("maxConnections", defaults.max_connections),
            max_connections_per_source=self.count(
                "maxConnectionsPerSource", defaults.max_connections_per_source
            ),
            header_timeout=self.duration("headerTimeout", defaults.header_timeout),
        )

    def address(self, name: str) -> ListenAddress | None:
        value = self.values.get(name)
        if value is None:
            return None
        key = self.key(name)
        return parse_address(value, origin=f"{key} in {self.source}", source=self.source, key=key)


def _kind(value: object) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {value!r}".lower()
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return f"{type(value).__name__} {value!r}"


def load_config_file(path: Path) -> NodeConfig:
    """Read and validate a YAML node config; raises ConfigError naming file and key."""
    source = describe_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source=source, key="(file)", problem="no such file") from None
    except IsADirectoryError:
        raise ConfigError(source=source, key="(file)", problem="is a directory") from None
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        raise ConfigError(source=source, key="(file)", problem=f"cannot read: {reason}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid syntax"
        raise ConfigError(
            source=source, key="(file)", problem=f"not valid YAML{where}: {problem}"
        ) from None
    return config_from_document(document, source=source, path=path)


def config_from_document(document: object, *, source: str, path: Path | None) -> NodeConfig:
    """Validate an already-parsed YAML document."""
    top = _Section(
        document,
        source=source,
        path="",
        allowed=(
            "node",
            "http",
            "hubServer",
            "grpcBridge",
            "restApi",
            "pipelines",
            "networks",
            "logs",
        ),
    )
    hub_server = _hub_server(top) if top.has("hubServer") else None
    http = top.section("http", ("address", *_LIMIT_KEYS))
    rest = top.section("restApi", ("address", *_LIMIT_KEYS, "allowedOrigins"))
    http_address = http.address("address")
    if hub_server is not None and http_address is None:
        raise ConfigError(
            source=source,
            key="http.address",
            problem="is required when hubServer is set (the hub server listens there)",
        )
    return NodeConfig(
        name=top.section("node", ("name",)).string("name"),
        http_address=http_address,
        hub_server=hub_server,
        grpc_address=top.section("grpcBridge", ("address",)).address("address"),
        rest_address=rest.address("address"),
        pipelines_enabled=top.section("pipelines", ("enabled",)).boolean("enabled", True),
        config_file=path,
        networks_enabled=_networks(top, hub_server is not None),
        **_logs(top),
        http_limits=http.listener_limits(ListenerLimits()),
        rest_limits=rest.listener_limits(REST_LISTENER_LIMITS),
        rest_allowed_origins=rest.strings("allowedOrigins"),
    )


def _networks(top: _Section, hosts_hub: bool) -> bool | None:
    if not top.has("networks"):
        return None
    enabled = top.section("networks", ("enabled",)).boolean("enabled", True)
    if enabled and not hosts_hub:
        raise ConfigError(
            source=top.source,
            key="networks.enabled",
            problem="networks can only be enabled on the node hosting the hub (set hubServer)",
        )
    return enabled


def _logs(top: _Section) -> dict[str, Any]:
    """`logs`: rotation and pruning of the node's logs (every key optional)."""
    logs = top.section("logs", ("maxFileBytes", "files", "keptRuns"))
    defaults = LogRotation()
    max_bytes = logs.integer("maxFileBytes", defaults.max_bytes, minimum=4096)
    backups = logs.integer("files", defaults.backups, minimum=1, maximum=100)
    kept = logs.integer("keptRuns", DEFAULT_KEPT_RUNS, minimum=0)
    return {"log_rotation": LogRotation(max_bytes=max_bytes, backups=backups), "kept_runs": kept}


_LIMIT_KEYS = ("maxConnections", "maxConnectionsPerSource", "headerTimeout")


def _hub_server(top: _Section) -> HubServerConfig:
    hub = top.section("hubServer", ("authenticationByRequest", "linkTimeout", "links"))
    link_timeout = DEFAULT_LINK_TIMEOUT
    if hub.values.get("linkTimeout") is not None:
        link_timeout = parse_duration(
            hub.values["linkTimeout"], source=top.source, key=hub.key("linkTimeout")
        )
    admission = _link_admission(hub.section("links", _LINK_KEYS))
    if not hub.has("authenticationByRequest"):
        return HubServerConfig(
            join_timeout=None, link_timeout=link_timeout, link_admission=admission
        )
    join = hub.section("authenticationByRequest", ("timeout",))
    timeout = DEFAULT_JOIN_TIMEOUT
    if join.values.get("timeout") is not None:
        timeout = parse_duration(join.values["timeout"], source=top.source, key=join.key("timeout"))
    return HubServerConfig(
        join_timeout=timeout, link_timeout=link_timeout, link_admission=admission
    )


_LINK_KEYS = (
    "maxHandshakes", "maxWaiting", "rate", "burst", "ratePerSource", "burstPerSource",
    "failuresPerSource", "failureBackoff",
)  # fmt: skip


def _link_admission(links: _Section) -> LinkAdmissionLimits:
    """`hubServer.links`: every key optional, each a whole number of at least 1 but the back-off."""
    defaults = LinkAdmissionLimits()
    return LinkAdmissionLimits(
        max_handshakes=links.count("maxHandshakes", defaults.max_handshakes),
        max_waiting=links.count("maxWaiting", defaults.max_waiting),
        rate=links.count("rate", defaults.rate),
        burst=links.count("burst", defaults.burst),
        rate_per_source=links.count("ratePerSource", defaults.rate_per_source),
        burst_per_source=links.count("burstPerSource", defaults.burst_per_source),
        failures_per_source=links.count("failuresPerSource", defaults.failures_per_source),
        failure_backoff=links.duration("failureBackoff", defaults.failure_backoff),
    )
