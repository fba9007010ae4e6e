"""Frozen, validated settings of a Raft endpoint: its streams and carriers."""

from __future__ import annotations

from dataclasses import dataclass

from nanoping.raft.jitter import ON_ORDERED, ON_TIMEOUT, TRANSIT
from nanoping.raft.wire import DATA_OVERHEAD

POLICIES = (ON_TIMEOUT, ON_ORDERED, TRANSIT)
MAX_STREAM_HANDLE = 2**32 - 1
MAX_CARRIER_HANDLE = 2**64 - 1


class SettingsError(ValueError):
    """Settings that cannot work; the message names the field and what is allowed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamSpec:
    """One stream: its handle (shared with the peer), budget and delivery policy."""

    handle: int
    """Stream handle; the peer's stream with the same handle receives what this one sends."""
    policy: str = ON_TIMEOUT
    """``on_timeout``, ``on_ordered`` (realtime streams) or ``transit`` (tunnelled protocols)."""
    timeout: float = 0.1
    """Budget in seconds from the sender taking a packet to its delivery; later is lost."""
    jitter_buffer: float | None = None
    """``on_timeout`` playout delay in seconds (None: the timeout; 0: deliver at once)."""
    replicate: bool = False
    """Fixed replication: every packet on every usable carrier, first copy wins."""
    arq: bool = True
    """Request retransmissions of missing packets (benchmarks switch it off)."""
    fec: bool = True
    """Send adaptive sliding-window repairs (benchmarks switch it off)."""

    def __post_init__(self) -> None:
        if not 0 <= self.handle <= MAX_STREAM_HANDLE:
            raise SettingsError(f"stream_handle {self.handle} is outside 0..{MAX_STREAM_HANDLE}")
        if self.policy not in POLICIES:
            raise SettingsError(f"delivery policy {self.policy!r} is not one of {POLICIES}")
        if not 0.001 <= self.timeout <= 60.0:
            raise SettingsError(
                f"stream {self.handle}: timeout {self.timeout}s is outside 1 ms..60 s"
            )
        jb = self.jitter_buffer
        if jb is not None and not 0.0 <= jb <= self.timeout:
            raise SettingsError(
                f"stream {self.handle}: jitter_buffer {jb}s must be between 0 and the timeout"
            )

    @property
    def playout(self) -> float:
        """Delay from send time to ``on_timeout`` release."""
        return self.timeout if self.jitter_buffer is None else self.jitter_buffer


@dataclass(frozen=True, slots=True, kw_only=True)
class CarrierSpec:
    """One carrier: its handle (shared with the peer) and bonding priority."""

    handle: int
    """Carrier handle; must equal the peer's for the same path."""
    priority: int = 0
    """Higher numbers carry traffic first; lower tiers only when higher ones saturate."""
    initial_rate_bps: float = 10e6
    """Capacity assumed before feedback says otherwise (bits per second)."""

    def __post_init__(self) -> None:
        if not 0 <= self.handle <= MAX_CARRIER_HANDLE:
            raise SettingsError(f"carrier_handle {self.handle} is outside 0..{MAX_CARRIER_HANDLE}")
        if not 64e3 <= self.initial_rate_bps <= 100e9:
            raise SettingsError(f"carrier {self.handle}: initial rate {self.initial_rate_bps} b/s")


@dataclass(frozen=True, slots=True, kw_only=True)
class RaftSettings:
    """Everything an endpoint needs; both peers configure matching handles."""

    streams: tuple[StreamSpec, ...]
    """The streams, at least one, handles unique."""
    carriers: tuple[CarrierSpec, ...]
    """The carriers, at least one, handles unique."""
    max_packet_bytes: int = 1472
    """Largest datagram put on a carrier (payload + Raft header)."""
    feedback_interval: float = 0.01
    """Seconds between receiver reports on a carrier that receives traffic."""
    keepalive_interval: float = 0.05
    """Seconds of silence after which a carrier gets a HELLO (handshake, probe, keep-alive)."""
    restore_after: float = 1.0
    """Seconds an excluded carrier must stay healthy before it carries traffic again."""

    def __post_init__(self) -> None:
        if not self.streams or not self.carriers:
            raise SettingsError("a raft endpoint needs at least one stream and one carrier")
        _unique("stream_handle", [s.handle for s in self.streams])
        _unique("carrier_handle", [c.handle for c in self.carriers])
        if not DATA_OVERHEAD + 1 <= self.max_packet_bytes <= 65507:
            raise SettingsError(
                f"max_packet_bytes {self.max_packet_bytes} is outside {DATA_OVERHEAD + 1}..65507"
            )
        if not 0.001 <= self.feedback_interval <= 1.0:
            raise SettingsError(f"feedback_interval {self.feedback_interval}s is outside 1 ms..1 s")

    @property
    def max_payload(self) -> int:
        """Largest application packet a stream can carry."""
        return self.max_packet_bytes - DATA_OVERHEAD


def _unique(name: str, values: list[int]) -> None:
    seen: set[int] = set()
    for value in values:
        if value in seen:
            raise SettingsError(f"{name} {value} is used twice")
        seen.add(value)
