"""Builds the networks services of the node hosting the hub (when networks are enabled)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

from nanoping.hub.server import HubServer
from nanoping.networks.activity_log import ActivityLog
from nanoping.networks.controller import NetworkController
from nanoping.networks.store import NetworkStore
from nanoping.service.method_table import MethodTable
from nanoping.service.networks import BlueprintsService, NetworkInstancesService, NetworksService
from nanoping.storage.database import Database


@dataclass
class NetworkServices:
    """The controller, its three API services, and how to start and stop it."""

    controller: NetworkController
    hub: HubServer
    implementations: dict[str, object]

    def start(self, resources: AsyncExitStack) -> None:
        """Follow the hub's members; stop (streams end) when ``resources`` close."""
        self.controller.follow(self.hub.registry.watch({}, []))
        resources.callback(self.controller.close)


def network_services(
    database: Database,
    data_dir: Path,
    node_id: str,
    hub: HubServer,
    routed: Callable[[], MethodTable],
) -> NetworkServices:
    """The networks node's services, reaching members through the ``routed`` table."""
    controller = NetworkController(
        store=NetworkStore(database),
        node_id=node_id,
        nodes=hub.registry.nodes,
        table=routed,
        activity=ActivityLog(data_dir / "networks"),
    )
    implementations: dict[str, object] = {
        "nanopinggrpc.networks.Networks": NetworksService(controller),
        "nanopinggrpc.networks.Blueprints": BlueprintsService(controller),
        "nanopinggrpc.networks.NetworkInstances": NetworkInstancesService(controller),
    }
    return NetworkServices(controller, hub, implementations)
