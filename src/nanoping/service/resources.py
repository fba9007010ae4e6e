"""ResourcesService: live metrics of the node's machine and process, and its network flows.

- openMetricsStream: a sample right away (rates over its first quarter second), then one every
  second, until the caller cancels or the node stops. One sampler serves every watcher and runs
  only while there is one.
- openFlowsStream: a snapshot of the flow table right away, then about one a second; packets
  are captured only while someone watches (:mod:`nanoping.resources.flow_capture`). Without
  the privilege to capture, the stream fails with PERMISSION_DENIED saying so.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TypeVar

from nanoping.api import resources_pb2
from nanoping.errors import NotFound
from nanoping.resources.flow_capture import FlowCapture
from nanoping.resources.sampler import MetricsSampler
from nanoping.resources.watched_feed import WatchedFeed
from nanoping.streams.fanout import Subscriber

T = TypeVar("T")

SERVICE_NAME = "nanopinggrpc.resources.ResourcesService"
"""Key of this implementation in the method table."""


class ResourcesService:
    """Implements ``nanopinggrpc.resources.ResourcesService`` on one node."""

    def __init__(
        self,
        *,
        node_id: str,
        sampler: MetricsSampler,
        capture: FlowCapture | None = None,
    ) -> None:
        self._node_id = node_id
        self.sampler = sampler
        self.metrics: WatchedFeed[resources_pb2.MetricsSample] = WatchedFeed(
            sampler.produce, name="metrics sampler"
        )
        self.capture = capture or FlowCapture()
        self.flows: WatchedFeed[resources_pb2.FlowsSample] = WatchedFeed(
            self.capture.produce, name="flow capture"
        )

    async def close(self) -> None:
        """End every stream and stop sampling and capturing (node shutdown)."""
        await self.metrics.close()
        await self.flows.close()

    def open_metrics_stream(
        self, request: resources_pb2.OpenMetricsStreamRequest
    ) -> AsyncIterator[resources_pb2.MetricsSample]:
        """Watch now, at call time; then stream the samples."""
        self._require_local(request.node_id)
        return _follow(self.metrics.subscribe())

    def open_flows_stream(
        self, request: resources_pb2.OpenFlowsStreamRequest
    ) -> AsyncIterator[resources_pb2.FlowsSample]:
        """Start capturing (if nobody watched yet) now; then stream the snapshots."""
        self._require_local(request.node_id)
        if not self.flows.running:
            self.capture.check_privilege()
        return _follow(self.flows.subscribe())

    def _require_local(self, node_id: str) -> None:
        if node_id and node_id != self._node_id:
            raise NotFound(
                f"node {node_id} is unknown: this node's id is {self._node_id} and the call "
                "was not routed elsewhere"
            )


async def _follow(watcher: Subscriber[T]) -> AsyncIterator[T]:
    with watcher:
        async for item in watcher:
            yield item
