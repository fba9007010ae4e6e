"""The node <-> hub link, without I/O: frames, session, heartbeats, multiplexed calls, backoff.

The asyncio WebSocket adapters (node client, hub server) feed ``LinkConnection`` with received
messages and the loop clock, and act on its events; ``Reconnector`` tells the node when to dial.
The wire format is ``proto/nanoping/internal/link.proto``.
"""

from nanoping.link.backoff import Backoff
from nanoping.link.configuration import LinkConfiguration
from nanoping.link.connection import LinkConnection, LinkRole, LinkState
from nanoping.link.errors import (
    CallError,
    InvalidStateError,
    LinkError,
    MessageTooLargeError,
    NoCreditError,
    ProtocolError,
    UnknownCallError,
)
from nanoping.link.events import (
    CallCancelled,
    CallEnded,
    CallStarted,
    CreditAvailable,
    HalfClosed,
    HeadersReceived,
    HeartbeatTimedOut,
    HelloReceived,
    HelloRefused,
    LinkClosed,
    LinkEvent,
    MessageReceived,
    NodeUpdated,
    PeerSaidGoodbye,
    ProtocolViolated,
    Welcomed,
)
from nanoping.link.frame import LINK_PROTOCOL_VERSION, decode_frame, encode_frame
from nanoping.link.loopback import LinkPair
from nanoping.link.reconnector import LinkPhase, Reconnector

__all__ = [
    "LINK_PROTOCOL_VERSION",
    "Backoff",
    "CallCancelled",
    "CallEnded",
    "CallError",
    "CallStarted",
    "CreditAvailable",
    "HalfClosed",
    "HeadersReceived",
    "HeartbeatTimedOut",
    "HelloReceived",
    "HelloRefused",
    "InvalidStateError",
    "LinkClosed",
    "LinkConfiguration",
    "LinkConnection",
    "LinkError",
    "LinkEvent",
    "LinkPair",
    "LinkPhase",
    "LinkRole",
    "LinkState",
    "MessageReceived",
    "MessageTooLargeError",
    "NoCreditError",
    "NodeUpdated",
    "PeerSaidGoodbye",
    "ProtocolError",
    "ProtocolViolated",
    "Reconnector",
    "UnknownCallError",
    "Welcomed",
    "decode_frame",
    "encode_frame",
]
