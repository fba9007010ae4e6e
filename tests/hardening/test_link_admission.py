"""The link door's policy on a fake clock: slots, the waiting line, rate limits, back-off."""

from __future__ import annotations

import asyncio
from http import HTTPStatus

import pytest

from nanoping.config import LinkAdmissionLimits, config_from_document
from nanoping.errors import ConfigError
from nanoping.hub.link_admission import FAILURE_MEMORY, MAX_BACKOFF, LinkAdmission
from nanoping.hub.link_door import JOIN_PATH, LINK_PATH, UPGRADES_PER_TURN, LinkDoor
from nanoping.hub.statistics import HubStatistics
from nanoping.net.upgrade_gate import Refusal

GENEROUS = LinkAdmissionLimits(
    max_handshakes=2, max_waiting=2, rate=1000, burst=1000, rate_per_source=1000,
    burst_per_source=1000, failures_per_source=3, failure_backoff=2.0,
)  # fmt: skip


def peer(number: int, source: str = "10.0.0.1") -> tuple[str, int]:
    return (source, 40000 + number)


def refusal(verdict: Refusal | bool) -> Refusal:
    assert isinstance(verdict, Refusal), verdict
    return verdict


def test_links_beyond_the_handshake_slots_wait_in_line_then_move_on_in_order() -> None:
    door = LinkAdmission(GENEROUS)
    assert [door.arrive(peer(n), 0.0) for n in range(4)] == [True, True, False, False]
    busy = refusal(door.arrive(peer(4), 0.0))
    assert (busy.status, busy.outcome) == (HTTPStatus.SERVICE_UNAVAILABLE, "busy")
    assert busy.reason == "2 links already wait for their handshake"
    assert door.settled(peer(0), authenticated=True, now=0.1) == [(peer(2), None)]
    assert door.left(peer(3), 0.1) == []  # gave up waiting: no slot was freed
    assert door.left(peer(1), 0.2) == []  # nobody waits any more
    assert (door.handshaking, door.waiting) == (1, 0)


def test_an_address_backs_off_after_its_allowance_of_failures_doubling_each_time() -> None:
    door = LinkAdmission(GENEROUS)
    for n in range(2):  # failures within the allowance cost nothing yet
        assert door.arrive(peer(n), 0.0) is True
        door.settled(peer(n), authenticated=False, now=0.0)
    assert door.arrive(peer(2), 0.0) is True
    door.settled(peer(2), authenticated=False, now=0.0)  # the third: 2 s of back-off
    first = refusal(door.arrive(peer(3), 1.5))
    assert (first.status, first.outcome) == (HTTPStatus.TOO_MANY_REQUESTS, "backing_off")
    assert first.retry_after == pytest.approx(0.5)
    assert first.reason == "3 links from this address failed to authenticate; try again later"
    assert door.arrive(peer(4, "10.0.0.2"), 1.5) is True  # other addresses are not hit
    assert door.arrive(peer(5), 2.0) is True
    door.settled(peer(5), authenticated=False, now=2.0)  # the fourth: 4 s
    assert refusal(door.arrive(peer(6), 5.9)).retry_after == pytest.approx(0.1)
    assert door.arrive(peer(6), 6.0) is True


def test_back_off_is_capped_and_forgotten_after_quiet_minutes() -> None:
    door = LinkAdmission(GENEROUS)
    for n in range(20):
        door.arrive(peer(n), 0.0)
        door.settled(peer(n), authenticated=False, now=0.0)
    assert refusal(door.arrive(peer(20), 0.0)).retry_after == MAX_BACKOFF
    later = FAILURE_MEMORY + 1.0
    door.arrive(peer(21), later)
    door.settled(peer(21), authenticated=False, now=later)  # counted as the first again
    assert door.arrive(peer(22), later) is True


def test_a_waiting_link_of_an_address_that_started_backing_off_is_refused_at_its_turn() -> None:
    door = LinkAdmission(LinkAdmissionLimits(max_handshakes=1, failures_per_source=2))
    assert door.arrive(peer(0), 0.0) is True
    assert door.arrive(peer(1), 0.0) is False
    assert door.settled(peer(0), authenticated=False, now=0.0) == [(peer(1), None)]  # allowance
    assert door.arrive(peer(2), 0.0) is False
    assert door.arrive(peer(3, "10.0.0.2"), 0.0) is False
    [(first, why), (second, nothing)] = door.settled(peer(1), authenticated=False, now=0.0)
    assert (first, refusal(why or False).outcome) == (peer(2), "backing_off")
    assert (second, nothing) == (peer(3, "10.0.0.2"), None)
    assert (door.handshaking, door.waiting) == (1, 0)


def test_new_links_from_one_address_are_rate_limited_and_the_bucket_refills() -> None:
    limits = LinkAdmissionLimits(burst_per_source=3, rate_per_source=2, max_handshakes=100)
    door = LinkAdmission(limits)
    assert [door.arrive(peer(n), 0.0) for n in range(3)] == [True] * 3
    limited = refusal(door.arrive(peer(3), 0.0))
    assert (limited.status, limited.outcome) == (HTTPStatus.TOO_MANY_REQUESTS, "rate_per_source")
    assert limited.reason == "more than 3 new links from this address at once"
    assert door.arrive(peer(4, "10.0.0.2"), 0.0) is True
    assert door.arrive(peer(5), 0.5) is True  # one token back after half a second


