from collections.abc import Callable
from typing import Any

from nanoping.dataplane.packet import PacketMeta

class Packet:
    """One packet inside a pipeline.

    Everything that must survive a hop between nodes lives in ``payload`` (trackers write
    their headers there); ``created`` and ``meta`` are local to this run. Packets are cheap:
    metadata is allocated only when a component asks for it (:attr:`info`).
    """

    payload: bytes
    """Datagram bytes, headers of trackers included."""
    created: float
    """Clock time (seconds) at which the packet entered this run."""
    meta: PacketMeta | None
    """Metadata, or None while nobody has set any."""

    def __init__(self, payload: bytes, created: float, meta: PacketMeta | None = None) -> None: ...
    @property
    def info(self) -> PacketMeta:
        """The packet's metadata, created empty on first use."""
    def derive(self, payload: bytes | None = None) -> Packet:
        """A new packet sharing this one's bytes (or taking ``payload``) with a copy of its
        metadata (:meth:`PacketMeta.copied`), so the two can be labelled independently."""

def set_meta_type(meta_type: Callable[[], Any], /) -> None:
    """Register the class :attr:`Packet.info` makes metadata from."""
