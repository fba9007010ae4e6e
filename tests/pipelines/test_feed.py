"""The event feed: every subscriber gets every event in order, or is cut off loudly."""

from __future__ import annotations

import asyncio
import gc

import pytest

from nanoping.errors import ResourceExhausted
from nanoping.pipelines.events import PipelineCreated, PipelineDeleted, PipelineUpdated
from nanoping.pipelines.feed import PipelineFeed, Subscription
from nanoping.pipelines.json_config import ConfigCompatibility, JsonConfig
from nanoping.pipelines.record import PipelineRecord
from nanoping.pipelines.settings import PipelineSettings


def record(revision: int) -> PipelineRecord:
    config = JsonConfig("{}", ConfigCompatibility.COMPATIBLE)
    return PipelineRecord("p", PipelineSettings(name="p", config=config), False, None, revision)


EVENTS = (
    PipelineCreated(record(1)),
    PipelineUpdated(record(2)),
    PipelineDeleted(record(2)),
)


async def drain(subscription: Subscription) -> list[object]:
    return [event async for event in subscription]


async def test_every_subscriber_gets_every_later_event_in_order() -> None:
    feed = PipelineFeed()
    early = feed.subscribe()
    feed.publish(EVENTS[0])
    late = feed.subscribe()
    for event in EVENTS[1:]:
        feed.publish(event)
    feed.close()
    assert await drain(early) == list(EVENTS)
    assert await drain(late) == list(EVENTS[1:])


async def test_a_waiting_reader_wakes_on_publish() -> None:
    feed = PipelineFeed()
    subscription = feed.subscribe()
    reader = asyncio.create_task(anext(subscription))
    await asyncio.sleep(0)
    assert not reader.done()
    feed.publish(EVENTS[0])
    assert await asyncio.wait_for(reader, timeout=5) == EVENTS[0]


async def test_a_reader_too_far_behind_is_ended_with_resource_exhausted() -> None:
    feed = PipelineFeed(backlog=2)
    slow = feed.subscribe()
    fast = feed.subscribe()
    for event in EVENTS:
        feed.publish(event)
        assert await anext(fast) == event
    assert feed.subscriber_count == 1  # the slow one no longer receives
    with pytest.raises(ResourceExhausted, match="fell 2 events behind"):
        await anext(slow)
    with pytest.raises(ResourceExhausted):
        await anext(slow)  # stays ended


async def test_closing_a_subscription_stops_delivery_after_queued_events() -> None:
    feed = PipelineFeed()
    subscription = feed.subscribe()
    feed.publish(EVENTS[0])
    subscription.close()
    feed.publish(EVENTS[1])
    assert await drain(subscription) == [EVENTS[0]]
    assert feed.subscriber_count == 0


async def test_subscribing_after_close_ends_at_once() -> None:
    feed = PipelineFeed()
    feed.close()
    assert await drain(feed.subscribe()) == []


def test_a_dropped_subscription_is_forgotten() -> None:
    feed = PipelineFeed()
    subscription = feed.subscribe()
    assert feed.subscriber_count == 1
    del subscription
    gc.collect()
    assert feed.subscriber_count == 0


def test_context_manager_closes() -> None:
    feed = PipelineFeed()
    with feed.subscribe() as subscription:
        assert subscription.pending == 0
        feed.publish(EVENTS[0])
        assert subscription.pending == 1
    assert feed.subscriber_count == 0
