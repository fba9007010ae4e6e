"""A node's process runs full garbage collections on a schedule, never when the heap grew."""

from __future__ import annotations

import asyncio
import gc

from nanoping.node import garbage_collection


def test_tuning_stops_automatic_full_collections_and_restoring_undoes_it() -> None:
    before = gc.get_threshold()
    settings = garbage_collection.tune()
    try:
        young, middle, old = gc.get_threshold()
        assert (young, middle) == before[:2]  # young collections are left as they were
        assert old == garbage_collection.NO_AUTOMATIC_FULL_COLLECTION
        assert gc.get_freeze_count() > 0  # what start-up built is not walked again
    finally:
        garbage_collection.restore(settings)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_cyclic_garbage_is_still_collected_by_the_scheduled_collection() -> None:
    settings = garbage_collection.tune()
    try:

        class Cycle:
            partner: object = None

        first, second = Cycle(), Cycle()
        first.partner, second.partner = second, first
        del first, second
        assert gc.collect() >= 2  # objects made after start-up are not frozen
    finally:
        garbage_collection.restore(settings)


async def test_the_schedule_collects_again_and_again_until_cancelled() -> None:
    collected = asyncio.Event()
    calls: list[int] = []

    def collect() -> None:
        calls.append(len(calls))
        if len(calls) == 3:
            collected.set()

    task = asyncio.create_task(
        garbage_collection.collect_on_schedule(interval=0.001, collect=collect)
    )
    try:
        async with asyncio.timeout(10):
            await collected.wait()
    finally:
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    assert calls[:3] == [0, 1, 2]