def test_new_links_from_all_addresses_are_rate_limited() -> None:
    door = LinkAdmission(LinkAdmissionLimits(burst=2, rate=1, max_handshakes=100))
    assert door.arrive(peer(0, "10.0.0.1"), 0.0) is True
    assert door.arrive(peer(0, "10.0.0.2"), 0.0) is True
    limited = refusal(door.arrive(peer(0, "10.0.0.3"), 0.0))
    assert (limited.status, limited.outcome) == (HTTPStatus.SERVICE_UNAVAILABLE, "rate")
    assert door.arrive(peer(0, "10.0.0.3"), 1.0) is True


def test_remembered_addresses_are_bounded() -> None:
    door = LinkAdmission(LinkAdmissionLimits(failures_per_source=1), max_sources=2)
    for source in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        for n in range(1):
            door.arrive(peer(n, source), 0.0)
            door.settled(peer(n, source), authenticated=False, now=0.0)
    assert door.arrive(peer(5, "10.0.0.1"), 0.0) is True  # forgotten: the oldest went first
    assert refusal(door.arrive(peer(5, "10.0.0.3"), 0.0)).outcome == "backing_off"


def test_a_refusal_is_a_complete_http_response_with_retry_after() -> None:
    refused = Refusal(HTTPStatus.TOO_MANY_REQUESTS, 0.2, "slow down", "rate_per_source")
    assert refused.response() == (
        b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 1\r\nConnection: close\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Length: 9\r\n\r\nslow down"
    )
    assert (
        b"Retry-After: 38\r\n" in Refusal(HTTPStatus.SERVICE_UNAVAILABLE, 37.1, "", "").response()
    )


def hub_config(links: object) -> LinkAdmissionLimits:
    document = {"http": {"address": "127.0.0.1:0"}, "hubServer": {"links": links}}
    config = config_from_document(document, source="test", path=None)
    assert config.hub_server is not None
    return config.hub_server.link_admission


def test_link_keys_are_read_and_default_generously() -> None:
    assert hub_config(None) == LinkAdmissionLimits()
    assert LinkAdmissionLimits().max_handshakes >= 64  # a restarted hub's members wait, not fail
    limits = hub_config(
        {"maxHandshakes": 8, "maxWaiting": 9, "rate": 10, "burst": 11, "ratePerSource": 12,
         "burstPerSource": 13, "failuresPerSource": 14, "failureBackoff": "500ms"}
    )  # fmt: skip
    assert limits == LinkAdmissionLimits(
        max_handshakes=8, max_waiting=9, rate=10, burst=11, rate_per_source=12,
        burst_per_source=13, failures_per_source=14, failure_backoff=0.5,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("links", "message"),
    [
        (
            {"maxHandshakes": 0},
            "hubServer.links.maxHandshakes: must be a whole number of at least 1",
        ),
        ({"rate": 2.5}, "hubServer.links.rate: must be a whole number of at least 1, got float"),
        ({"failureBackoff": "soon"}, "hubServer.links.failureBackoff: 'soon' is not a duration"),
        ({"slots": 3}, "hubServer.links.slots: unknown key (allowed here: maxHandshakes,"),
        ([1], "hubServer.links: must be a mapping of keys (maxHandshakes,"),
    ],
)
def test_bad_link_keys_are_named(links: object, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        hub_config(links)
    assert message in str(raised.value)


class Waiter:
    """Records what the door decided about one connection."""

    def __init__(self, log: list[str], name: str) -> None:
        self._log = log
        self._name = name

    def proceed(self) -> None:
        self._log.append(self._name)

    def refuse(self, refusal: Refusal) -> None:
        self._log.append(f"{self._name}: {refusal.status.value}")


async def test_the_door_starts_a_burst_of_upgrades_a_few_per_loop_turn() -> None:
    door = LinkDoor(LinkAdmissionLimits(max_handshakes=100), HubStatistics())
    decided: list[str] = []
    for n in range(20):
        door.enter(LINK_PATH if n % 2 else JOIN_PATH, peer(n), Waiter(decided, str(n)))
    assert decided == []  # nothing in the turn they arrived in
    await asyncio.sleep(0)
    assert decided == [str(n) for n in range(UPGRADES_PER_TURN)]  # then API calls get a turn
    await asyncio.sleep(0)
    assert len(decided) == 2 * UPGRADES_PER_TURN


async def test_the_door_lets_the_next_in_line_in_when_a_link_settles() -> None:
    door = LinkDoor(LinkAdmissionLimits(max_handshakes=1, failures_per_source=1), HubStatistics())
    decided: list[str] = []
    for name, who in (("0", peer(0)), ("1", peer(1)), ("2", peer(2, "10.0.0.2")), ("3", peer(3))):
        door.enter(LINK_PATH, who, Waiter(decided, name))
    await asyncio.sleep(0)
    assert decided == ["0"]  # one slot: the others wait
    door.leave(peer(3))  # this one gave up waiting
    door.settled(peer(0), authenticated=False)  # its address backs off: "1" is refused at once
    assert decided == ["0", "1: 429"]
    await asyncio.sleep(0)
    assert decided == ["0", "1: 429", "2"]  # the next in line from another address goes on
