"""A hostile peer on the link: nothing before Hello, a Hello deadline, bounded outbound bytes."""

from __future__ import annotations

import asyncio

import pytest

from nanoping.api.hub_node_pb2 import Node
from nanoping.hub.link_session import LinkSession
from nanoping.internal.link_pb2 import CallStart, Frame, NodeUpdate, Ping
from nanoping.link import (
    HeartbeatTimedOut,
    HelloReceived,
    LinkConfiguration,
    LinkConnection,
    LinkEvent,
    LinkPair,
    LinkRole,
    LinkState,
    ProtocolViolated,
    decode_frame,
    encode_frame,
)
from nanoping.link.batch import pack

CONFIG = LinkConfiguration(handshake_timeout=5.0)


def events(connection: LinkConnection) -> list[LinkEvent]:
    return LinkPair.drain(connection)


@pytest.mark.parametrize(
    "frame",
    [
        Frame(ping=Ping(id=1)),
        Frame(node_update=NodeUpdate(node=Node(id="n"))),
        Frame(call_start=CallStart(call_id=1, method="/x/y")),
    ],
    ids=["ping", "node_update", "call_start"],
)
def test_hub_accepts_only_hello_before_hello(frame: Frame) -> None:
    hub = LinkConnection(role=LinkRole.HUB, now=0.0, configuration=CONFIG)
    hub.receive_bytes(encode_frame(frame), 0.0)
    sent = [decode_frame(data, max_size=1 << 20) for data in hub.data_to_send()]
    assert [f.WhichOneof("kind") for f in sent] == ["goodbye"]  # no Pong: nothing is answered
    [closed] = events(hub)
    assert isinstance(closed, ProtocolViolated)
    assert "before hello" in closed.reason
    assert hub.state is LinkState.CLOSED


def test_hub_closes_a_link_that_says_no_hello_in_time() -> None:
    hub = LinkConnection(role=LinkRole.HUB, now=100.0, configuration=CONFIG)
    assert hub.next_deadline() == 105.0
    hub.handle_timer(104.9)
    assert hub.state is LinkState.NEW
    hub.handle_timer(105.0)
    [closed] = events(hub)
    assert isinstance(closed, HeartbeatTimedOut)
    assert closed.reason == "no hello within 5 s"


def test_the_hello_deadline_does_not_move_with_received_bytes() -> None:
    hub = LinkConnection(role=LinkRole.HUB, now=0.0, configuration=CONFIG)
    hub.receive_bytes(b"", 4.0)  # an empty frame: a kind this side does not know
    assert hub.next_deadline() == 5.0


def test_node_gives_up_when_no_welcome_comes() -> None:
    pair = LinkPair(node_configuration=CONFIG, hub_configuration=CONFIG)
    pair.node.send_hello(node=Node(id="n-1"), credential="c")
    pair.pump()
    pair.advance(5.0)  # the hub never answers the Hello (neither side accepts)
    closed = events(pair.node)
    assert isinstance(closed[-1], HeartbeatTimedOut)
    assert closed[-1].reason == "no welcome within 5 s"


def test_an_opened_link_keeps_its_heartbeat_rules() -> None:
    pair = LinkPair(node_configuration=CONFIG, hub_configuration=CONFIG)
    pair.handshake()
    pair.advance(60.0)  # pings both ways keep it open well past the handshake deadline
    assert (pair.node.state, pair.hub.state) == (LinkState.OPEN, LinkState.OPEN)


async def test_a_peer_that_never_reads_stops_the_reading_and_memory_stays_bounded() -> None:
    """Pings are answered; when the socket takes no more, reading stops instead of queueing."""
    loop = asyncio.get_running_loop()
    hub = LinkConnection(role=LinkRole.HUB, now=loop.time())
    never: asyncio.Future[None] = loop.create_future()

    async def blocked_send(data: bytes) -> None:
        await never  # the peer never reads: the socket's buffer is full

    def on_event(event: LinkEvent) -> None:
        if isinstance(event, HelloReceived):
            hub.accept(hub_node_id="hub", now=loop.time())

    session = LinkSession(
        connection=hub, send=blocked_send, on_call=_no_calls, on_session_event=on_event
    )
    hello = LinkConnection(role=LinkRole.NODE, now=loop.time())
    hello.send_hello(node=Node(id="n"), credential="c")
    ping_batch = pack([encode_frame(Frame(ping=Ping(id=i))) for i in range(1000)], limit=1 << 20)
    reads = 0
    flooded = asyncio.Event()

    async def receive() -> bytes | None:
        nonlocal reads
        reads += 1
        if reads == 1:
            return pack(hello.data_to_send(), limit=1 << 20)[0]
        if reads >= 20_000:  # 20 M pings: far beyond any sane bound
            flooded.set()
            await never
        return ping_batch[0]

    runner = asyncio.create_task(session.run(receive))
    async with asyncio.timeout(30):
        while not (session.reading_paused or flooded.is_set()):  # noqa: ASYNC110 (a polled flag)
            await asyncio.sleep(0)
    assert session.reading_paused
    assert not flooded.is_set()
    assert session.queued_bytes <= 2 * session.outbox_high_water
    runner.cancel()
    never.cancel()
    with pytest.raises(asyncio.CancelledError):
        await runner


async def _no_calls(call: object) -> None:
    raise AssertionError("no calls expected")
