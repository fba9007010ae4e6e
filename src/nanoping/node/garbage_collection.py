"""How a node process collects reference cycles: young objects as usual, everything on a schedule.

CPython starts a full collection whenever the objects that reached the oldest generation grew by
a quarter. A hub holding 10,000 member links keeps millions of objects alive, and every
heartbeat round promotes thousands more (futures and timers that live one heartbeat interval),
so full collections came every 2-5 s, each stopping the event loop for 1-3 s on a loaded 2-core
machine and finding almost nothing: heartbeats and handshakes timed out and the links
reconnected in a storm. Young collections stay as they are; the oldest generation is collected
on a schedule, mostly walking only what is new (see :func:`collect_on_schedule`).
"""

from __future__ import annotations

import asyncio
import gc
from dataclasses import dataclass

FULL_COLLECTION_INTERVAL = 60.0
"""Seconds between two scheduled collections of everything not frozen."""
DEEP_COLLECTION_EVERY = 10
"""Every this many scheduled collections, the frozen objects are walked too: cyclic garbage
among long-lived objects (a closed link's) lives this many intervals (10 minutes) at most."""
NO_AUTOMATIC_FULL_COLLECTION = 2**30
"""Third threshold: collections of the middle generation before an automatic full one (never)."""


@dataclass(frozen=True)
class CollectorSettings:
    """What :func:`tune` changed, to put it back (tests, or a node embedded in a program)."""

    thresholds: tuple[int, int, int]


def tune() -> CollectorSettings:
    """Stop automatic full collections and exempt what exists now from them.

    Called once start-up is done: modules, classes and the loaded registry live as long as
    the process, so full collections need not walk them again and again.
    """
    young, middle, old = gc.get_threshold()
    gc.set_threshold(young, middle, NO_AUTOMATIC_FULL_COLLECTION)
    gc.freeze()
    return CollectorSettings(thresholds=(young, middle, old))


def restore(settings: CollectorSettings) -> None:
    """Undo :func:`tune`."""
    gc.unfreeze()
    gc.set_threshold(*settings.thresholds)


async def collect_on_schedule(
    *,
    interval: float = FULL_COLLECTION_INTERVAL,
    deep_every: int = DEEP_COLLECTION_EVERY,
    collector: Collector | None = None,
) -> None:
    """Collect every ``interval`` seconds until cancelled (a long-lived task).

    What survives a collection is frozen, so the next one walks only what is newer: with 10,000
    links a walk of everything took the hub 1-3 s under load, a walk of the last minute's objects
    a small part of that. Every ``deep_every``-th collection unfreezes first and walks
    everything, freeing cycles among long-lived objects that died since (closed links).
    """
    collector = collector or Collector()
    rounds = 0
    while True:
        await asyncio.sleep(interval)
        rounds += 1
        if rounds % deep_every == 0:
            collector.unfreeze()
        collector.collect()
        collector.freeze()


class Collector:
    """The interpreter's collector; tests substitute one that records the calls."""

    def collect(self) -> None:
        gc.collect()

    def freeze(self) -> None:
        gc.freeze()

    def unfreeze(self) -> None:
        gc.unfreeze()
