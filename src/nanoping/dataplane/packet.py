"""The unit the data plane moves: one datagram's bytes plus a little metadata."""

from __future__ import annotations


class Packet:
    """One packet inside a pipeline.

    Everything that must survive a hop between nodes lives in ``payload`` (trackers write
    their headers there); the other attributes are local to this run.
    """

    __slots__ = ("created", "payload")

    def __init__(self, payload: bytes, created: float) -> None:
        self.payload = payload
        """Datagram bytes, headers of trackers included."""
        self.created = created
        """Clock time (seconds) at which the packet entered this run."""

    def __repr__(self) -> str:
        return f"Packet({len(self.payload)} bytes, created={self.created:.6f})"


Batch = list[Packet]
"""Packets handed between components in one call; order is arrival order."""
