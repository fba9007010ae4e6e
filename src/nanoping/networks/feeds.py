"""The change streams of networks, network instances and network pipelines.

Each is a bounded :class:`~nanoping.streams.fanout.Fanout`: a reader that falls
``backlog`` events behind is ended with RESOURCE_EXHAUSTED instead of silently skipping.
Instance and pipeline events carry the node they belong to; readers keep their node's only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from google.protobuf.message import Message

from nanoping.api import network_instances_pb2, networks_pb2
from nanoping.errors import ResourceExhausted
from nanoping.streams.fanout import Fanout

BACKLOG = 1024
"""Events a reader may have queued before it is cut off."""


def _overflow(what: str) -> ResourceExhausted:
    return ResourceExhausted(
        f"{what} stream closed: this reader fell {BACKLOG} events behind; reopen it"
    )


class NetworkFeeds:
    """The three change streams of the networks node."""

    def __init__(self) -> None:
        self.networks: Fanout[networks_pb2.StreamNetworksEvent] = Fanout(
            backlog=BACKLOG, overflow=_overflow("network")
        )
        self.instances: Fanout[tuple[str, network_instances_pb2.StreamNetworkInstanceEvent]] = (
            Fanout(backlog=BACKLOG, overflow=_overflow("network instance"))
        )
        self.pipelines: Fanout[tuple[str, network_instances_pb2.StreamNetworkPipelineEvent]] = (
            Fanout(backlog=BACKLOG, overflow=_overflow("network pipeline"))
        )

    def close(self) -> None:
        """End every stream normally (node shutdown)."""
        self.networks.end()
        self.instances.end()
        self.pipelines.end()


def for_node(fanout: Fanout[tuple[str, Message]], node_id: str) -> AsyncIterator[Message]:
    """Subscribe now; the events of ``node_id`` only."""
    subscription = fanout.subscribe()

    async def events() -> AsyncIterator[Message]:
        with subscription:
            async for event_node, event in subscription:
                if event_node == node_id:
                    yield event

    return events()


def follow(fanout: Fanout[networks_pb2.StreamNetworksEvent]) -> AsyncIterator[Message]:
    """Subscribe now; every event."""
    subscription = fanout.subscribe()

    async def events() -> AsyncIterator[Message]:
        with subscription:
            async for event in subscription:
                yield event

    return events()
