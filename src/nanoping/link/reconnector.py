"""Sans-IO state machine of the joining side: when the node dials its hub again.

    UNAUTHENTICATED --joined--> DISCONNECTED --attempt_started--> CONNECTING --connected--> CONNECTED
                                      ^                               |                         |
                                      +-------- disconnected ---------+------ disconnected -----+

``credential_lost`` (the hub rejected the credential, or the node left) returns to
UNAUTHENTICATED from anywhere. The public ConnectionState maps CONNECTING to DISCONNECTED.
"""

from __future__ import annotations

import enum
import random
from collections.abc import Sequence

from nanoping.link.backoff import Backoff
from nanoping.link.errors import InvalidStateError


class LinkPhase(enum.Enum):
    """Where the joining node stands with its hub."""

    UNAUTHENTICATED = "unauthenticated"
    """No credential: the node has not joined (or was removed); nothing to dial."""
    DISCONNECTED = "disconnected"
    """Joined but not linked; the next attempt is scheduled."""
    CONNECTING = "connecting"
    """An attempt is under way (socket opening or Hello sent)."""
    CONNECTED = "connected"
    """The hub welcomed the node."""


FIRST_DELAYS = (0.02, 0.04, 0.08, 0.16, 0.32)
"""Waits (seconds) between the first attempts after a join or start-up, before any link was up.

A node and its hub are often started together: the first dial can come before the hub listens,
and a program that starts right away should not meet a second of "not connected"."""


class Reconnector:
    """Schedules the joined node's connection attempts with jittered exponential backoff.

    Until the first link is up after a join (or start-up), failed attempts are retried quickly
    (``first_delays``); after that every failed attempt or dropped connection widens the backoff
    window, and a connection that stayed up for ``stable_after`` seconds resets it. Even the
    first retry after a drop is jittered, so a restarted hub sees its nodes come back spread over
    ``base_delay`` seconds.
    """

    def __init__(
        self,
        *,
        rng: random.Random,
        base_delay: float = 1.0,
        max_delay: float = 60.0,
        stable_after: float = 60.0,
        first_delays: Sequence[float] = FIRST_DELAYS,
    ) -> None:
        self._backoff = Backoff(base=base_delay, cap=max_delay, rng=rng)
        self._max_delay = max_delay
        self._first_delays = tuple(first_delays)
        self._quick_left: list[float] = []
        self._stable_after = stable_after
        self._phase = LinkPhase.UNAUTHENTICATED
        self._attempt_at: float | None = None
        self._connected_at = 0.0

    @property
    def phase(self) -> LinkPhase:
        """Current phase."""
        return self._phase

    def next_attempt_at(self, now: float) -> float | None:
        """When to dial next (never before ``now``); None unless DISCONNECTED."""
        if self._phase is not LinkPhase.DISCONNECTED or self._attempt_at is None:
            return None
        return max(now, self._attempt_at)

    def joined(self, now: float) -> None:
        """The node holds a credential (new join, or found at start-up): dial at once."""
        self._require(LinkPhase.UNAUTHENTICATED, "joined")
        self._backoff.reset()
        self._quick_left = list(self._first_delays)
        self._phase = LinkPhase.DISCONNECTED
        self._attempt_at = now

    def attempt_started(self, now: float) -> None:
        """The adapter began dialing."""
        self._require(LinkPhase.DISCONNECTED, "attempt_started")
        self._phase = LinkPhase.CONNECTING
        self._attempt_at = None

    def connected(self, now: float) -> None:
        """The hub welcomed the node."""
        self._require(LinkPhase.CONNECTING, "connected")
        self._phase = LinkPhase.CONNECTED
        self._connected_at = now
        self._quick_left = []  # quick retries are for start-up only, never after a drop

    def disconnected(self, now: float, *, retry_after: float | None = None) -> None:
        """The attempt failed or the link closed; schedule the next attempt.

        ``retry_after`` is the hub's own "not before" (an HTTP Retry-After on a refused
        upgrade): the jittered backoff delay is added on top of it, so nodes told the same
        value do not all come back at the same instant. It is capped at ``max_delay``: a hub
        cannot silence its nodes for longer than the backoff itself would.
        """
        if self._phase not in (LinkPhase.CONNECTING, LinkPhase.CONNECTED):
            raise InvalidStateError(f"disconnected while {self._phase.value}")
        if self._phase is LinkPhase.CONNECTED and now - self._connected_at >= self._stable_after:
            self._backoff.reset()
        self._phase = LinkPhase.DISCONNECTED
        if retry_after is not None:
            self._quick_left = []  # the hub is up and busy: quick retries would add to it
            told = min(max(retry_after, 0.0), self._max_delay)
            self._attempt_at = now + told + self._backoff.next_delay()
        elif self._quick_left:
            self._attempt_at = now + self._quick_left.pop(0)
        else:
            self._attempt_at = now + self._backoff.next_delay()

    def credential_lost(self) -> None:
        """The hub rejected the credential, or the node left the cluster: stop dialing."""
        self._phase = LinkPhase.UNAUTHENTICATED
        self._attempt_at = None

    def _require(self, phase: LinkPhase, action: str) -> None:
        if self._phase is not phase:
            raise InvalidStateError(f"{action} while {self._phase.value}")


def retry_after(header: str | None) -> float | None:
    """Seconds from an HTTP ``Retry-After`` header given in seconds; None if absent or not a
    plain non-negative number (the HTTP-date form is not used by hubs and is ignored)."""
    if header is None:
        return None
    try:
        seconds = float(header.strip())
    except ValueError:
        return None
    return seconds if 0.0 <= seconds < float("inf") else None
