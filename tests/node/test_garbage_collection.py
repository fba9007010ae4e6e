"""A node's process runs full garbage collections on a schedule, never when the heap grew."""

from __future__ import annotations

import asyncio
import gc
import weakref

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


class Recording(garbage_collection.Collector):
    """Records what the schedule asks of the collector; the test ends after ``rounds``."""

    def __init__(self, rounds: int) -> None:
        self.calls: list[str] = []
        self.done = asyncio.Event()
        self._rounds = rounds

    def collect(self) -> None:
        self.calls.append("collect")

    def freeze(self) -> None:
        self.calls.append("freeze")
        if self.calls.count("freeze") == self._rounds:
            self.done.set()

    def unfreeze(self) -> None:
        self.calls.append("unfreeze")


async def test_the_schedule_freezes_survivors_and_walks_everything_every_third_round() -> None:
    recording = Recording(rounds=6)
    task = asyncio.create_task(
        garbage_collection.collect_on_schedule(interval=0.001, deep_every=3, collector=recording)
    )
    try:
        async with asyncio.timeout(10):
            await recording.done.wait()
    finally:
        task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    assert task.cancelled()
    light, deep = ["collect", "freeze"], ["unfreeze", "collect", "freeze"]
    assert recording.calls[:14] == light + light + deep + light + light + deep


def test_the_real_collector_frees_a_cycle_that_died_after_it_was_frozen() -> None:
    settings = garbage_collection.tune()
    collector = garbage_collection.Collector()
    try:

        class Cycle:
            partner: object = None

        first, second = Cycle(), Cycle()
        first.partner, second.partner = second, first
        alive = weakref.ref(first)
        collector.collect()
        collector.freeze()  # the pair survived a collection: frozen, walked no more
        del first, second
        collector.collect()
        assert alive() is not None  # a light collection leaves it
        collector.unfreeze()
        collector.collect()
        assert alive() is None  # the deep one frees it
    finally:
        garbage_collection.restore(settings)
