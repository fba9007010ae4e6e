"""When doors may announce a stream: after a local handler's first wait, or a found one's start."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from nanoping.api import hub_client_pb2
from nanoping.errors import Unavailable
from nanoping.service.stream_start import OpenedLater, announced

State = hub_client_pb2.StreamConnectionStateResponse


class Subscriber:
    """A handler that subscribes before its first wait, as streamPipelines does."""

    def __init__(self) -> None:
        self.subscribed = False
        self.closed = False
        self.release = asyncio.Event()

    async def responses(self) -> AsyncIterator[State]:
        self.subscribed = True
        try:
            await self.release.wait()
            yield State(state=hub_client_pb2.CONNECTED)
        finally:
            self.closed = True


async def test_announce_comes_after_a_local_handler_subscribed() -> None:
    subscriber = Subscriber()
    seen_at_announce: list[bool] = []

    async def announce() -> None:
        seen_at_announce.append(subscriber.subscribed)
        subscriber.release.set()

    stream = announced(subscriber.responses(), announce)
    assert [message async for message in stream] == [State(state=hub_client_pb2.CONNECTED)]
    assert seen_at_announce == [True]


async def test_a_stream_opened_later_starts_once_its_handler_did() -> None:
    subscriber = Subscriber()
    link_up = asyncio.Event()

    async def open_stream() -> AsyncIterator[State]:
        await link_up.wait()
        return subscriber.responses()

    stream = OpenedLater(open_stream)
    first = asyncio.ensure_future(anext(stream))  # a door pulls first, then waits for the start
    started = asyncio.ensure_future(stream.started())
    await asyncio.sleep(0)
    assert not started.done()
    link_up.set()
    async with asyncio.timeout(5):
        await started
    assert subscriber.subscribed
    subscriber.release.set()
    assert await first == State(state=hub_client_pb2.CONNECTED)
    await stream.aclose()
    assert subscriber.closed


async def test_a_stream_that_cannot_be_opened_raises_at_start() -> None:
    async def open_stream() -> AsyncIterator[State]:
        raise Unavailable("the link to the hub is not connected")

    stream = OpenedLater(open_stream)
    with pytest.raises(Unavailable, match="not connected"):
        await stream.started()
    with pytest.raises(Unavailable):
        await anext(stream)
    await stream.aclose()


async def test_closing_a_stream_still_opening_stops_the_opening() -> None:
    opening = asyncio.Event()
    cancelled = asyncio.Event()

    async def open_stream() -> AsyncIterator[State]:
        opening.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise
        raise AssertionError("unreachable")

    stream = OpenedLater(open_stream)
    pull = asyncio.ensure_future(anext(stream))
    await opening.wait()
    pull.cancel()
    await stream.aclose()
    assert cancelled.is_set()
