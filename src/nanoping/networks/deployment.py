"""Brings each member node's pipelines in line with its network pipeline records.

Runs on the networks node and reaches every node through the routed API (PipelinesService
calls naming the node), so a member's network pipelines are ordinary pipelines there: created
with startup policy *auto* and restart policy *always* while enabled, so the node itself starts
them again after a restart or crash, even while the hub is away.

Per record: removed -> delete it from the node (gone already is fine) and forget it; never
deployed, or deleted on the node behind our back -> create it; config changed -> update it
(a running one restarts with the new config); then start or stop it to match ``enabled``.
An offline node is skipped and caught up when it connects again (the service calls
:meth:`Deployer.reconcile` then). One node is reconciled at a time (a lock per node).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import replace

from google.protobuf.message import Message

from nanoping.api import network_instances_pb2, pipelines_pb2
from nanoping.errors import NanoPingError, NotFound, Unavailable
from nanoping.networks.activity_log import ActivityLog
from nanoping.networks.feeds import NetworkFeeds
from nanoping.networks.records import InstanceRecord, NetworkPipelineRecord
from nanoping.networks.store import NetworkStore
from nanoping.pipelines.settings import DEFAULT_INSTRUCTIONS_TIMEOUT
from nanoping.service.method_table import MethodTable

log = logging.getLogger(__name__)

PIPELINES = "/nanopinggrpc.pipeline.PipelinesService/"
CALL_TIMEOUT = 30.0
"""Seconds one call to a member may take before its reconciliation is given up for now."""


class Deployer:
    """Applies network pipeline records to their nodes."""

    def __init__(
        self,
        *,
        store: NetworkStore,
        table: Callable[[], MethodTable],
        feeds: NetworkFeeds,
        activity: ActivityLog,
    ) -> None:
        self._store = store
        self._table = table
        self._feeds = feeds
        self._activity = activity
        self._locks: dict[str, asyncio.Lock] = {}

    async def reconcile(self, node_ids: Iterable[str]) -> None:
        """Reconcile several nodes concurrently; failures are logged, never raised."""
        await asyncio.gather(*(self.reconcile_node(node_id) for node_id in set(node_ids)))

    async def reconcile_node(self, node_id: str) -> None:
        lock = self._locks.setdefault(node_id, asyncio.Lock())
        async with lock:
            for record in self._store.pipelines(node_id=node_id):
                try:
                    async with asyncio.timeout(CALL_TIMEOUT):
                        await self._apply(record)
                except (NanoPingError, TimeoutError) as error:
                    self._failed(record, error)
                    if isinstance(error, Unavailable | TimeoutError):
                        break  # the node is away: the rest waits for its return
            self._drop_empty_instances(node_id)

    def _failed(self, record: NetworkPipelineRecord, error: Exception) -> None:
        message = getattr(error, "message", None) or "no answer in time"
        log.info("network pipeline %s on node %s: %s", record.id, record.node_id, message)
        self._activity.error(
            record.instance_id,
            f"pipeline '{record.pipeline_name}' could not be deployed yet: {message}",
        )

    async def _apply(self, record: NetworkPipelineRecord) -> None:
        if record.removed:
            await self._remove(record)
            return
        current = await self._current(record)
        if current is None:
            record = await self._create(record)
        else:
            if not record.enabled and current.started:
                await self._stop(record)  # before an update, which would restart it
            if record.deployed_config != record.config or current.name != record.pipeline_name:
                record = await self._update(record)
            current = await self._current(record)
        if record.enabled and (current is None or not current.started):
            await self._start(record)

    async def _current(self, record: NetworkPipelineRecord) -> pipelines_pb2.Pipeline | None:
        if record.pipeline_id is None:
            return None
        request = pipelines_pb2.GetPipelineByIdRequest(
            node_id=record.node_id, id=record.pipeline_id
        )
        try:
            response = await self._call("getPipelineById", request)
        except NotFound:
            return None
        assert isinstance(response, pipelines_pb2.GetPipelineByIdResponse)
        return response.pipeline

    async def _create(self, record: NetworkPipelineRecord) -> NetworkPipelineRecord:
        request = pipelines_pb2.CreatePipelineRequest(
            node_id=record.node_id,
            name=record.pipeline_name,
            json_config=record.config,
            default_logging_level="INFO",
            instructions_timeout=DEFAULT_INSTRUCTIONS_TIMEOUT,
        )
        _policies(request, record)
        response = await self._call("createPipeline", request)
        assert isinstance(response, pipelines_pb2.CreatePipelineResponse)
        created = record.pipeline_id is None
        record = replace(record, pipeline_id=response.pipeline.id, deployed_config=record.config)
        self._store.save_pipeline(record)
        self._activity.info(record.instance_id, f"pipeline '{record.pipeline_name}' created")
        self.publish_pipeline(record, "create" if created else "update")
        return record

    async def _update(self, record: NetworkPipelineRecord) -> NetworkPipelineRecord:
        assert record.pipeline_id is not None
        request = pipelines_pb2.UpdatePipelineRequest(
            node_id=record.node_id,
            id=record.pipeline_id,
            name=record.pipeline_name,
            json_config=record.config,
            default_logging_level="INFO",
            instructions_timeout=DEFAULT_INSTRUCTIONS_TIMEOUT,
            force_restart=True,
        )
        _policies(request, record)
        await self._call("updatePipeline", request)
        record = replace(record, deployed_config=record.config)
        self._store.save_pipeline(record)
        self._activity.info(record.instance_id, f"pipeline '{record.pipeline_name}' updated")
        self.publish_pipeline(record, "update")
        return record

    async def _start(self, record: NetworkPipelineRecord) -> None:
        request = pipelines_pb2.StartPipelineRequest(node_id=record.node_id, id=record.pipeline_id)
        await self._call("startPipeline", request)
        self._activity.info(record.instance_id, f"pipeline '{record.pipeline_name}' started")

    async def _stop(self, record: NetworkPipelineRecord) -> None:
        request = pipelines_pb2.StopPipelineRequest(node_id=record.node_id, id=record.pipeline_id)
        await self._call("stopPipeline", request)
        self._activity.info(record.instance_id, f"pipeline '{record.pipeline_name}' stopped")

    async def _remove(self, record: NetworkPipelineRecord) -> None:
        if record.pipeline_id is not None:
            request = pipelines_pb2.DeletePipelineRequest(
                node_id=record.node_id, id=record.pipeline_id
            )
            with contextlib.suppress(NotFound):
                await self._call("deletePipeline", request)
        self._store.forget_pipeline(record.id)
        self._activity.info(record.instance_id, f"pipeline '{record.pipeline_name}' removed")
        self.publish_pipeline(record, "delete")

    def _drop_empty_instances(self, node_id: str) -> None:
        wanted = {record.instance_id for record in self._store.pipelines(node_id=node_id)}
        members = self.member_nodes()
        for instance in self._store.instances(node_id=node_id):
            if instance.id in wanted or (instance.network_id, node_id) in members:
                continue
            self._store.forget_instance(instance.id)
            self.publish_instance(instance, "delete")

    def member_nodes(self) -> set[tuple[str, str]]:
        """(network id, node id) of every current membership."""
        return {
            (network_id, node.node_id)
            for network_id, network in self._store.networks()
            for node in network.nodes
        }

    async def _call(self, method: str, request: Message) -> Message:
        handler = self._table()[PIPELINES + method].handler
        response: Message = await handler(request)  # type: ignore[misc]
        return response

    # ---- events -----------------------------------------------------------------------------

    def instance_message(self, instance: InstanceRecord) -> network_instances_pb2.NetworkInstance:
        pipelines = self._store.pipelines(instance_id=instance.id, removed=0)
        name = ""
        with contextlib.suppress(NotFound):
            name = self._store.network(instance.network_id).name
        return network_instances_pb2.NetworkInstance(
            id=instance.id,
            network_id=instance.network_id,
            network_name=name,
            pipeline_ids=[record.pipeline_id for record in pipelines if record.pipeline_id],
        )

    def publish_instance(self, instance: InstanceRecord, kind: str) -> None:
        message = self.instance_message(instance)
        event = network_instances_pb2.StreamNetworkInstanceEvent()
        getattr(event, kind).network_instance.CopyFrom(message)
        self._feeds.instances.publish((instance.node_id, event))

    def publish_pipeline(self, record: NetworkPipelineRecord, kind: str) -> None:
        event = network_instances_pb2.StreamNetworkPipelineEvent()
        getattr(event, kind).network_pipeline.CopyFrom(pipeline_message(record))
        self._feeds.pipelines.publish((record.node_id, event))
        instance = self._store.instance(record.instance_id)
        if instance is not None:
            self.publish_instance(instance, "update")  # a pipeline change updates its instance


def pipeline_message(record: NetworkPipelineRecord) -> network_instances_pb2.NetworkPipeline:
    """The API's view of a network pipeline record."""
    return network_instances_pb2.NetworkPipeline(
        id=record.id,
        network_id=record.network_id,
        instance_id=record.instance_id,
        blueprint_id=record.blueprint_id,
        pipeline_id=record.pipeline_id or "",
        pipeline_name=record.pipeline_name,
        enabled=record.enabled,
    )


def _policies(
    request: pipelines_pb2.CreatePipelineRequest | pipelines_pb2.UpdatePipelineRequest,
    record: NetworkPipelineRecord,
) -> None:
    request.restart_policy.always.max_restarts = 0
    if record.enabled:
        request.startup_policy.auto.SetInParent()
    else:
        request.startup_policy.manual.SetInParent()
    if record.reference_node_id is not None:
        request.node_reference_id = record.reference_node_id
