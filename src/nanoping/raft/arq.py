"""Deadline-aware retransmission: what the receiver asks for and what the sender resends.

Nothing is requested unless a retransmission can still arrive before the packet's deadline
(``now + srtt + rttvar <= deadline``), and nothing is resent unless it can still arrive
(``now + one-way delay <= deadline``). Where the budget is below a round trip, both tests fail
for every packet, so ARQ is off by construction.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_MISSING = 8192
"""Missing sequence numbers one stream tracks; older ones are forgotten (they expire anyway)."""
MAX_HISTORY = 65536
"""Sent packets one stream keeps for retransmission (also bounded by the stream timeout)."""
MAX_RETRANSMITS = 4
"""Times one packet may be resent."""
RENACK_FLOOR = 0.005
NACK_COPIES = 4
"""Copies of a NACK sent after it within one retransmission round: a NACK is lost as easily
as the data it asks for, and without a copy its loss costs a whole round."""
NACK_COPIES_BURSTY = 16
"""Copies under bursty loss on the path the NACKs take: its few packets fall in one burst
together (a burst of 8 takes a NACK and 4 copies more than one time in twenty), so there the
copies also go on for most of the round (see ``span`` in :meth:`NackPlanner.due`; about 14
at 80 ms RTT). S5 at a fixed 22 % repair (10^5 packets) lost 2e-5 with 4 copies and nothing
with 8; at 1.4x the loss + 1 % it lost 1.3e-4 (two rounds of 8 NACKs in one reverse
burst) with 8 copies over half the RTT and nothing with copies over the round. Copies cost
reverse bandwidth only, a few dozen bytes each.
"""
NACK_COPY_SPACING = 0.005
"""Time between a NACK and its copies. Copies stop before half the smoothed RTT (under bursts
before about the least RTT, the caller's ``span``), so any that arrives after the resend left
is refused by the sender as too soon (it costs no resend)."""


@dataclass(slots=True)
class Missing:
    """A sequence number the receiver has not got yet."""

    deadline: float
    """Local time after which it is useless."""
    next_nack: float
    """When to ask (again)."""
    sent: float
    """Local send time of the packet that revealed the hole: the hole was handed over no later."""
    nacks: int = 0
    """How often it was asked for (rounds; copies not counted)."""
    round_start: float = -1.0
    """When the current round's first NACK went out (-1: never asked)."""
    copies: int = 0
    """Copies sent in the current round."""
    round_over: bool = False
    """Whether the current round's NACK and copies are all out (the next NACK starts a round)."""
    held: bool = False
    """Whether the first NACK was held back for the code already (see ``due``'s ``rehold``)."""
    behind: bool = False
    """Whether the first NACK waits for a carrier that may still hold the hole (see ``due``)."""


class NackPlanner:
    """Receiver side: remembers holes in one stream and says which to NACK when."""

    def __init__(self) -> None:
        self.highest = -1
        self._highest_send = 0.0
        self.missing: OrderedDict[int, Missing] = OrderedDict()
        self.nacks_sent = 0
        self.nack_copies = 0

    def on_arrival(
        self, seq: int, send_time: float, now: float, *, wait: float, timeout: float
    ) -> bool:
        """Note an arrival; returns True if it filled a known hole."""
        hole = self.missing.pop(seq, None)
        if seq > self.highest:
            self._open_holes(seq, send_time, now, wait, timeout)
            self.highest, self._highest_send = seq, send_time
        return hole is not None

    def _open_holes(
        self, seq: int, send_time: float, now: float, wait: float, timeout: float
    ) -> None:
        if self.highest < 0:
            first = 0
            last_send = send_time
        else:
            first = self.highest + 1
            last_send = self._highest_send
        span = seq - first + 1
        for missing in range(max(first, seq - MAX_MISSING), seq):
            estimate = last_send + (send_time - last_send) * (missing - first + 1) / span
            self.missing[missing] = Missing(
                deadline=estimate + timeout, next_nack=now + wait, sent=send_time
            )
        while len(self.missing) > MAX_MISSING:
            self.missing.popitem(last=False)

    def on_tail(
        self, last: int, send_time: float, now: float, *, wait: float, timeout: float
    ) -> None:
        """A repair covers sources up to ``last``, beyond the highest seen: those are holes too.

        Without this a stream's lost last packets are never asked for (no later source shows
        the gap); ``send_time`` is the repair's estimated send time.
        """
        if last > self.highest:
            self._open_holes(last + 1, send_time, now, wait, timeout)
            self.highest, self._highest_send = last, send_time

    def forget_below(self, seq: int) -> None:
        """Drop holes the jitter buffer gave up on or no longer needs."""
        while self.missing:
            first = next(iter(self.missing))
            if first >= seq:
                break
            del self.missing[first]

    def due(
        self,
        now: float,
        srtt: float,
        rttvar: float,
        *,
        hold: Callable[[int], float] | None = None,
        copies: int = NACK_COPIES,
        span: float | None = None,
        behind: Callable[[float], float] | None = None,
        rehold: bool = True,
    ) -> list[int]:
        """Sequence numbers to NACK at ``now``; drops holes nobody can fill in time any more.

        With several carriers in use, ``behind(sent)`` says until when a hole handed over at
        local time ``sent`` may still arrive on a carrier that has not yet delivered anything
        sent after it (datagrams unread in its socket, not lost). The first NACK waits until
        then, re-asked on every call, but never past the last round that can still arrive.
        A hole's first NACK is held back by ``hold(seq)`` (the time the code needs to rebuild
        it from repairs on their way), asked again whenever a hold ends (only once without
        ``rehold``), but never so long that fewer than two rounds are left before its deadline. Each round's NACK is followed by up
        to ``copies`` copies :data:`NACK_COPY_SPACING` apart while less than ``span`` (default
        ``srtt / 2``) has passed; a new round (what was resent is lost too) starts a round
        after the first NACK.
        """
        out: list[int] = []
        expired: list[int] = []
        # A resend takes a full round trip plus pacing: asking again sooner only duplicates.
        interval = srtt + 4 * rttvar + RENACK_FLOOR
        span = srtt / 2 if span is None else span
        for seq, hole in self.missing.items():
            if now + srtt + rttvar > hole.deadline:
                expired.append(seq)
                continue
            if now < hole.next_nack and not hole.behind:
                continue
            if hole.nacks == 0 and self._behind(hole, now, srtt + rttvar, behind):
                continue
            if hold is not None and hole.nacks == 0 and (rehold or not hole.held):
                hole.held = True
                wait = hold(seq)
                if wait > 0:
                    hole.next_nack = min(now + wait, hole.deadline - 2 * interval)
                    if hole.next_nack > now:
                        continue
            if hole.round_start < 0 or hole.round_over:
                hole.nacks += 1
                hole.round_start, hole.copies, hole.round_over = now, 0, False
            else:
                hole.copies += 1
                self.nack_copies += 1
            out.append(seq)
            copy_at = now + NACK_COPY_SPACING
            if hole.copies < copies and copy_at < hole.round_start + span:
                hole.next_nack = copy_at
            else:
                # The next round is timed from the round's first NACK, not its last copy:
                # waiting for a copy's resend too costs bursty loss (S4) its second round
                # more often than the rare duplicate resend costs.
                hole.next_nack = hole.round_start + interval
                hole.round_over = True
        for seq in expired:
            del self.missing[seq]
        self.nacks_sent += len(out)
        return out

    @staticmethod
    def _behind(
        hole: Missing, now: float, round_trip: float, behind: Callable[[float], float] | None
    ) -> bool:
        """Whether a hole's first NACK waits for a carrier (see :meth:`due`)."""
        if behind is None:
            hole.behind = False
            return False
        last_round = hole.deadline - round_trip - RENACK_FLOOR
        until = min(behind(hole.sent), last_round)
        hole.behind = now < until
        if hole.behind:
            hole.next_nack = until
        return hole.behind

    def next_deadline(self) -> float | None:
        """Earliest time a NACK may be due."""
        return min((h.next_nack for h in self.missing.values()), default=None)


def ranges(seqs: list[int]) -> list[tuple[int, int]]:
    """Sorted sequence numbers as (first, count) runs."""
    out: list[tuple[int, int]] = []
    for seq in sorted(seqs):
        if out and out[-1][0] + out[-1][1] == seq and out[-1][1] < 0xFFFF:
            out[-1] = (out[-1][0], out[-1][1] + 1)
        else:
            out.append((seq, 1))
    return out


@dataclass(slots=True)
class Sent:
    """A packet the sender keeps for possible retransmission."""

    send_time: float
    payload: bytes
    carrier: int
    """Carrier of the last transmission."""
    resent: int = 0
    last_resend: float = -1.0


class SendHistory:
    """Sender side: the packets of one stream still young enough to be resent."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.packets: OrderedDict[int, Sent] = OrderedDict()

    def add(self, seq: int, sent: Sent, now: float) -> None:
        """Keep a freshly sent packet; forget the ones past their deadline."""
        self.packets[seq] = sent
        while self.packets:
            first = next(iter(self.packets.values()))
            if first.send_time + self.timeout >= now and len(self.packets) <= MAX_HISTORY:
                break
            self.packets.popitem(last=False)

    def resendable(self, seq: int, now: float, one_way: float, echo: float) -> Sent | None:
        """The packet if a resend can still arrive in time and the NACK asking for it may
        know of the last resend.

        ``echo`` is the least time from sending a resend to receiving a NACK sent after the
        resend arrived (the resend's and the NACK's one-way delays), or longer (the span of a
        NACK's copies, when the delay jitters). A NACK that comes sooner
        left the receiver before the last resend could reach it: a copy of the NACK that
        caused that resend, or the next round timed from a copy that got through late.
        Resending for it only duplicates; a later copy of it tells whether the resend was lost.
        """
        sent = self.packets.get(seq)
        if sent is None or sent.resent >= MAX_RETRANSMITS:
            return None
        if now + one_way > sent.send_time + self.timeout:
            return None
        if sent.last_resend >= 0 and now - sent.last_resend < echo:
            return None
        return sent
