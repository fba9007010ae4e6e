"""The hub's link door: applies :class:`LinkAdmission` to upgrades on ``/hub/link``.

The listener asks it before upgrading a connection; the hub tells it when a link has
authenticated or failed to. Refusals are logged one line per kind every 10 s and counted.
Upgrades of join requests (``/hub/join``, rate-limited after their upgrade) pass through it
too, only to be paced like links: a flood of either cannot take the loop for long.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from http import HTTPStatus

from nanoping.config import LinkAdmissionLimits
from nanoping.hub.link_admission import LinkAdmission
from nanoping.hub.statistics import HubStatistics
from nanoping.log_throttle import LogThrottle
from nanoping.net.upgrade_gate import Peer, Refusal, UpgradeGate, UpgradeWaiter

log = logging.getLogger(__name__)
_REFUSALS = LogThrottle(log)

LINK_PATH = "/hub/link"
JOIN_PATH = "/hub/join"
MAX_WAIT = 10.0
"""Seconds a link waits for a handshake slot before it is refused (503) instead."""
UPGRADES_PER_TURN = 8
"""WebSocket upgrades started per event-loop turn at most (about 1 ms of CPU each).

The API's calls share the loop: between two batches the loop polls its sockets, so a getNodes
never waits behind hundreds of handshakes that became ready at once."""


class LinkDoor(UpgradeGate):
    """Handshake slots, a waiting line, rate limits and failure back-off for member links."""

    paths = frozenset({LINK_PATH, JOIN_PATH})

    def __init__(self, limits: LinkAdmissionLimits, statistics: HubStatistics) -> None:
        self.admission = LinkAdmission(limits)
        self._statistics = statistics
        self._waiters: dict[Peer, tuple[UpgradeWaiter, asyncio.TimerHandle]] = {}
        self._admitted: deque[UpgradeWaiter] = deque()
        """Admitted links whose upgrade starts in a coming loop turn."""
        self._pump: asyncio.Handle | None = None

    def enter(self, path: str, peer: Peer, waiter: UpgradeWaiter) -> None:
        if path != LINK_PATH:
            self._upgrade_soon(waiter)
            return
        loop = asyncio.get_running_loop()
        verdict = self.admission.arrive(peer, loop.time())
        if verdict is True:
            self._upgrade_soon(waiter)
        elif verdict is False:
            timer = loop.call_later(MAX_WAIT, self._waited_too_long, peer)
            self._waiters[peer] = (waiter, timer)
        else:
            self._refuse(peer, waiter, verdict)

    def leave(self, peer: Peer) -> None:
        self._forget_waiter(peer)
        self._move_on(self.admission.left(peer, asyncio.get_running_loop().time()))

    def settled(self, peer: Peer, *, authenticated: bool) -> None:
        """The link of ``peer`` authenticated (or failed to): its slot goes to the next in line."""
        now = asyncio.get_running_loop().time()
        self._statistics.link_settled(authenticated)
        self._move_on(self.admission.settled(peer, authenticated=authenticated, now=now))

    def _move_on(self, moved: list[tuple[Peer, Refusal | None]]) -> None:
        for peer, refusal in moved:
            entry = self._forget_waiter(peer)
            if entry is None:
                continue
            if refusal is None:
                self._upgrade_soon(entry)
            else:
                self._refuse(peer, entry, refusal)

    def _upgrade_soon(self, waiter: UpgradeWaiter) -> None:
        self._admitted.append(waiter)
        if self._pump is None:
            self._pump = asyncio.get_running_loop().call_soon(self._upgrade_some)

    def _upgrade_some(self) -> None:
        self._pump = None
        for _ in range(min(UPGRADES_PER_TURN, len(self._admitted))):
            self._admitted.popleft().proceed()  # a closed one does nothing; it left already
        if self._admitted:
            self._pump = asyncio.get_running_loop().call_soon(self._upgrade_some)

    def _forget_waiter(self, peer: Peer) -> UpgradeWaiter | None:
        entry = self._waiters.pop(peer, None)
        if entry is None:
            return None
        entry[1].cancel()
        return entry[0]

    def _waited_too_long(self, peer: Peer) -> None:
        waiter = self._forget_waiter(peer)
        moved = self.admission.left(peer, asyncio.get_running_loop().time())
        if waiter is not None:
            reason = f"no handshake slot came free within {MAX_WAIT:g} s"
            self._refuse(peer, waiter, Refusal(HTTPStatus.SERVICE_UNAVAILABLE, 1.0, reason, "busy"))
        self._move_on(moved)

    def _refuse(self, peer: Peer, waiter: UpgradeWaiter, refusal: Refusal) -> None:
        self._statistics.link_refused(refusal.outcome)
        _REFUSALS.warning(
            refusal.outcome,
            "link from %s refused (%d): %s",
            peer[0],
            refusal.status,
            refusal.reason,
        )
        waiter.refuse(refusal)
