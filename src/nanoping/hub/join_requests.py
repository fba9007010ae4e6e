"""Pending join requests on the hub, and the approvers who decide them.

A request waits until the first approver answers it, its joiner withdraws it, or the hub's
timeout passes. Approvers are the open ``authenticationByRequests`` streams: each is sent every
request still pending when it opens, then every request made while it is open, so a joiner that
asks before its approver opens is not lost. The first answer for a request decides it; answering
a request that is no longer pending ends that approver's stream with FAILED_PRECONDITION naming
how the request ended (the protocol has no message to withdraw a request from an approver's view).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field

from nanoping.api import hub_node_pb2, hub_server_pb2
from nanoping.errors import AlreadyExists, FailedPrecondition, ResourceExhausted
from nanoping.quoting import quoted
from nanoping.service.stream_headers import STREAM_HEADERS
from nanoping.streams.fanout import Fanout, Subscriber

log = logging.getLogger(__name__)

PENDING_HEADER = "nanoping-pending-join-requests"
"""gRPC header of an approver stream: JSON list of the requests pending when it opened."""
REMEMBERED_OUTCOMES = 256
"""How many decided requests the hub remembers, to say how one ended when answered late."""
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
    since: float
    """Event-loop time the request arrived."""
    decision: asyncio.Future[bool] = field(default_factory=asyncio.Future)
    """Resolves to True (accepted) or False (rejected)."""

    def message(self) -> hub_server_pb2.AuthenticationByRequestRequest:
        """The request as approvers are sent it."""
        return hub_server_pb2.AuthenticationByRequestRequest(
            node=self.node, request_id=self.request_id
        )

    def summary(self, now: float) -> dict[str, object]:
        """What an approver is told about it on open, beyond what the message carries."""
        return {
            "requestId": self.request_id,
            "nodeId": self.node.id,
            "name": self.node.name,
            "peer": self.peer,
            "ageSeconds": round(max(0.0, now - self.since), 1),
        }


class JoinRequests:
    """The hub's pending requests and open approver streams."""

    def __init__(self, *, max_pending: int = MAX_PENDING) -> None:
        self._max_pending = max_pending
        self._ids = itertools.count(1)
        self._pending: dict[int, PendingRequest] = {}
        self._outcomes: OrderedDict[int, str] = OrderedDict()
        self._approvers: Fanout[hub_server_pb2.AuthenticationByRequestRequest] = Fanout()

    def pending(self) -> list[PendingRequest]:
        return [request for request in self._pending.values() if not request.decision.done()]

    def _add(self, node: hub_node_pb2.Node, *, peer: str) -> PendingRequest:
        """Make a request pending; ResourceExhausted when the hub holds too many already,
        AlreadyExists when one for the same node id is pending."""
        if len(self._pending) >= self._max_pending:
            raise ResourceExhausted(
                f"the hub already holds {len(self._pending)} pending join requests; try again later"
            )
        if any(request.node.id == node.id for request in self._pending.values()):
            raise AlreadyExists(f"a join request for node id {quoted(node.id)} is already pending")
        now = asyncio.get_running_loop().time()
        request = PendingRequest(request_id=next(self._ids), node=node, peer=peer, since=now)
        self._pending[request.request_id] = request
        log.info(
            "join request %d from node %s (%s) at %s is pending (%d approver(s) open)",
            request.request_id,
            quoted(node.name),
            quoted(node.id),
            peer,
            self._approvers.subscriber_count,
        )
        return request

    async def decide(
        self, node: hub_node_pb2.Node, *, peer: str, answer_within: float
    ) -> bool | None:
        """Push a request to every approver and wait; None when nobody answered in time.

        Raises ResourceExhausted or AlreadyExists (see ``_add``) before anything is pushed.
        """
        request = self._add(node, peer=peer)
        self._approvers.publish(request.message())
        outcome = "withdrawn by the joining node"
        try:
            async with asyncio.timeout(answer_within):
                accepted = await asyncio.shield(request.decision)
            outcome = "accepted" if accepted else "rejected"
            return accepted
        except TimeoutError:
            outcome = f"left unanswered until the hub's {answer_within:.0f} s timeout"
            log.info("join request %d timed out after %.0f s", request.request_id, answer_within)
            return None
        finally:
            self._pending.pop(request.request_id, None)
            self._remember(request.request_id, outcome)

    def answer(self, request_id: int, accept: bool) -> None:
        """Record an approver's answer; FailedPrecondition when the request is not pending."""
        request = self._pending.get(request_id)
        if request is None or request.decision.done():
            raise FailedPrecondition(self._not_pending(request_id, request))
        request.decision.set_result(accept)
        log.info(
            "join request %d of node %s (%s) %s",
            request_id,
            quoted(request.node.name),
            quoted(request.node.id),
            "accepted" if accept else "rejected",
        )

    async def approve(
        self, answers: AsyncIterator[hub_server_pb2.AuthenticationByRequestAnswer]
    ) -> AsyncGenerator[hub_server_pb2.AuthenticationByRequestRequest, None]:
        """One approver stream: pending requests, then new ones out; answers in; until either side closes."""
        waiting = self.pending()
        headers = STREAM_HEADERS.get()
        if headers is not None:
            now = asyncio.get_running_loop().time()
            headers[PENDING_HEADER] = json.dumps([request.summary(now) for request in waiting])
        # Subscribing and taking the snapshot with no await between them: no request is missed
        # and none is sent twice.
        with self._approvers.subscribe(request.message() for request in waiting) as requests:
            reader = asyncio.ensure_future(self._read_answers(answers, requests))
            try:
                async for request in requests:
                    if self._is_pending(request.request_id):
                        yield request
                reader.result()  # re-raises a failure of the answer stream
            finally:
                reader.cancel()

    def _is_pending(self, request_id: int) -> bool:
        request = self._pending.get(request_id)
        return request is not None and not request.decision.done()

    async def _read_answers(
        self,
        answers: AsyncIterator[hub_server_pb2.AuthenticationByRequestAnswer],
        requests: Subscriber[hub_server_pb2.AuthenticationByRequestRequest],
    ) -> None:
        """Record each answer; when the answers end, so does the approver's request stream."""
        try:
            async for answer in answers:
                self.answer(answer.request_id, answer.accept)
        except FailedPrecondition as error:
            log.info("approver answered too late: %s", error.message)
            requests.end(error)
        finally:
            requests.close()

    def _remember(self, request_id: int, outcome: str) -> None:
        self._outcomes[request_id] = outcome
        while len(self._outcomes) > REMEMBERED_OUTCOMES:
            self._outcomes.popitem(last=False)

    def _not_pending(self, request_id: int, request: PendingRequest | None) -> str:
        if request is not None:  # decided, its joiner not yet told
            decided = "accepted" if request.decision.result() else "rejected"
            return f"join request {request_id} was already {decided} by another answer"
        outcome = self._outcomes.get(request_id)
        if outcome is None:
            return f"join request {request_id} is unknown to this hub"
        if outcome in ("accepted", "rejected"):
            return f"join request {request_id} was already {outcome} by another answer"
        return f"join request {request_id} is no longer pending: it was {outcome}"
