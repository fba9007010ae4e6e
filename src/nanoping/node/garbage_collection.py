"""How a node process collects reference cycles: young objects as usual, everything on a schedule.

CPython starts a full collection whenever the objects that reached the oldest generation grew by
a quarter. A hub holding 10,000 member links keeps millions of objects alive, and every
heartbeat round promotes thousands more (futures and timers that live one heartbeat interval),
so full collections came every 2-5 s, each stopping the event loop for 1-3 s on a loaded 2-core
machine and finding almost nothing: heartbeats and handshakes timed out and the links
reconnected in a storm. Young collections stay as they are; full ones run on a fixed schedule.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from dataclasses import dataclass

FULL_COLLECTION_INTERVAL = 60.0
"""Seconds between two full collections: cyclic garbage of closed links lives that long at most."""
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
    *, interval: float = FULL_COLLECTION_INTERVAL, collect: Callable[[], object] = gc.collect
) -> None:
    """Run a full collection every ``interval`` seconds until cancelled (a long-lived task)."""
    while True:
        await asyncio.sleep(interval)
        collect()
