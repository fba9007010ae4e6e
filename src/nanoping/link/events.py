"""Events a ``LinkConnection`` reports to its application, as small past-tense facts.

Session events come first in this module, call events after. Every way a link can end yields
exactly one ``LinkClosed`` (or subclass) event, always the last event of the connection; the
calls that were open get their own ``CallEnded``/``CallCancelled`` events just before it.
"""

from __future__ import annotations

from dataclasses import dataclass

from nanoping.api import hub_node_pb2


@dataclass(frozen=True)
class LinkEvent:
    """Base class of everything ``LinkConnection.next_event`` returns."""


@dataclass(frozen=True)
class HelloReceived(LinkEvent):
    """(Hub side) a node introduced itself; answer with ``accept`` or ``refuse``."""

    node: hub_node_pb2.Node
    """Id, name, services and metadata the node advertises."""
    credential: str
    """Secret the node presents; compare it with the stored hash."""


@dataclass(frozen=True)
class Welcomed(LinkEvent):
    """(Node side) the hub accepted the hello; calls may now start."""

    hub_node_id: str
    """Node id of the node that hosts the hub."""


@dataclass(frozen=True)
class NodeUpdated(LinkEvent):
    """(Hub side) the node's advertised details changed."""

    node: hub_node_pb2.Node
    """The node's new id, name, services and metadata."""


@dataclass(frozen=True)
class LinkClosed(LinkEvent):
    """The session is over; flush ``data_to_send`` and close the socket."""

    reason: str
    """Human-readable cause, for logs."""


@dataclass(frozen=True)
class HelloRefused(LinkClosed):
    """(Node side) the hub refused the hello."""

    credential_rejected: bool
    """True when the hub no longer knows this node or its credential: stop reconnecting."""


@dataclass(frozen=True)
class HeartbeatTimedOut(LinkClosed):
    """Nothing arrived from the peer for ``heartbeat_timeout`` seconds."""


@dataclass(frozen=True)
class PeerSaidGoodbye(LinkClosed):
    """The peer ended the session."""


@dataclass(frozen=True)
class ProtocolViolated(LinkClosed):
    """The peer sent a malformed, oversized or out-of-place frame."""


@dataclass(frozen=True)
class CallStarted(LinkEvent):
    """The peer started a call that this side must run (or route on)."""

    call_id: int
    """Id of the new call, used by every later operation on it."""
    method: str
    """Full gRPC method path, e.g. ``/nanopinggrpc.hub.HubClientService/getLocalNodeId``."""
    target_node_id: str
    """Node that must run the call; empty means this side."""
    deadline: float | None
    """When the call expires, on this side's clock; None means never."""


@dataclass(frozen=True)
class HeadersReceived(LinkEvent):
    """(Caller) the callee's handler has started, so the stream is live at its target."""

    call_id: int
    """Call whose handler started."""


@dataclass(frozen=True)
class MessageReceived(LinkEvent):
    """A message of a call arrived; ``consume`` it once the application has taken it."""

    call_id: int
    """Call the message belongs to."""
    data: bytes
    """The serialized protobuf message."""


@dataclass(frozen=True)
class HalfClosed(LinkEvent):
    """(Callee side) the caller sent its last message."""

    call_id: int
    """Call the caller finished sending on."""


@dataclass(frozen=True)
class CallEnded(LinkEvent):
    """The call is over with a gRPC status: the callee ended it, its deadline passed, or the
    link closed while this side was the caller."""

    call_id: int
    """Call that ended."""
    code: int
    """gRPC status code (0 = OK); may be outside ``StatusCode`` if the peer sent one."""
    message: str
    """gRPC status message; empty on success."""


@dataclass(frozen=True)
class CallCancelled(LinkEvent):
    """(Callee side) the caller abandoned the call, or the link closed; stop working on it."""

    call_id: int
    """Call that was cancelled."""


@dataclass(frozen=True)
class CreditAvailable(LinkEvent):
    """A call whose send window was empty may send again."""

    call_id: int
    """Call that received credit."""
    credit: int
    """Messages that may now be sent on it."""
