"""The unit the data plane moves: one datagram's bytes plus optional metadata kept beside them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


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


class Packet:
    """One packet inside a pipeline.

    Everything that must survive a hop between nodes lives in ``payload`` (trackers write
    their headers there); ``created`` and ``meta`` are local to this run. Packets are cheap:
    metadata is allocated only when a component asks for it (:attr:`info`).
    """

    __slots__ = ("created", "meta", "payload")

    def __init__(self, payload: bytes, created: float, meta: PacketMeta | None = None) -> None:
        self.payload = payload
        """Datagram bytes, headers of trackers included."""
        self.created = created
        """Clock time (seconds) at which the packet entered this run."""
        self.meta = meta
        """Metadata, or None while nobody has set any."""

    @property
    def info(self) -> PacketMeta:
        """The packet's metadata, created empty on first use."""
        meta = self.meta
        if meta is None:
            meta = self.meta = PacketMeta()
        return meta

    def derive(self, payload: bytes | None = None) -> Packet:
        """A new packet sharing this one's bytes (or taking ``payload``) with a copy of its metadata.

        The payload object is shared, never copied; the metadata is copied so that the two
        packets can be labelled independently (e.g. one copy per carrier).
        """
        meta = self.meta
        if meta is not None:
            meta = replace(meta, timestamps=dict(meta.timestamps))
        return Packet(self.payload if payload is None else payload, self.created, meta)

    def __repr__(self) -> str:
        extra = f", {self.meta}" if self.meta is not None else ""
        return f"Packet({len(self.payload)} bytes, created={self.created:.6f}{extra})"


Batch = list[Packet]
"""Packets handed between components in one call; order is arrival order."""
