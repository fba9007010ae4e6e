"""Things a Raft endpoint reports besides packets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PeerSessionStarted:
    """The peer (re)started: a new session id was seen and receive state was reset."""

    session: int
    """The peer's new session id."""
    restarted: bool
    """True when a previous peer session was replaced."""


@dataclass(frozen=True, slots=True)
class CarrierExcluded:
    """A carrier stopped carrying traffic (it is still probed)."""

    carrier_handle: int
    """Handle of the carrier."""
    reason: str
    """``dark``, ``lossy`` or ``slow``."""


@dataclass(frozen=True, slots=True)
class CarrierRestored:
    """An excluded carrier stayed healthy long enough and carries traffic again."""

    carrier_handle: int
    """Handle of the carrier."""


RaftEvent = PeerSessionStarted | CarrierExcluded | CarrierRestored
