"""Unit tests of the hub's cores: registry, join requests, rate limiter, hub URLs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from nanoping.api import hub_node_pb2, hub_server_pb2
from nanoping.errors import FailedPrecondition, InvalidArgument, NotFound
from nanoping.hub.client import _join_urls
from nanoping.hub.join_requests import JoinRequests
from nanoping.hub.rate_limit import RateLimiter
from nanoping.hub.registry import NodeRegistry
from nanoping.storage.database import Database

HUB = hub_node_pb2.Node(
    id="hub", name="hub", online=True, services=[hub_node_pb2.HUB_SERVER, hub_node_pb2.PIPELINES]
)


def node(node_id: str, **metadata: hub_node_pb2.NodeMetadataItem) -> hub_node_pb2.Node:
    return hub_node_pb2.Node(
        id=node_id,
        name=f"name-{node_id}",
        services=[hub_node_pb2.PIPELINES],
        metadata=hub_node_pb2.NodeMetadata(items=metadata),
    )


def registry(tmp_path: Path) -> NodeRegistry:
    return NodeRegistry(database=Database.open(tmp_path / "db"), hub_node=lambda: HUB)


def test_registry_persists_members_and_credentials(tmp_path: Path) -> None:
    first = registry(tmp_path)
    secret = first.admit(node("a", kind=hub_node_pb2.NodeMetadataItem(string_value="x")))
    first.set_online("a", True)
    again = registry(tmp_path)
    assert [member.id for member in again.nodes()] == ["hub", "a"]
    assert again.get("a").online is False  # online is not persisted
    assert again.get("a").metadata.items["kind"].string_value == "x"
    assert again.credential_matches("a", secret)
    assert not again.credential_matches("a", secret + "x")
    again.remove("a")
    assert not registry(tmp_path).credential_matches("a", secret)
    with pytest.raises(NotFound):
        again.get("a")


def test_registry_filters_need_same_type_and_value(tmp_path: Path) -> None:
    members = registry(tmp_path)
    members.admit(node("a", n=hub_node_pb2.NodeMetadataItem(int_value=1)))
    members.admit(node("b", n=hub_node_pb2.NodeMetadataItem(uint_value=1)))
    as_int = {"n": hub_node_pb2.NodeMetadataItem(int_value=1)}
    assert [found.id for found in members.filtered(as_int, [])] == ["a"]
    assert [found.id for found in members.filtered({}, [hub_node_pb2.HUB_SERVER])] == ["hub"]
    assert [found.id for found in members.filtered({}, [])] == ["hub", "a", "b"]
    assert members.filtered({"n": hub_node_pb2.NodeMetadataItem()}, []) == []


async def test_registry_watch_sends_snapshot_then_updates(tmp_path: Path) -> None:
    members = registry(tmp_path)
    stream = members.watch({}, [])
    initial = await anext(stream)
    assert [found.id for found in initial.initialResponse.nodes] == ["hub"]
    changes: list[Callable[[], object]] = [
        lambda: members.admit(node("a")),
        lambda: members.set_online("a", True),
        lambda: members.update_details(
            hub_node_pb2.Node(id="a", name="renamed", services=[hub_node_pb2.PIPELINES])
        ),
        lambda: members.set_online("a", False),
        lambda: members.remove("a"),
    ]
    kinds = []
    for change in changes:  # read each before the next: unread ones would be coalesced
        change()
        kinds.append((await anext(stream)).updateResponse.WhichOneof("update"))
    assert kinds == [
        "authenticatedNode",
        "connectedNode",
        "updatedNameNode",
        "disconnectedNode",
        "deauthenticatedNode",
    ]
    await stream.aclose()


async def test_a_watcher_behind_a_reconnect_storm_reads_each_nodes_latest_state_once(
    tmp_path: Path,
) -> None:
    members = registry(tmp_path)
    stream = members.watch({}, [])
    await anext(stream)  # the snapshot
    for name in ("a", "b", "c"):
        members.admit(node(name))
    for _ in range(500):  # the links of a and b flap while the watcher reads nothing
        for name in ("a", "b"):
            members.set_online(name, True)
            members.set_online(name, False)
    members.set_online("a", True)
    members.update_details(hub_node_pb2.Node(id="b", name="first"))
    members.update_details(hub_node_pb2.Node(id="b", name="second"))
    members.remove("c")
    expected = [
        ("authenticatedNode", "a", False),
        ("authenticatedNode", "b", False),
        ("authenticatedNode", "c", False),
        ("disconnectedNode", "b", False),
        ("connectedNode", "a", True),  # its newest state, moved behind b's
        ("updatedNameNode", "b", False),
        ("deauthenticatedNode", "c", False),
    ]
    seen = []
    for _ in expected:
        update = (await anext(stream)).updateResponse
        kind = update.WhichOneof("update")
        assert kind is not None
        changed = getattr(update, kind)
        seen.append((kind, changed.id, changed.online))
    assert seen == expected
    assert update.deauthenticatedNode.id == "c"
    members.set_online("a", False)  # nothing else was left queued: this comes next
    assert (await anext(stream)).updateResponse.disconnectedNode.id == "a"
    await stream.aclose()


async def answers_of(
    *pairs: tuple[int, bool],
) -> AsyncIterator[hub_server_pb2.AuthenticationByRequestAnswer]:
    for request_id, accept in pairs:
        yield hub_server_pb2.AuthenticationByRequestAnswer(request_id=request_id, accept=accept)
    await asyncio.Event().wait()


async def test_first_answer_decides_and_a_late_answer_says_how_it_ended() -> None:
    requests = JoinRequests()
    pending = asyncio.create_task(requests.decide(node("a"), peer="p", answer_within=5))
    await asyncio.sleep(0)
    requests.answer(1, False)
    with pytest.raises(FailedPrecondition, match="join request 1 was already rejected"):
        requests.answer(1, True)
    assert await pending is False
    assert requests.pending() == []
    with pytest.raises(FailedPrecondition, match="join request 1 was already rejected"):
        requests.answer(1, True)
    with pytest.raises(FailedPrecondition, match="join request 9 is unknown to this hub"):
        requests.answer(9, True)


async def test_unanswered_request_times_out() -> None:
    requests = JoinRequests()
    assert await requests.decide(node("a"), peer="p", answer_within=0.01) is None
    with pytest.raises(FailedPrecondition, match="no longer pending: it was left unanswered"):
        requests.answer(1, True)


async def test_an_approver_is_sent_the_pending_requests_on_open_then_new_ones() -> None:
    requests = JoinRequests()
    early = asyncio.create_task(requests.decide(node("early"), peer="p", answer_within=5))
    decided = asyncio.create_task(requests.decide(node("decided"), peer="p", answer_within=5))
    await asyncio.sleep(0)
    requests.answer(2, True)
    approver = requests.approve(answers_of())
    assert (await anext(approver)).node.id == "early"
    next_request = asyncio.ensure_future(anext(approver))
    await asyncio.sleep(0)
    late = asyncio.create_task(requests.decide(node("late"), peer="p", answer_within=5))
    assert (await next_request).node.id == "late"
    requests.answer(1, True)
    requests.answer(3, True)
    assert (await early, await decided, await late) == (True, True, True)
    await approver.aclose()


async def test_a_request_decided_before_the_approver_reads_it_is_not_sent() -> None:
    requests = JoinRequests()
    first = asyncio.create_task(requests.decide(node("first"), peer="p", answer_within=5))
    await asyncio.sleep(0)
    approver = requests.approve(answers_of())
    requests.answer(1, True)  # decided by another approver before this one read it
    second = asyncio.create_task(requests.decide(node("second"), peer="p", answer_within=5))
    await asyncio.sleep(0)
    assert (await anext(approver)).node.id == "second"
    requests.answer(2, False)
    assert (await first, await second) == (True, False)
    await approver.aclose()


async def test_answering_a_decided_request_ends_that_approver_with_the_reason() -> None:
    requests = JoinRequests()
    pending = asyncio.create_task(requests.decide(node("a"), peer="p", answer_within=5))
    await asyncio.sleep(0)
    requests.answer(1, True)
    approver = requests.approve(answers_of((1, False)))
    with pytest.raises(FailedPrecondition, match="join request 1 was already accepted"):
        await anext(approver)
    assert await pending is True


def test_rate_limiter_burst_then_steady_rate() -> None:
    limiter = RateLimiter(burst=3, per_minute=60)
    assert [limiter.allow("a", 0.0) for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("b", 0.0)  # other sources have their own bucket
    assert limiter.allow("a", 1.0)  # one token per second comes back
    assert not limiter.allow("a", 1.5)


def test_rate_limiter_forgets_the_oldest_source() -> None:
    limiter = RateLimiter(burst=1, per_minute=1, max_sources=2)
    assert limiter.allow("a", 0.0)
    assert not limiter.allow("a", 0.0)
    limiter.allow("b", 0.0)
    limiter.allow("c", 0.0)
    assert limiter.allow("a", 0.0)  # "a" was forgotten, so it starts with a full bucket


@pytest.mark.parametrize(
    ("address", "hub", "join"),
    [
        ("http://127.0.0.1:8769", "http://127.0.0.1:8769", "ws://127.0.0.1:8769/hub/join"),
        ("https://hub.example:443/", "https://hub.example:443", "wss://hub.example:443/hub/join"),
        (" http://[::1]:8769 ", "http://[::1]:8769", "ws://[::1]:8769/hub/join"),
    ],
)
def test_hub_urls(address: str, hub: str, join: str) -> None:
    assert _join_urls(address) == (hub, join)


@pytest.mark.parametrize(
    "address", ["", "127.0.0.1:8769", "ftp://h:1", "http://", "http://h:70000"]
)
def test_bad_hub_urls(address: str) -> None:
    with pytest.raises(InvalidArgument):
        _join_urls(address)
