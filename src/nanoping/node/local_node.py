"""This node as the API shows it: id, name, metadata, services, and how its details may change."""

from __future__ import annotations

import socket
from collections.abc import Sequence

from nanoping.api import hub_node_pb2
from nanoping.errors import PermissionDenied
from nanoping.limits import check_details
from nanoping.storage.local_node import LocalNodeStore


class LocalNode:
    """The running node's own record, persisted through :class:`LocalNodeStore`."""

    def __init__(
        self,
        *,
        store: LocalNodeStore,
        services: Sequence[hub_node_pb2.NodeService],
        config_name: str | None,
        config_file: str | None,
    ) -> None:
        record = store.load_or_create()
        self._store = store
        self.id = record.id
        self.services = tuple(services)
        self._config_name = config_name
        self._config_file = config_file
        self._name = record.name
        self._hostname = socket.gethostname()  # the default name is the hostname at start-up
        self._metadata = hub_node_pb2.NodeMetadata.FromString(record.metadata)

    @property
    def name(self) -> str:
        """Name from the config file, else the one set by setNode, else the hostname."""
        return self._config_name or self._name or self._hostname

    @property
    def metadata(self) -> hub_node_pb2.NodeMetadata:
        return self._metadata

    def as_proto(self, *, online: bool) -> hub_node_pb2.Node:
        node = hub_node_pb2.Node(id=self.id, name=self.name, online=online)
        node.services.extend(self.services)
        node.metadata.CopyFrom(self._metadata)
        return node

    def set_details(self, *, name: str, metadata: hub_node_pb2.NodeMetadata) -> None:
        """Replace name and metadata (an empty name falls back to the hostname) and persist them."""
        if self._config_file is not None:
            raise PermissionDenied(
                f"node {self.id} is configured by {self._config_file}; "
                "change node.name there instead of calling setNode"
            )
        check_details(name, metadata)  # before anything is stored
        self._store.save_details(name=name or None, metadata=metadata.SerializeToString())
        self._name = name or None
        self._metadata = hub_node_pb2.NodeMetadata()
        self._metadata.CopyFrom(metadata)
