"""Settings of one side of the link; the single home of the link's defaults."""

from __future__ import annotations

from dataclasses import dataclass, fields

MESSAGE_FRAME_OVERHEAD = 32
"""Bytes a CallMessage frame adds around its payload at most (tags, lengths, a 64-bit call id)."""

_UINT32_FIELDS = ("call_window", "max_message_size")
"""Settings sent in Hello/Welcome as uint32."""


@dataclass(frozen=True, kw_only=True)
class LinkConfiguration:
    """Timing and limits of a link connection; validated on creation."""

    heartbeat_interval: float = 5.0
    """Seconds between two pings once the session is open."""
    heartbeat_timeout: float = 15.0
    """Seconds without any received frame after which the peer is considered dead."""
    handshake_timeout: float = 5.0
    """Seconds from the socket's opening within which Hello and Welcome must have crossed;
    frames received meanwhile do not extend it, so an unauthenticated socket cannot linger."""
    call_window: int = 64
    """Messages the peer may send on one call before this side grants more credit."""
    max_message_size: int = 4 * 1024 * 1024
    """Largest message payload this side accepts, in bytes (gRPC's default receive limit)."""
    max_frame_size: int = 4 * 1024 * 1024 + 64 * 1024
    """Largest encoded frame this side accepts; bigger frames close the link unparsed."""
    max_concurrent_calls: int = 1000
    """Calls the peer may have open towards this side; more are ended RESOURCE_EXHAUSTED."""

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if value <= 0:
                _invalid(f"{field.name} must be positive, got {value}")
        for name in _UINT32_FIELDS:
            if getattr(self, name) >= 2**32:
                _invalid(f"{name} must fit in 32 bits, got {getattr(self, name)}")
        if self.heartbeat_timeout <= self.heartbeat_interval:
            _invalid(
                f"heartbeat_timeout ({self.heartbeat_timeout}) must be longer than "
                f"heartbeat_interval ({self.heartbeat_interval})"
            )
        if self.max_frame_size < self.max_message_size + MESSAGE_FRAME_OVERHEAD:
            _invalid(
                f"max_frame_size must exceed max_message_size by at least "
                f"{MESSAGE_FRAME_OVERHEAD} bytes, got {self.max_frame_size} "
                f"and {self.max_message_size}"
            )


def _invalid(problem: str) -> None:
    raise ValueError(f"link configuration: {problem}")
