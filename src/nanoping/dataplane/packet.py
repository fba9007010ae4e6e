"""The unit the data plane moves: one datagram's bytes plus optional metadata kept beside them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from nanoping.dataplane._packet import Packet, set_meta_type

__all__ = ["Batch", "Packet", "PacketMeta"]


@dataclass(slots=True)
class PacketMeta:
    """Per-packet facts a transport needs along the pipeline, local to this run.

    They ride beside the payload and never enter it: a component that wants them on the
    wire writes its own header. Unset fields are None.
    """

    stream: int | None = None
    """Stream handle the packet belongs to."""
    carrier: int | None = None
    """Carrier handle the packet arrived on or should leave by."""
    sequence: int | None = None
    """Sequence number given by whoever numbers the stream."""
    timestamps: dict[str, float] = field(default_factory=dict)
    """Named clock times (seconds), e.g. ``{"sent": 12.5}``."""

    def copied(self) -> PacketMeta:
        """A copy that can be labelled independently (its own timestamps dict):
        what :meth:`Packet.derive` gives the new packet."""
        return replace(self, timestamps=dict(self.timestamps))


# Packet lives in C (_packet.c): every datagram makes one, and as a Python class it cost
# about 0.2 us to make. Its documentation is in _packet.pyi; its metadata comes from here.
set_meta_type(PacketMeta)


Batch = list[Packet]
"""Packets handed between components in one call; order is arrival order."""
