"""The networks node's logic: networks, blueprints, instances, and keeping them deployed.

API glue lives in :mod:`nanoping.service.networks`; this class holds the rules. Every change
is planned first (members, addresses, rendering, config checks), stored in one transaction,
published to the change streams, and then deployed to the members before the call returns
(offline members catch up when they connect).
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterable, Sequence
from dataclasses import replace
from pathlib import Path

from nanoping.api import (
    config_pb2,
    hub_node_pb2,
    hub_server_pb2,
    network_instances_pb2,
    networks_pb2,
)
from nanoping.errors import (
    FailedPrecondition,
    InvalidArgument,
    NanoPingError,
    NotFound,
    PermissionDenied,
)
from nanoping.networks import planning
from nanoping.networks.activity_log import ActivityLog
from nanoping.networks.builtin import BUILTIN, DEFAULT_FOR_ROLE, RELAY_ID
from nanoping.networks.deployment import Deployer
from nanoping.networks.feeds import NetworkFeeds
from nanoping.networks.records import BlueprintRecord, InstanceRecord, NetworkPipelineRecord
from nanoping.networks.store import NetworkStore
from nanoping.quoting import quoted
from nanoping.service.method_table import MethodTable
from nanoping.templating import Template, TemplateError

log = logging.getLogger(__name__)

CARRIERS = "/nanopinggrpc.hub.ConfigService/getDefaultNetworkCarriers"
CARRIERS_TIMEOUT = 10.0
"""Seconds to wait for a member's default carriers when a network is created."""
MAX_TEMPLATE = 64 * 1024
"""Characters a blueprint template may have."""

Registry = Callable[[], Sequence[hub_node_pb2.Node]]


