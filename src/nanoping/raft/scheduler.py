"""Bonding: which carrier each packet takes.

Carriers form tiers by priority. Within the highest usable tier a packet goes on the carrier
where it is expected to arrive first (queue wait at the paced rate + one-way delay: EDPF), so
a slow carrier is used only once the fast one's queue is longer than the delay difference. A
lower tier takes traffic only while every higher tier is saturated (its queue wait is above
``SATURATED_S``); then the earliest arrival over both wins.
"""

from __future__ import annotations

from collections.abc import Sequence

from nanoping.raft.carrier import ITEM_BYTES, CarrierState, Pacer

SATURATED_S = 0.015
"""Queue wait at which a tier counts as saturated and the next tier is considered."""
QUEUE_SHARE = 0.75
"""Share of the budget left beyond the one-way delay that a new packet may spend queued.

When more is offered than the carriers carry, the sender's queues grow until packets are
refused; refusing at the deadline itself would park every packet just before it, where any
dip in the capacity estimate makes whole queues expire. Refusing at three quarters keeps
the same goodput with less latency and room to absorb such dips, and still lets a queue
absorb the burst of a carrier that just went dark (its packets move to the others).
"""


def pick(
    carriers: Sequence[CarrierState], size: int, now: float, *, avoid: int = -1
) -> CarrierState | None:
    """The carrier for a packet of ``size`` bytes, or None when no carrier is usable.

    ``avoid`` names a carrier to use only if it is the sole choice (a retransmission should not
    take the path that just lost it).
    """
    found = pick_eta(carriers, size, now, avoid=avoid)
    return None if found is None else found[0]


def pick_eta(
    carriers: Sequence[CarrierState], size: int, now: float, *, avoid: int = -1
) -> tuple[CarrierState, float] | None:
    """:func:`pick` and the chosen carrier's ``expected_arrival(now, size)``."""
    usable = [c for c in carriers if c.usable and c.index != avoid]
    if not usable:
        usable = [c for c in carriers if c.usable] or [c for c in carriers if c.established]
    if not usable:
        return None
    first = usable[0].priority
    if all(c.priority == first for c in usable):  # one tier: no saturation test to make
        return _earliest(usable, size, now)
    best: CarrierState | None = None
    best_eta = 0.0
    for priority in sorted({c.priority for c in usable}, reverse=True):
        for carrier in (c for c in usable if c.priority == priority):
            eta = carrier.expected_arrival(now, size)
            if best is None or eta < best_eta:
                best, best_eta = carrier, eta
        assert best is not None
        if best.pacer.wait(now, best.estimate.rate_bps, size) <= SATURATED_S:
            return best, best_eta
    assert best is not None
    return best, best_eta


def _earliest(
    carriers: Sequence[CarrierState], size: int, now: float
) -> tuple[CarrierState, float]:
    """The carrier with the earliest expected arrival (the first of equals), and that arrival."""
    best = carriers[0]
    best_eta = best.expected_arrival(now, size)
    for carrier in carriers[1:]:
        eta = carrier.expected_arrival(now, size)
        if eta < best_eta:
            best, best_eta = carrier, eta
    return best, best_eta


class Schedule:
    """:func:`pick` and :func:`pick_eta` for many packets taken at one instant ``now``.

    A batch of input packets is scheduled one packet after the other, each seeing the queues
    the packets before it built, so the choices are exactly those of the per-packet functions.
    What only feedback or a pacer's send changes (usable carriers, tiers, rates, delays, when
    each pacer sends next, the path's backlog) is read once; only the queues are read per
    packet. Valid while packets are only queued: a send, feedback or exclusion needs a new one.
    """

    __slots__ = ("_carriers", "_terms", "now")

    def __init__(self, carriers: Sequence[CarrierState], now: float) -> None:
        self._carriers = carriers
        self.now = now
        """The instant every packet scheduled here is taken at."""
        self._terms = _one_tier(carriers, now)

    def pick(self, size: int, *, avoid: int = -1) -> CarrierState | None:
        """:func:`pick` at this schedule's ``now``."""
        found = self.pick_eta(size, avoid=avoid)
        return None if found is None else found[0]

    def pick_eta(self, size: int, *, avoid: int = -1) -> tuple[CarrierState, float] | None:
        """:func:`pick_eta` at this schedule's ``now``.

        The arrival is :meth:`CarrierState.expected_arrival` written out with its fixed parts
        taken from :func:`_terms`: the same operations in the same order, so the same float.
        """
        terms = self._terms
        if terms is None:
            return pick_eta(self._carriers, size, self.now, avoid=avoid)
        now = self.now
        extra = 1 if size else 0
        best: CarrierState | None = None
        best_eta = 0.0
        for carrier, pacer, wait, rate, one_way, capacity, path_free, half_min_rtt in terms:
            if carrier.index == avoid:
                continue
            queued = len(pacer.urgent) + len(pacer.normal)
            depart = now + (
                wait + (pacer.queued_bytes + size + ITEM_BYTES * (queued + extra)) * 8 / rate
            )
            eta = depart + one_way
            if capacity:  # measured
                on_queue = pacer.queued_bytes + size + ITEM_BYTES * (queued + 1)
                on_path = path_free + on_queue * 8 / capacity
                via_path = (on_path if on_path > depart else depart) + half_min_rtt
                eta = via_path if via_path > eta else eta
            if best is None or eta < best_eta:
                best, best_eta = carrier, eta
        if best is None:  # the avoided carrier is the only usable one: it is used all the same
            return self.pick_eta(size)
        return best, best_eta


_Terms = tuple[CarrierState, Pacer, float, float, float, float, float, float]


def _one_tier(carriers: Sequence[CarrierState], now: float) -> list[_Terms] | None:
    """:func:`_terms` of every usable carrier, in order, when they form one tier; None where
    the general rules apply (no usable carrier, or several tiers)."""
    terms = []
    tier = None
    for carrier in carriers:
        if carrier.usable:
            if tier is None:
                tier = carrier.priority
            elif carrier.priority != tier:
                return None
            terms.append(_terms(carrier, now))
    return terms or None


def _terms(carrier: CarrierState, now: float) -> _Terms:
    """What a carrier's expected arrival at ``now`` takes besides its queue: the carrier, its
    pacer, the wait before the pacer sends next, its rate, one-way delay, and the measured
    capacity (0 while unmeasured), path backlog end and half minimum RTT."""
    est = carrier.estimate
    pacer = carrier.pacer
    rtt = est.rtt
    return (
        carrier,
        pacer,
        max(0.0, pacer.next_send - now),
        est.rate_bps,
        rtt.one_way,
        est.capacity if est.measured else 0.0,
        carrier.path_free,
        rtt.min_rtt / 2,
    )


def latest_admission(carrier: CarrierState, origin: float, budget: float) -> float:
    """Latest expected arrival at which a new packet taken at ``origin`` is still queued."""
    one_way = carrier.estimate.rtt.one_way
    return origin + one_way + QUEUE_SHARE * max(0.0, budget - one_way)


def fastest(carriers: Sequence[CarrierState]) -> CarrierState | None:
    """The usable carrier with the smallest smoothed RTT (for NACKs and feedback-free sends)."""
    usable = [c for c in carriers if c.usable] or [c for c in carriers if c.established]
    return min(usable, key=lambda c: c.estimate.rtt.smoothed, default=None)
