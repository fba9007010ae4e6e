"""Admission of WebSocket upgrades on a listener: let in now, later, or refuse before upgrading.

A listener may hold a gate for some paths. When a request on one of them asks to upgrade, the
gate decides before any WebSocket work is done (that work is most of what a connection costs):
the connection proceeds, waits with its socket paused, or gets a plain HTTP refusal with a
``Retry-After``. The gate hears when every such connection closes, so it can count them.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol

Peer = tuple[str, int]
"""A connection's remote address and port: what tells connections apart."""


@dataclass(frozen=True)
class Refusal:
    """Why a connection is turned away, and when it may try again."""

    status: HTTPStatus
    """429 when the peer asked too often, 503 when the server is busy."""
    retry_after: float
    """Seconds after which trying again may succeed."""
    reason: str
    """Said in the response body and the log."""
    outcome: str
    """Short label under which the refusal is counted (a metric label)."""

    def response(self) -> bytes:
        """The whole HTTP response: status, Retry-After (whole seconds, at least 1), reason."""
        body = self.reason.encode()
        seconds = max(1, math.ceil(self.retry_after))
        return (
            f"HTTP/1.1 {self.status.value} {self.status.phrase}\r\nRetry-After: {seconds}\r\n"
            f"Connection: close\r\nContent-Type: text/plain; charset=utf-8\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode() + body


class UpgradeWaiter(Protocol):
    """The connection a gate decides about (the listener's HTTP protocol)."""

    def proceed(self) -> None:
        """Go on with the upgrade."""

    def refuse(self, refusal: Refusal) -> None:
        """Answer the refusal and close."""


class UpgradeGate(abc.ABC):
    """Decides about upgrades on :attr:`paths`; a listener calls it for each such request."""

    paths: frozenset[str] = frozenset()

    @abc.abstractmethod
    def enter(self, path: str, peer: Peer, waiter: UpgradeWaiter) -> None:
        """A request for ``path`` from ``peer`` asks to upgrade: call ``waiter`` now or later."""

    @abc.abstractmethod
    def leave(self, peer: Peer) -> None:
        """The connection of ``peer`` closed (whether it entered or not; may come twice)."""
