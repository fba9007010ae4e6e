"""The node daemon: opens the data dir, builds the services and serves the API doors.

Lifecycle (STYLE 10): :meth:`NodeDaemon.start` returns once every listener is bound, so the real
ports are known; :meth:`NodeDaemon.close` releases everything in reverse order.
"""

from __future__ import annotations

import asyncio
import logging
from contextlib import AsyncExitStack
from pathlib import Path

from starlette.applications import Starlette

from nanoping.api import hub_node_pb2
from nanoping.config import NodeConfig
from nanoping.dashboard import DashboardSite, dashboard_url
from nanoping.gateway import RestGateway
from nanoping.hub.client import HubClient
from nanoping.hub.membership import MembershipStore
from nanoping.hub.registry import NodeRegistry
from nanoping.hub.router import CallRouter
from nanoping.hub.server import HubServer
from nanoping.internal import run_history_pb2
from nanoping.link import LinkConfiguration
from nanoping.logs.app_log import AppLog, app_log_path
from nanoping.net.descriptor_budget import fitted, raise_open_files_limit
from nanoping.net.http_listener import HttpListener
from nanoping.networks.carriers import CarrierStore
from nanoping.node import garbage_collection
from nanoping.node.connection_state import CONNECTED, ConnectionStateWatch
from nanoping.node.data_dir import DataDir
from nanoping.node.health import HealthFront, NodeState, home_route
from nanoping.node.local_node import LocalNode
from nanoping.node.networks import network_services
from nanoping.node.observability import Observability
from nanoping.resources.prometheus import MetricsEndpoint, WithMetrics
from nanoping.rpc.grpc_bridge import GrpcBridge
from nanoping.service.config import ConfigService
from nanoping.service.hub_client import HubClientService
from nanoping.service.hub_server import HubServerService
from nanoping.service.method_table import MethodTable
from nanoping.service.pipelines import PipelinesService
from nanoping.service.run_history import RunHistoryService
from nanoping.storage.database import Database
from nanoping.storage.local_node import LocalNodeStore

log = logging.getLogger(__name__)


