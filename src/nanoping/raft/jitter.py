"""Per-stream delivery: the jitter buffer and its delivery policies.

``on_timeout`` plays each packet out at its send time + the playout delay (timestamp based, so the
receiver reproduces the sender's spacing), skipping holes whose turn has passed. ``on_ordered``
releases a packet as soon as every lower sequence number was delivered or has expired.
``transit`` hands every new packet on at once (the tunnelled protocol orders and recovers).
A packet that comes after its turn is dropped and counted as late; nothing is delivered twice.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass

ON_TIMEOUT, ON_ORDERED, TRANSIT = "on_timeout", "on_ordered", "transit"
MAX_HELD = 65536
"""Packets one stream's buffer may hold; beyond that the oldest holes are skipped."""
_SKIPPED_MEMORY = 4096


@dataclass(slots=True)
class DeliveryCounters:
    """What happened to the packets of one stream at the receiver."""

    delivered: int = 0
    """Packets handed to the application."""
    late: int = 0
    """Packets that arrived after their turn and were dropped."""
    lost: int = 0
    """Sequence numbers skipped because they never arrived in time."""
    duplicates: int = 0
    """Copies of packets already held or delivered (replication, retransmissions)."""
    buffer_delay_sum: float = 0.0
    """Sum over delivered packets of the time they spent in the buffer (seconds)."""


class JitterBuffer:
    """Orders one stream's packets by sequence number and releases them by its policy."""

    def __init__(self, *, policy: str, timeout: float, playout: float) -> None:
        self.policy = policy
        self.timeout = timeout
        self.playout = playout
        self.next_seq = 0
        self.counters = DeliveryCounters()
        self._held: dict[int, tuple[float, float, bytes]] = {}
        self._heap: list[int] = []
        self._last_send = 0.0
        self._skipped: deque[int] = deque(maxlen=_SKIPPED_MEMORY)
        self._seen: deque[int] = deque(maxlen=_SKIPPED_MEMORY)
        self._seen_set: set[int] = set()
        self._abandoned: set[int] = set()

    def insert(self, seq: int, send_time: float, payload: bytes, now: float) -> list[bytes]:
        """Take one arrival; returns what can be released at once (``transit`` only)."""
        if self.policy == TRANSIT:
            return self._transit(seq, payload)
        if seq < self.next_seq:
            if seq in self._skipped:
                self.counters.late += 1
            else:
                self.counters.duplicates += 1
            return []
        if seq in self._held:
            self.counters.duplicates += 1
            return []
        if now > send_time + self.timeout:
            self.counters.late += 1
            return []
        if len(self._held) >= MAX_HELD:  # a hostile or broken peer: refuse, keep what is held
            self.counters.late += 1
            return []
        self._held[seq] = (send_time, now, payload)
        heapq.heappush(self._heap, seq)
        return []

    def _transit(self, seq: int, payload: bytes) -> list[bytes]:
        if seq in self._seen_set:
            self.counters.duplicates += 1
            return []
        if len(self._seen) == self._seen.maxlen:
            self._seen_set.discard(self._seen[0])
        self._seen.append(seq)
        self._seen_set.add(seq)
        self.counters.delivered += 1
        return [payload]

    def abandon(self, first: int, count: int) -> None:
        """The sender will never send these: stop waiting for them (bounded, like the buffer)."""
        start = max(first, self.next_seq)
        for seq in range(start, min(first + count, self.next_seq + _SKIPPED_MEMORY)):
            if seq not in self._held and len(self._abandoned) < _SKIPPED_MEMORY:
                self._abandoned.add(seq)

    def _abandoned_below(self, seq: int) -> bool:
        """Whether every missing number before held ``seq`` was abandoned by the sender."""
        gap = seq - self.next_seq
        if gap > len(self._abandoned):
            return False
        return all(s in self._abandoned for s in range(self.next_seq, seq))

    def release(self, now: float) -> list[tuple[int, bytes]]:
        """Everything whose turn has come at ``now``, in sequence order."""
        out: list[tuple[int, bytes]] = []
        while self._heap:
            seq = self._heap[0]
            hole = seq > self.next_seq
            if hole and not self._hole_expired(seq, now) and not self._abandoned_below(seq):
                break
            send_time, arrival, payload = self._held[seq]
            if self.policy == ON_TIMEOUT and now < send_time + self.playout:
                break
            heapq.heappop(self._heap)
            del self._held[seq]
            self._abandoned.discard(seq)
            self._skip_to(seq)
            self.next_seq = seq + 1
            self._last_send = send_time
            self.counters.delivered += 1
            self.counters.buffer_delay_sum += now - arrival
            out.append((seq, payload))
        return out

    def _hole_expired(self, seq: int, now: float) -> bool:
        return now >= self.hole_deadline(seq)

    def hole_deadline(self, seq: int) -> float:
        """When the hole before held ``seq`` gives up: the last missing packet's deadline.

        Its send time is unknown, so it is interpolated between the last delivered packet and
        ``seq`` (exact for constant-rate streams, never later than ``seq``'s own deadline).
        """
        send_time = self._held[seq][0]
        if self.policy == ON_TIMEOUT:
            return send_time + self.playout
        span = seq - self.next_seq + 1
        last = self._last_send if self.counters.delivered else send_time
        estimate = last + (send_time - last) * (span - 1) / span if last < send_time else send_time
        return estimate + self.timeout

    def _skip_to(self, seq: int) -> None:
        """Give up on every sequence number below ``seq`` that is still missing."""
        if seq > self.next_seq:
            self.counters.lost += seq - self.next_seq
            self._skipped.extend(range(max(self.next_seq, seq - _SKIPPED_MEMORY), seq))
            self._abandoned.difference_update(range(self.next_seq, seq))
            self.next_seq = seq

    def next_deadline(self) -> float | None:
        """When :meth:`release` has work next, or None if nothing is held."""
        if not self._heap:
            return None
        seq = self._heap[0]
        if seq > self.next_seq:
            return 0.0 if self._abandoned_below(seq) else self.hole_deadline(seq)
        return self._held[seq][0] + self.playout if self.policy == ON_TIMEOUT else 0.0

    def missing_below(self, seq: int) -> bool:
        """True if ``seq`` is still wanted (not delivered, not given up, not held)."""
        return seq >= self.next_seq and seq not in self._held

    @property
    def held(self) -> int:
        """Packets waiting in the buffer."""
        return len(self._held)
