"""The fanout: every subscriber gets every later item in order, or is ended loudly."""

from __future__ import annotations

import asyncio
import gc

import pytest

from nanoping.streams.fanout import Fanout, Subscriber


class TooSlow(Exception):
    """The owner's overflow error in these tests."""


async def drain(subscriber: Subscriber[int]) -> list[int]:
    return [item async for item in subscriber]


async def test_every_subscriber_gets_every_later_item_in_order() -> None:
    fanout: Fanout[int] = Fanout()
    early = fanout.subscribe()
    fanout.publish(1)
    late = fanout.subscribe()
    for item in (2, 3):
        fanout.publish(item)
    fanout.end()
    assert await drain(early) == [1, 2, 3]
    assert await drain(late) == [2, 3]


async def test_subscribers_read_independently() -> None:
    fanout: Fanout[int] = Fanout()
    first, second = fanout.subscribe(), fanout.subscribe()
    fanout.publish(1)
    assert await anext(first) == 1
    fanout.publish(2)
    assert (first.pending, second.pending) == (1, 2)
    assert await anext(second) == 1


async def test_first_items_come_before_published_ones() -> None:
    fanout: Fanout[int] = Fanout()
    subscriber = fanout.subscribe([0])
    fanout.publish(1)
    fanout.end()
    assert await drain(subscriber) == [0, 1]


async def test_a_waiting_reader_wakes_on_publish() -> None:
    fanout: Fanout[int] = Fanout()
    subscriber = fanout.subscribe()
    reader = asyncio.ensure_future(anext(subscriber))
    await asyncio.sleep(0)
    assert not reader.done()
    fanout.publish(7)
    assert await asyncio.wait_for(reader, timeout=5) == 7


async def test_overflow_ends_only_the_slow_subscriber_with_the_owners_error() -> None:
    fanout: Fanout[int] = Fanout(backlog=2, overflow=TooSlow("fell 2 items behind"))
    slow, fast = fanout.subscribe(), fanout.subscribe()
    for item in (1, 2, 3):
        fanout.publish(item)
        assert await anext(fast) == item
    assert fanout.subscriber_count == 1
    assert slow.pending == 0  # its backlog is dropped: the error comes at once
    with pytest.raises(TooSlow, match="fell 2 items behind"):
        await anext(slow)
    with pytest.raises(TooSlow):
        await anext(slow)  # stays ended
    fanout.publish(4)
    assert await anext(fast) == 4


async def test_without_an_overflow_error_the_oldest_items_are_dropped() -> None:
    fanout: Fanout[int] = Fanout(backlog=2)
    subscriber = fanout.subscribe()
    for item in (1, 2, 3):
        fanout.publish(item)
    fanout.end()
    assert await drain(subscriber) == [2, 3]


async def test_end_without_error_ends_iteration_after_the_backlog() -> None:
    fanout: Fanout[int] = Fanout()
    subscriber = fanout.subscribe()
    fanout.publish(1)
    fanout.end()
    fanout.publish(2)
    assert await drain(subscriber) == [1]
    assert fanout.subscriber_count == 0


async def test_end_with_error_raises_it_after_the_backlog() -> None:
    fanout: Fanout[int] = Fanout()
    subscribers = [fanout.subscribe(), fanout.subscribe()]
    fanout.publish(1)
    fanout.end(TooSlow("the source ended"))
    for subscriber in subscribers:
        assert await anext(subscriber) == 1
        with pytest.raises(TooSlow, match="the source ended"):
            await anext(subscriber)


async def test_subscribing_after_end_gives_the_first_items_then_the_same_end() -> None:
    fanout: Fanout[int] = Fanout()
    fanout.end(TooSlow("over"))
    subscriber = fanout.subscribe([9])
    assert fanout.subscriber_count == 0
    assert await anext(subscriber) == 9
    with pytest.raises(TooSlow, match="over"):
        await anext(subscriber)
    ended_normally: Fanout[int] = Fanout()
    ended_normally.end()
    assert await drain(ended_normally.subscribe()) == []


async def test_closing_a_subscriber_unregisters_it_after_its_backlog() -> None:
    fanout: Fanout[int] = Fanout()
    with fanout.subscribe() as subscriber:
        fanout.publish(1)
        assert fanout.subscriber_count == 1
    assert fanout.subscriber_count == 0
    fanout.publish(2)
    assert await drain(subscriber) == [1]


def test_a_dropped_subscriber_is_forgotten() -> None:
    fanout: Fanout[int] = Fanout()
    subscriber = fanout.subscribe()
    assert fanout.subscriber_count == 1
    del subscriber
    gc.collect()
    assert fanout.subscriber_count == 0


def tens(item: int) -> int | None:
    """Coalescing key of these tests: items of the same ten replace each other; 0 never does."""
    return None if item == 0 else item // 10


async def test_a_coalesced_item_replaces_the_unread_one_of_its_key_and_moves_to_the_end() -> None:
    fanout: Fanout[int] = Fanout(coalesce=tens)
    subscriber = fanout.subscribe()
    for item in (11, 0, 21, 12, 0, 13):
        fanout.publish(item)
    assert subscriber.pending == 4
    fanout.end()
    assert await drain(subscriber) == [0, 21, 0, 13]


async def test_coalescing_counts_against_the_backlog_only_for_new_keys() -> None:
    fanout: Fanout[int] = Fanout(backlog=2, overflow=TooSlow("behind"), coalesce=tens)
    subscriber = fanout.subscribe()
    for item in (11, 21, 12, 22, 13):  # a thousand changes of two things fit a backlog of 2
        fanout.publish(item)
    assert subscriber.pending == 2
    fanout.publish(31)  # a third thing does not
    with pytest.raises(TooSlow, match="behind"):
        await anext(subscriber)


async def test_coalescing_without_an_overflow_error_keeps_the_newest_items() -> None:
    fanout: Fanout[int] = Fanout(backlog=2, coalesce=tens)
    subscriber = fanout.subscribe()
    for item in (11, 21, 31, 22):
        fanout.publish(item)
    fanout.end()
    assert await drain(subscriber) == [31, 22]
