"""Loss, duplicate and reorder accounting from per-packet sequence numbers."""

from __future__ import annotations


class SequenceTracker:
    """Counts unique, duplicate, reordered and lost packets of one numbered stream.

    Sequence numbers are remembered within a sliding window of ``window`` numbers below the
    highest seen, so memory stays bounded; a packet older than that is counted as ``late``.
    Loss is the count of numbers between the lowest and highest seen that never arrived.
    """

    __slots__ = (
        "_floor",
        "_seen",
        "_window",
        "duplicates",
        "highest",
        "late",
        "lowest",
        "reordered",
        "unique",
    )

    def __init__(self, window: int = 65536) -> None:
        self._window = window
        self._seen: set[int] = set()
        self._floor = 0
        self.lowest = -1
        self.highest = -1
        self.unique = 0
        self.duplicates = 0
        self.reordered = 0
        self.late = 0

    def add(self, seq: int) -> bool:
        """Record one arrival; True when this sequence number is new."""
        if seq < self._floor:
            self.late += 1
            return False
        seen = self._seen
        if seq in seen:
            self.duplicates += 1
            return False
        seen.add(seq)
        self.unique += 1
        if seq > self.highest:
            self.highest = seq
        else:
            self.reordered += 1
        if self.lowest < 0 or seq < self.lowest:
            self.lowest = seq
        if len(seen) > 2 * self._window:
            self._prune()
        return True

    @property
    def expected(self) -> int:
        """Packets that should have arrived so far (lowest to highest number)."""
        return 0 if self.highest < 0 else self.highest - self.lowest + 1

    @property
    def lost(self) -> int:
        """Numbers in range that never arrived (late arrivals are not counted as lost)."""
        return max(0, self.expected - self.unique - self.late)

    def _prune(self) -> None:
        self._floor = self.highest - self._window
        self._seen = {s for s in self._seen if s >= self._floor}
