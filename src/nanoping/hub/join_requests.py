"""Pending join requests on the hub, and the approvers who decide them.

A request waits until the first approver answers it, its joiner withdraws it, or the hub's
timeout passes. Approvers are the open ``authenticationByRequests`` streams: each is sent every
request made while it is open (nothing on open); the first answer for a request decides it.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field

from nanoping.api import hub_node_pb2, hub_server_pb2
from nanoping.errors import AlreadyExists, ResourceExhausted
from nanoping.quoting import quoted
from nanoping.streams.fanout import Fanout, Subscriber

log = logging.getLogger(__name__)

MAX_PENDING = 256
"""Join requests the hub holds at once, from all sources together (each source is also
rate-limited): a flood from many addresses cannot grow the hub or bury the approvers."""


@dataclass
class PendingRequest:
    """A join request waiting for a decision."""

    request_id: int
    """Id approvers echo in their answer."""
    node: hub_node_pb2.Node
    """The joining node as it described itself."""
    peer: str
    """Network address the request came from (for logs)."""
    decision: asyncio.Future[bool] = field(default_factory=asyncio.Future)
    """Resolves to True (accepted) or False (rejected)."""


class JoinRequests:
    """The hub's pending requests and open approver streams."""

    def __init__(self, *, max_pending: int = MAX_PENDING) -> None:
        self._max_pending = max_pending
        self._ids = itertools.count(1)
        self._pending: dict[int, PendingRequest] = {}
        self._approvers: Fanout[hub_server_pb2.AuthenticationByRequestRequest] = Fanout()

    def pending(self) -> list[PendingRequest]:
        return list(self._pending.values())

    def _add(self, node: hub_node_pb2.Node, *, peer: str) -> PendingRequest:
        """Make a request pending; ResourceExhausted when the hub holds too many already,
        AlreadyExists when one for the same node id is pending."""
        if len(self._pending) >= self._max_pending:
            raise ResourceExhausted(
                f"the hub already holds {len(self._pending)} pending join requests; try again later"
            )
        if any(request.node.id == node.id for request in self._pending.values()):
            raise AlreadyExists(f"a join request for node id {quoted(node.id)} is already pending")
        request = PendingRequest(request_id=next(self._ids), node=node, peer=peer)
        self._pending[request.request_id] = request
        log.info(
            "join request %d from node %s (%s) at %s is pending",
            request.request_id,
            quoted(node.id),
            quoted(node.name),
            peer,
        )
        return request

    async def decide(
        self, node: hub_node_pb2.Node, *, peer: str, answer_within: float
    ) -> bool | None:
        """Push a request to every approver and wait; None when nobody answered in time.

        Raises ResourceExhausted or AlreadyExists (see ``_add``) before anything is pushed.
        """
        request = self._add(node, peer=peer)
        self._approvers.publish(
            hub_server_pb2.AuthenticationByRequestRequest(
                node=request.node, request_id=request.request_id
            )
        )
        try:
            return await asyncio.wait_for(asyncio.shield(request.decision), answer_within)
        except TimeoutError:
            log.info("join request %d timed out after %.0f s", request.request_id, answer_within)
            return None
        finally:
            self._pending.pop(request.request_id, None)

    def answer(self, request_id: int, accept: bool) -> bool:
        """Record an approver's answer; False when the request is unknown or already decided."""
        request = self._pending.get(request_id)
        if request is None or request.decision.done():
            log.info("answer for join request %d ignored: not pending", request_id)
            return False
        request.decision.set_result(accept)
        log.info(
            "join request %d of node %s %s",
            request_id,
            quoted(request.node.id),
            "accepted" if accept else "rejected",
        )
        return True

    async def approve(
        self, answers: AsyncIterator[hub_server_pb2.AuthenticationByRequestAnswer]
    ) -> AsyncGenerator[hub_server_pb2.AuthenticationByRequestRequest, None]:
        """One approver stream: requests out, answers in, until either side closes."""
        with self._approvers.subscribe() as requests:
            reader = asyncio.ensure_future(self._read_answers(answers, requests))
            try:
                async for request in requests:
                    yield request
                reader.result()  # re-raises a failure of the answer stream
            finally:
                reader.cancel()

    async def _read_answers(
        self,
        answers: AsyncIterator[hub_server_pb2.AuthenticationByRequestAnswer],
        requests: Subscriber[hub_server_pb2.AuthenticationByRequestRequest],
    ) -> None:
        """Record each answer; when the answers end, so does the approver's request stream."""
        try:
            async for answer in answers:
                self.answer(answer.request_id, answer.accept)
        finally:
            requests.close()
