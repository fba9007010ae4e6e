"""The node daemon: opens the data dir, builds the services and serves the API doors.

Lifecycle (STYLE 10): :meth:`NodeDaemon.start` returns once every listener is bound, so the real
ports are known; :meth:`NodeDaemon.close` releases everything in reverse order.
"""

from __future__ import annotations

import logging
from contextlib import AsyncExitStack
from pathlib import Path

from nanoping.api import hub_node_pb2
from nanoping.config import NodeConfig
from nanoping.node.connection_state import ConnectionStateWatch
from nanoping.node.data_dir import DataDir
from nanoping.node.local_node import LocalNode
from nanoping.rpc.grpc_bridge import GrpcBridge
from nanoping.service.hub_client import HubClientService
from nanoping.service.method_table import MethodTable
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

    @property
    def node_id(self) -> str:
        assert self.local_node is not None, "start() first"
        return self.local_node.id

    async def start(self) -> None:
        """Open storage and bind every configured listener; on failure nothing stays open."""
        try:
            await self._start()
        except BaseException:
            await self._resources.aclose()
            raise

    async def _start(self) -> None:
        data_dir = DataDir.open(self.data_dir_path)
        self._resources.callback(data_dir.close)
        database = Database.open(data_dir.database_path)
        self._resources.callback(database.close)
        self.local_node = LocalNode(
            store=LocalNodeStore(database),
            services=self._services(),
            config_name=self.config.name,
            config_file=str(self.config.config_file) if self.config.config_file else None,
        )
        connection = ConnectionStateWatch(hosts_hub=self.config.hub_server is not None)
        table = MethodTable.build(
            {
                "nanopinggrpc.hub.HubClientService": HubClientService(
                    local_node=self.local_node, connection=connection
                ),
            }
        )
        if self.config.grpc_address is not None:
            bridge = GrpcBridge(table, self.config.grpc_address)
            await bridge.start()
            self._resources.push_async_callback(bridge.close)
            self.grpc_bridge = bridge
        log.info(
            "node %s (%s) started, data dir %s", self.node_id, self.local_node.name, data_dir.path
        )

    def _services(self) -> list[hub_node_pb2.NodeService]:
        services: list[hub_node_pb2.NodeService] = []
        if self.config.hub_server is not None:
            services.append(hub_node_pb2.HUB_SERVER)
        if self.config.pipelines_enabled:
            services.append(hub_node_pb2.PIPELINES)
        return services

    def listening(self) -> dict[str, str]:
        """What listens where, for the start-up banner."""
        bound: dict[str, str] = {}
        if self.grpc_bridge is not None:
            bound["gRPC API"] = self.grpc_bridge.bound_address
        return bound

    async def close(self) -> None:
        """Stop serving and release the data dir."""
        await self._resources.aclose()
        log.info("node stopped")