class NodeDaemon:
    """One running node."""

    def __init__(self, *, config: NodeConfig, data_dir: Path) -> None:
        self.config = config
        self.data_dir_path = data_dir
        self._resources = AsyncExitStack()
        self.local_node: LocalNode | None = None
        self.grpc_bridge: GrpcBridge | None = None
        self.http_listener: HttpListener | None = None
        self.rest_listener: HttpListener | None = None
        self._metrics: MetricsEndpoint | None = None
        self.state = NodeState.STARTING
        self._tasks: asyncio.TaskGroup | None = None
        self._http_limits = config.http_limits
        self._rest_limits = config.rest_limits

    @property
    def node_id(self) -> str:
        assert self.local_node is not None, "start() first"
        return self.local_node.id

    async def start(self) -> None:
        """Open storage and bind every configured listener; on failure nothing stays open."""
        try:
            await self._start()
        except BaseException:
            self.state = NodeState.STOPPING
            await self._resources.aclose()
            raise
        self.state = NodeState.UP

    async def _start(self) -> None:
        data_dir = DataDir.open(self.data_dir_path)
        self._resources.callback(data_dir.close)
        self.data_dir_path = data_dir.path
        app_log = AppLog(app_log_path(data_dir.path), rotation=self.config.log_rotation)
        app_log.attach()
        self._resources.callback(app_log.detach)
        database = Database.open(data_dir.database_path)
        self._resources.callback(database.close)
        # The owner of the node's long-lived tasks: closing waits for every one of them, after
        # the parts that started them (registered later, so closed earlier) told them to stop.
        tasks = self._tasks = await self._resources.enter_async_context(asyncio.TaskGroup())
        local = self.local_node = LocalNode(
            store=LocalNodeStore(database),
            services=self._services(),
            config_name=self.config.name,
            config_file=str(self.config.config_file) if self.config.config_file else None,
        )
        hosts_hub = self.config.hub_server is not None
        connection = ConnectionStateWatch(hosts_hub=hosts_hub)
        tables: list[MethodTable] = []
        hub = self._hub_server(database, local, lambda: tables[0]) if hosts_hub else None
        hub_client = HubClient(
            store=MembershipStore(database),
            local_node=local,
            state=connection,
            local_table=lambda: tables[0],
            tasks=tasks,
        )
        if hosts_hub:
            connection.set(CONNECTED)  # the hub node is a member of its own cluster
        implementations: dict[str, object] = {
            "nanopinggrpc.hub.HubClientService": HubClientService(
                local_node=local, connection=connection, hub_client=hub_client, hosts_hub=hosts_hub
            ),
        }
        if hub is not None:
            implementations["nanopinggrpc.hub.HubServerService"] = HubServerService(hub=hub)
            self._resources.push_async_callback(hub.close)
        pipelines: PipelinesService | None = None
        if self.config.pipelines_enabled:
            pipelines = PipelinesService(
                database=database,
                node_id=local.id,
                runs_dir=data_dir.runs_path,
                log_rotation=self.config.log_rotation,
                kept_runs=self.config.kept_runs,
            )
            implementations["nanopinggrpc.pipeline.PipelinesService"] = pipelines
            implementations["nanoping.internal.RunHistoryService"] = RunHistoryService(
                pipelines=pipelines, node_id=local.id
            )
        implementations["nanopinggrpc.hub.ConfigService"] = ConfigService(
            store=CarrierStore(database), node_id=local.id
        )
        routed_tables: list[MethodTable] = []
        networks = None
        if hub is not None and self.config.networks_on:
            networks = network_services(
                database, data_dir.path, local.id, hub, lambda: routed_tables[0]
            )
            implementations.update(networks.implementations)
        observability = Observability.build(
            node_id=local.id, data_dir=data_dir.path, app_log=app_log.path, pipelines=pipelines,
            hub=hub, networks=networks.controller if networks is not None else None,
        )  # fmt: skip
        implementations.update(observability.implementations())
        tables.append(MethodTable.build(implementations, internal=[run_history_pb2.DESCRIPTOR]))
        router = CallRouter(local=tables[0], local_node_id=local.id, hub=hub, hub_client=hub_client)
        self._metrics = observability.metrics
        self._http_limits, self._rest_limits = fitted(
            [self.config.http_limits, self.config.rest_limits], raise_open_files_limit()
        )
        await self._serve_http(hub)
        routed = router.table()
        routed_tables.append(routed)
        await self._serve_grpc(routed)
        await self._serve_rest(routed)
        self._resources.push_async_callback(observability.close)  # streams end before the doors
        if pipelines is not None:
            # Registered after the doors, so it runs before they close: change streams end
            # cleanly instead of being cut off when the grace period runs out.
            self._resources.callback(pipelines.close)
            # Registered after pipelines.close, so it runs first: runs stop, and the stops
            # reach the change streams, before those streams end.
            self._resources.push_async_callback(pipelines.stop_runs)
            pipelines.start_auto_pipelines()
        hub_client.start()
        self._resources.push_async_callback(hub_client.close)
        if networks is not None:
            networks.start(self._resources)
        for role, address in self.listening().items():
            log.info("%s listening on %s", role, address)
        data_dir.write_status(
            {
                "id": local.id,
                "name": local.name,
                "dataDir": str(data_dir.path),
                "listening": self.listening(),
            }
        )
        self._resources.callback(data_dir.remove_status)
        self._collect_on_schedule(tasks)
        log.info("node %s (%s) started, data dir %s", local.id, local.name, data_dir.path)

    def _collect_on_schedule(self, tasks: asyncio.TaskGroup) -> None:
        """Full garbage collections on a schedule, not whenever the heap grew (a hub's links)."""
        settings = garbage_collection.tune()
        self._resources.callback(garbage_collection.restore, settings)
        collector = tasks.create_task(
            garbage_collection.collect_on_schedule(), name="full garbage collections"
        )
        self._resources.callback(collector.cancel)

    def _hub_server(self, database: Database, local: LocalNode, table: object) -> HubServer:
        assert self.config.hub_server is not None
        registry = NodeRegistry(database=database, hub_node=lambda: local.as_proto(online=True))
        timeout = self.config.hub_server.link_timeout
        return HubServer(
            registry=registry,
            join_timeout=self.config.hub_server.join_timeout,
            local_table=table,  # type: ignore[arg-type]
            link_configuration=LinkConfiguration(
                heartbeat_interval=timeout / 3, heartbeat_timeout=timeout
            ),
            link_admission=self.config.hub_server.link_admission,
        )

    async def _serve_http(self, hub: HubServer | None) -> None:
        if self.config.http_address is None:
            return
        routes = hub.routes() if hub is not None else []
        app = Starlette(routes=[*routes, home_route(self.describe)])
        listener = HttpListener(
            HealthFront(WithMetrics(app, self._metrics), self.status),
            self.config.http_address,
            self._http_limits,
            tasks=self._tasks,
            gate=hub.link_door if hub is not None else None,
        )
        await listener.start()
        self._resources.push_async_callback(listener.close)
        self.http_listener = listener

    async def _serve_grpc(self, table: MethodTable) -> None:
        if self.config.grpc_address is None:
            return
        bridge = GrpcBridge(table, self.config.grpc_address)
        await bridge.start()
        self._resources.push_async_callback(bridge.close)
        self.grpc_bridge = bridge

    async def _serve_rest(self, table: MethodTable) -> None:
        if self.config.rest_address is None:
            return
        gateway = RestGateway(table, allowed_origins=self.config.rest_allowed_origins)
        listener = HttpListener(
            HealthFront(WithMetrics(DashboardSite(gateway), self._metrics), self.status),
            self.config.rest_address,
            self._rest_limits,
            tasks=self._tasks,
        )
        await listener.start()
        self._resources.push_async_callback(listener.close)
        self._resources.push_async_callback(gateway.close)  # runs first: streams end, then close
        self.rest_listener = listener

    def _services(self) -> list[hub_node_pb2.NodeService]:
        services: list[hub_node_pb2.NodeService] = []
        if self.config.hub_server is not None:
            services.append(hub_node_pb2.HUB_SERVER)
        if self.config.pipelines_enabled:
            services.append(hub_node_pb2.PIPELINES)
        services.extend((hub_node_pb2.LOGGING, hub_node_pb2.RESOURCES))
        return services

    def listening(self) -> dict[str, str]:
        """What listens where, for the start-up banner."""
        bound: dict[str, str] = {}
        if self.http_listener is not None:
            bound["HTTP (hub server)" if self.config.hub_server else "HTTP"] = (
                self.http_listener.bound_address
            )
        if self.grpc_bridge is not None:
            bound["gRPC API"] = self.grpc_bridge.bound_address
        if self.rest_listener is not None:
            bound["REST API"] = self.rest_listener.bound_address
            bound["dashboard"] = dashboard_url(self.rest_listener.bound_address)
        return bound

    def status(self) -> dict[str, object]:
        """The node's id, name and state (for ``/healthz``)."""
        local = self.local_node
        return {
            "id": local.id if local else "",
            "name": local.name if local else "",
            "state": self.state.value,
        }

    def describe(self) -> dict[str, object]:
        """What ``GET /`` on the hub port answers: the node, and where its APIs listen."""
        listening = self.listening()
        return {
            **self.status(),
            "hubServer": self.config.hub_server is not None,
            "grpcApi": listening.get("gRPC API"),
            "restApi": listening.get("REST API"),
            "health": "/healthz",
            "about": "a NanoPing node; manage it through its gRPC API (np --grpc HOST:PORT ...) "
            "or its REST API (/v1/...)",
        }

    async def close(self) -> None:
        """Stop serving and release the data dir."""
        self.state = NodeState.STOPPING
        await self._resources.aclose()
        log.info("node stopped")