class NetworkController:
    """Networks, blueprints and instances of the cluster, kept on the networks node."""

    def __init__(
        self,
        *,
        store: NetworkStore,
        node_id: str,
        nodes: Registry,
        table: Callable[[], MethodTable],
        activity: ActivityLog,
    ) -> None:
        self.store = store
        self.node_id = node_id
        self._nodes = nodes
        self._table = table
        self.activity = activity
        self.feeds = NetworkFeeds()
        self.deployer = Deployer(store=store, table=table, feeds=self.feeds, activity=activity)
        self._tasks: set[asyncio.Task[None]] = set()

    def follow(self, updates: AsyncIterator[hub_server_pb2.StreamNodesResponse]) -> None:
        """Keep up with the hub's members (in the background): catch up nodes that connect,
        take removed ones out of their networks, and bring every online member up to date."""

        async def run() -> None:
            async for response in updates:
                if response.HasField("initialResponse"):
                    online = [n.id for n in response.initialResponse.nodes if n.online]
                    self._background(self.deployer.reconcile(online))
                else:
                    self.node_changed(response.updateResponse)

        self._background(run())

    def close(self) -> None:
        """End the change and log streams; stop background deployments."""
        self.feeds.close()
        self.activity.closed.set()
        for task in self._tasks:
            task.cancel()

    def network_log_path(self, network_id: str) -> Path:
        """The log file of a network; NOT_FOUND when there is no such network."""
        self.store.network(network_id)
        return self.activity.path(network_id)

    def instance_log_path(self, instance_id: str) -> Path:
        """The log file of a network instance; NOT_FOUND when there is no such instance."""
        if self.store.instance(instance_id) is None:
            raise NotFound(f"no network instance with id {quoted(instance_id)}")
        return self.activity.path(instance_id)

    # ---- blueprints ---------------------------------------------------------------------------

    def blueprints(self) -> dict[str, BlueprintRecord]:
        """Built-in and user blueprints by id."""
        found = dict(BUILTIN)
        found.update((record.id, record) for record in self.store.blueprints())
        return found

    def blueprint(self, blueprint_id: str) -> BlueprintRecord:
        found = self.blueprints().get(blueprint_id)
        if found is None:
            raise NotFound(f"no blueprint with id '{blueprint_id[:80]}'")
        return found

    def create_blueprint(self, name: str, template: str) -> BlueprintRecord:
        record = BlueprintRecord(str(uuid.uuid4()), *_checked_blueprint(name, template))
        self.store.save_blueprint(record)
        return record

    async def update_blueprint(
        self, blueprint_id: str, name: str, template: str
    ) -> BlueprintRecord:
        current = self._writable(blueprint_id)
        checked_name, checked_template = _checked_blueprint(name, template)
        record = replace(current, name=checked_name, template=checked_template)
        blueprints = self.blueprints() | {record.id: record}
        records: list[NetworkPipelineRecord] = []
        for network_id, network in self.store.networks():
            if blueprint_id in _blueprint_ids(network):
                records += self._plan(network_id, network, blueprints)[1]
        self.store.save_blueprint(record, records)
        await self._deployed(records)
        return record

    def delete_blueprint(self, blueprint_id: str) -> None:
        self._writable(blueprint_id)
        users = [n.name for _, n in self.store.networks() if blueprint_id in _blueprint_ids(n)]
        if users:
            raise FailedPrecondition(
                f"blueprint {blueprint_id} is used by networks {', '.join(users)}; "
                "change their blueprints first"
            )
        self.store.delete_blueprint(blueprint_id)

    def _writable(self, blueprint_id: str) -> BlueprintRecord:
        if blueprint_id in BUILTIN:
            raise PermissionDenied(f"blueprint {blueprint_id} is built in and read-only")
        record = self.store.blueprint(blueprint_id)
        if record is None:
            raise NotFound(f"no blueprint with id '{blueprint_id[:80]}'")
        return record

    # ---- networks -----------------------------------------------------------------------------

    async def create_network(
        self, network: networks_pb2.Network
    ) -> tuple[str, networks_pb2.Network]:
        network = self._checked(network)
        candidates = await self._candidates()
        if network.blueprints.relay_blueprint in ("", RELAY_ID):
            _require_relay_address(network, candidates)
        del network.nodes[:]
        network.nodes.extend(planning.new_members(network, candidates))
        planning.check_members(network)
        network_id = str(uuid.uuid4())
        instances, records = self._plan(network_id, network, self.blueprints())
        self.store.save_network(network_id, network, records, instances)
        self.activity.info(
            network_id, f"network '{network.name}' created with {len(network.nodes)} members"
        )
        self._publish_network("create", network)
        for instance in instances:
            self.deployer.publish_instance(instance, "create")
        await self._deployed(records)
        return network_id, network

    async def update_network(
        self, network_id: str, network: networks_pb2.Network
    ) -> networks_pb2.Network:
        current = self.store.network(network_id)
        network = self._checked(network)
        members = planning.updated_members(current.nodes, network.nodes)
        del network.nodes[:]
        network.nodes.extend(members)
        planning.check_members(network)
        instances, records = self._plan(network_id, network, self.blueprints())
        self.store.save_network(network_id, network, records, instances)
        self.activity.info(network_id, f"network '{network.name}' updated")
        self._publish_network("update", network)
        await self._deployed(records)
        return network

    async def delete_network(self, network_id: str) -> None:
        network = self.store.network(network_id)
        records = [replace(r, removed=True) for r in self.store.pipelines(network_id=network_id)]
        self.store.delete_network(network_id, records)
        self.activity.info(network_id, f"network '{network.name}' deleted")
        self._publish_network("delete", network)
        await self._deployed(records, all_nodes={node.node_id for node in network.nodes})

    def _checked(self, network: networks_pb2.Network) -> networks_pb2.Network:
        checked = networks_pb2.Network()
        checked.CopyFrom(network)
        checked.name = planning.check_name(network.name, "network")
        planning.subnet(checked)
        planning.parameters(checked.parameters, "network parameters")
        if not checked.relay_node_id:
            checked.relay_node_id = self.node_id
        if checked.relay_node_id != self.node_id:
            raise InvalidArgument(
                f"relay_node_id must be the networks node {self.node_id}, "
                f"got {checked.relay_node_id[:80]!r}"
            )
        planning.check_blueprint_ids(checked, self.blueprints())
        return checked

    def _plan(
        self, network_id: str, network: networks_pb2.Network, blueprints: dict[str, BlueprintRecord]
    ) -> tuple[list[InstanceRecord], list[NetworkPipelineRecord]]:
        planned = planning.render_network(network_id, network, blueprints)
        existing = self.store.pipelines(network_id=network_id)
        instances = {
            instance.node_id: instance
            for instance in self.store.instances()
            if instance.network_id == network_id
        }
        for node in network.nodes:  # every member has an instance, even with no pipelines
            instances.setdefault(
                node.node_id, InstanceRecord(str(uuid.uuid4()), network_id, node.node_id)
            )
        return planning.merge(network_id, planned, existing, instances)

    async def _candidates(self) -> list[planning.Candidate]:
        nodes = [
            node
            for node in self._nodes()
            if node.online and hub_node_pb2.PIPELINES in node.services
        ]
        carriers = await asyncio.gather(*(self._default_carriers(node.id) for node in nodes))
        return [
            planning.Candidate(node.id, found) for node, found in zip(nodes, carriers, strict=True)
        ]

    async def _default_carriers(self, node_id: str) -> list[networks_pb2.Carrier]:
        request = config_pb2.GetDefaultNetworkCarriersRequest(node_id=node_id)
        try:
            async with asyncio.timeout(CARRIERS_TIMEOUT):
                response = await self._table()[CARRIERS].handler(request)  # type: ignore[misc]
        except (NanoPingError, TimeoutError) as error:
            log.info("no default carriers from node %s: %s", node_id, error)
            return []
        return [_carrier(default) for default in response.carriers]

    async def _deployed(
        self, records: Iterable[NetworkPipelineRecord], *, all_nodes: Iterable[str] = ()
    ) -> None:
        await self.deployer.reconcile({record.node_id for record in records} | set(all_nodes))

    def _publish_network(self, kind: str, network: networks_pb2.Network) -> None:
        event = networks_pb2.StreamNetworksEvent()
        getattr(event, kind).network.CopyFrom(network)
        self.feeds.networks.publish(event)

    # ---- membership changes in the hub --------------------------------------------------------

    def node_changed(self, update: hub_server_pb2.StreamNodesUpdateResponse) -> None:
        """A node connected (catch it up) or was removed from the hub (drop it)."""
        kind = update.WhichOneof("update")
        if kind == "connectedNode":
            self._background(self.deployer.reconcile_node(update.connectedNode.id))
        elif kind == "deauthenticatedNode":
            self._background(self.remove_member(update.deauthenticatedNode.id))

    async def remove_member(self, node_id: str) -> None:
        """Take a node out of every network it is in (it left the hub)."""
        touched: set[str] = set()
        for network_id, network in self.store.networks():
            if not any(node.node_id == node_id for node in network.nodes):
                continue
            kept = [node for node in network.nodes if node.node_id != node_id]
            del network.nodes[:]
            network.nodes.extend(kept)
            try:
                instances, records = self._plan(network_id, network, self.blueprints())
            except NanoPingError as error:
                self.activity.error(network_id, f"cannot remove node {node_id}: {error.message}")
                continue
            gone = [
                replace(r, removed=True)
                for r in self.store.pipelines(network_id=network_id, node_id=node_id)
            ]
            self.store.save_network(network_id, network, records + gone, instances)
            self.activity.info(network_id, f"node {node_id} left the hub and the network")
            self._publish_network("update", network)
            touched |= {record.node_id for record in records} | {node_id}
        await self.deployer.reconcile(touched)

    def _background(self, work: Coroutine[object, object, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ---- instances ------------------------------------------------------------------------------

    def pipelines_of(self, node_id: str) -> list[NetworkPipelineRecord]:
        return [r for r in self.store.pipelines(node_id=node_id) if not r.removed]

    async def toggle(self, node_id: str, *, pipeline_id: str | None, record_id: str | None) -> None:
        for record in self.pipelines_of(node_id):
            if record.pipeline_id == pipeline_id or record.id == record_id:
                break
        else:
            chosen = pipeline_id if pipeline_id is not None else record_id
            raise NotFound(f"no network pipeline {chosen!r} on node {node_id}")
        record = replace(record, enabled=not record.enabled, deployed_config=None)
        self.store.save_pipeline(record)
        self.deployer.publish_pipeline(record, "update")
        await self.deployer.reconcile_node(node_id)

    def require_pipelines_node(self, node_id: str) -> None:
        """NOT_FOUND for a node the hub does not know, FAILED_PRECONDITION without pipelines."""
        for node in self._nodes():
            if node.id == node_id:
                if hub_node_pb2.PIPELINES not in node.services:
                    raise FailedPrecondition(f"node {node_id} does not have pipelines enabled")
                return
        raise NotFound(f"node {node_id[:80]} is not a member of this hub")

    def instance_messages(self, node_id: str) -> list[network_instances_pb2.NetworkInstance]:
        return [self.deployer.instance_message(i) for i in self.store.instances(node_id=node_id)]


def _checked_blueprint(name: str, template: str) -> tuple[str, str]:
    name = planning.check_name(name, "blueprint")
    if len(template) > MAX_TEMPLATE:
        raise InvalidArgument(f"template is longer than {MAX_TEMPLATE} characters")
    try:
        Template.parse(template, name=name)
    except TemplateError as error:
        raise InvalidArgument(
            f"template error at line {error.line}, column {error.column}: {error.message}"
        ) from None
    return name, template


def _blueprint_ids(network: networks_pb2.Network) -> set[str]:
    return {
        getattr(network.blueprints, role) if network.blueprints.HasField(role) else default
        for role, default in DEFAULT_FOR_ROLE.items()
    }


def _carrier(default: config_pb2.DefaultNetworkCarrier) -> networks_pb2.Carrier:
    carrier = networks_pb2.Carrier()
    carrier.ParseFromString(default.SerializeToString())  # same field numbers and types
    return carrier


def _require_relay_address(
    network: networks_pb2.Network, candidates: Sequence[planning.Candidate]
) -> None:
    for candidate in candidates:
        if candidate.node_id == network.relay_node_id and not any(
            carrier.HasField("address") for carrier in candidate.carriers
        ):
            raise FailedPrecondition(
                f"the relay node {network.relay_node_id} has no default carrier with an "
                "address, which the default blueprints need (clients send to it): set one "
                "with setDefaultNetworkCarriers on the relay node first"
            )
