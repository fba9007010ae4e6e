"""The hub's node registry: who is a member, their details, who is online, and every change.

Membership, names, metadata and services persist in the hub's database; online flags live in
memory (every member starts offline when the hub starts and comes online when its link opens).
The node hosting the hub is a member of its own cluster, always online, described by a callback
so its current name and metadata are always used.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from dataclasses import dataclass

from nanoping.api import hub_node_pb2, hub_server_pb2
from nanoping.errors import NotFound, ResourceExhausted
from nanoping.hub.credential import new_secret, secret_hash, secret_matches
from nanoping.quoting import quoted
from nanoping.storage.database import Database
from nanoping.streams.fanout import Fanout

MIGRATIONS = (
    """
    CREATE TABLE hub_nodes (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        metadata BLOB NOT NULL,
        services TEXT NOT NULL,
        credential_hash BLOB NOT NULL
    )
    """,
)

WATCHER_BACKLOG = 10_000
"""Unread updates a streamNodes watcher may hold before it is ended (RESOURCE_EXHAUSTED).

Updates are coalesced per node (see :func:`_coalescing_key`), so a watcher falls this far
behind only by membership changes, or by a storm across more nodes than this."""

Update = hub_server_pb2.StreamNodesUpdateResponse


@dataclass
class Member:
    """One member node as the hub knows it."""

    node: hub_node_pb2.Node
    """Id, name, services, metadata and online flag."""
    credential_hash: bytes
    """Hash of the node's link credential."""
    index: _Index = dataclasses.field(init=False)
    """Metadata and services as plain Python values, so filters need no protobuf access."""

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Rebuild :attr:`index` after the node's metadata or services changed."""
        self.index = _index(self.node)


class NodeRegistry:
    """Members of the hub, persisted; publishes every change to its watchers."""

    def __init__(self, *, database: Database, hub_node: Callable[[], hub_node_pb2.Node]) -> None:
        database.migrate("hub_registry", MIGRATIONS)
        self._database = database
        self._hub_node = hub_node
        self._members = {member.node.id: member for member in self._load()}
        self._watchers: Fanout[Update] = Fanout(
            backlog=WATCHER_BACKLOG,
            overflow=ResourceExhausted(
                f"streamNodes watcher fell more than {WATCHER_BACKLOG} updates behind; reopen it"
            ),
            coalesce=_coalescing_key,
        )

    @property
    def hub_node_id(self) -> str:
        return self._hub_node().id

    def _load(self) -> list[Member]:
        rows = self._database.query(
            "SELECT id, name, metadata, services, credential_hash FROM hub_nodes"
        )
        return [
            Member(
                node=_node(
                    node_id=row["id"],
                    name=row["name"],
                    metadata=hub_node_pb2.NodeMetadata.FromString(row["metadata"]),
                    services=_services_from_text(row["services"]),
                    online=False,
                ),
                credential_hash=bytes(row["credential_hash"]),
            )
            for row in rows
        ]

    # -- reading -----------------------------------------------------------------------------

    def nodes(self) -> list[hub_node_pb2.Node]:
        """Every member, the hub node first."""
        return [self._hub_node(), *(_copy(member.node) for member in self._members.values())]

    def get(self, node_id: str) -> hub_node_pb2.Node:
        """One member's details; NotFound for a node that is not a member."""
        if node_id == self.hub_node_id:
            return self._hub_node()
        member = self._members.get(node_id)
        if member is None:
            raise NotFound(f"node {quoted(node_id)} is not a member of this hub")
        return _copy(member.node)

    def is_member(self, node_id: str) -> bool:
        return node_id == self.hub_node_id or node_id in self._members

    def is_online(self, node_id: str) -> bool:
        if node_id == self.hub_node_id:
            return True
        member = self._members.get(node_id)
        return member is not None and member.node.online

    def credential_matches(self, node_id: str, secret: str) -> bool:
        member = self._members.get(node_id)
        return member is not None and secret_matches(secret, member.credential_hash)

    def filtered(
        self,
        metadata_filters: Mapping[str, hub_node_pb2.NodeMetadataItem],
        service_filters: Sequence[int],
    ) -> list[hub_node_pb2.Node]:
        """Members having every filter key with an equal value of the same type, and every service."""
        return [_copy(node) for node in self.matching(metadata_filters, service_filters)]

    def matching(
        self,
        metadata_filters: Mapping[str, hub_node_pb2.NodeMetadataItem],
        service_filters: Sequence[int],
    ) -> list[hub_node_pb2.Node]:
        """Like :meth:`filtered` but the registry's own messages, to be copied, never changed.

        For building a response, which copies them anyway: with thousands of members a second
        copy cost as much as the rest of the call.
        """
        wanted = _Index(
            metadata={key: _value(item) for key, item in metadata_filters.items()},
            services=frozenset(service_filters),
        )
        hub = self._hub_node()
        found = [hub] if _index(hub).matches(wanted) else []
        found.extend(
            member.node for member in self._members.values() if member.index.matches(wanted)
        )
        return found

    # -- changing ----------------------------------------------------------------------------

    def admit(self, node: hub_node_pb2.Node) -> str:
        """Make ``node`` a member (again) with a fresh credential; returns the secret."""
        secret = new_secret()
        stored = _node(
            node_id=node.id,
            name=node.name,
            metadata=node.metadata,
            services=list(node.services),
            online=False,
        )
        with self._database.transaction() as connection:
            connection.execute(
                "INSERT INTO hub_nodes (id, name, metadata, services, credential_hash) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET name = excluded.name, "
                "metadata = excluded.metadata, services = excluded.services, "
                "credential_hash = excluded.credential_hash",
                (
                    node.id,
                    node.name,
                    node.metadata.SerializeToString(),
                    _services_to_text(node.services),
                    secret_hash(secret),
                ),
            )
        self._members[node.id] = Member(node=stored, credential_hash=secret_hash(secret))
        self._watchers.publish(Update(authenticatedNode=_copy(stored)))
        return secret

    def remove(self, node_id: str) -> hub_node_pb2.Node:
        """End a node's membership; its credential stops working at once."""
        if node_id == self.hub_node_id:
            raise NotFound(f"node {quoted(node_id)} hosts this hub and cannot be removed from it")
        member = self._members.get(node_id)
        if member is None:
            raise NotFound(f"node {quoted(node_id)} is not a member of this hub")
        with self._database.transaction() as connection:
            connection.execute("DELETE FROM hub_nodes WHERE id = ?", (node_id,))
        del self._members[node_id]
        member.node.online = False
        self._watchers.publish(Update(deauthenticatedNode=_copy(member.node)))
        return member.node

    def set_online(self, node_id: str, online: bool) -> None:
        """Record that a member's link opened or closed."""
        member = self._members.get(node_id)
        if member is None or member.node.online == online:
            return
        member.node.online = online
        if not self._watchers.subscriber_count:
            return  # nobody to tell: spare the copy, 10,000 times over in a reconnect storm
        update = (
            Update(connectedNode=_copy(member.node))
            if online
            else Update(disconnectedNode=_copy(member.node))
        )
        self._watchers.publish(update)

    def update_details(self, advertised: hub_node_pb2.Node) -> None:
        """Take a member's advertised name, metadata and services; publish what changed."""
        member = self._members.get(advertised.id)
        if member is None:
            return
        node = member.node
        name_changed = node.name != advertised.name
        metadata_changed = node.metadata != advertised.metadata
        services_changed = list(node.services) != list(advertised.services)
        if not (name_changed or metadata_changed or services_changed):
            return
        node.name = advertised.name
        node.metadata.CopyFrom(advertised.metadata)
        del node.services[:]
        node.services.extend(advertised.services)
        member.reindex()
        with self._database.transaction() as connection:
            connection.execute(
                "UPDATE hub_nodes SET name = ?, metadata = ?, services = ? WHERE id = ?",
                (
                    node.name,
                    node.metadata.SerializeToString(),
                    _services_to_text(node.services),
                    node.id,
                ),
            )
        if name_changed:
            self._watchers.publish(Update(updatedNameNode=_copy(node)))
        if metadata_changed:
            self._watchers.publish(Update(updatedMetadataNode=_copy(node)))

    # -- watching ----------------------------------------------------------------------------

    async def watch(
        self,
        metadata_filters: Mapping[str, hub_node_pb2.NodeMetadataItem],
        service_filters: Sequence[int],
    ) -> AsyncGenerator[hub_server_pb2.StreamNodesResponse, None]:
        """The filtered snapshot, then every update (updates are not filtered)."""
        with self._watchers.subscribe() as updates:
            snapshot = self.filtered(metadata_filters, service_filters)
            yield hub_server_pb2.StreamNodesResponse(
                initialResponse=hub_server_pb2.StreamNodesInitialResponse(nodes=snapshot)
            )
            async for update in updates:
                yield hub_server_pb2.StreamNodesResponse(updateResponse=update)


_COALESCED = {
    "connectedNode": "link",
    "disconnectedNode": "link",
    "updatedNameNode": "name",
    "updatedMetadataNode": "metadata",
}
"""Update kinds of which a watcher needs only the latest per node, and what they describe."""


def _coalescing_key(update: Update) -> tuple[str, str] | None:
    """Unread updates with the same key are replaced by the newest: a watcher behind a
    reconnect storm reads each node's latest link state once, not every flap. Membership
    changes (authenticated, deauthenticated) are never coalesced."""
    kind = update.WhichOneof("update")
    aspect = _COALESCED.get(kind or "")
    if aspect is None:
        return None
    node: hub_node_pb2.Node = getattr(update, kind or "")
    return (aspect, node.id)


def _node(
    *,
    node_id: str,
    name: str,
    metadata: hub_node_pb2.NodeMetadata,
    services: Sequence[int],
    online: bool,
) -> hub_node_pb2.Node:
    node = hub_node_pb2.Node(id=node_id, name=name, online=online)
    node.metadata.CopyFrom(metadata)
    node.services.extend(services)  # type: ignore[arg-type]
    return node


def _copy(node: hub_node_pb2.Node) -> hub_node_pb2.Node:
    copy = hub_node_pb2.Node()
    copy.CopyFrom(node)
    return copy


def _services_to_text(services: Sequence[int]) -> str:
    return ",".join(str(int(service)) for service in services)


def _services_from_text(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part]


@dataclass(frozen=True)
class _Index:
    """A node's metadata as ``key -> (kind, value)`` and its services, for fast filtering."""

    metadata: Mapping[str, tuple[str, object] | None]
    services: frozenset[int]

    def matches(self, wanted: _Index) -> bool:
        """Every wanted key with the same kind and value, and every wanted service."""
        for key, value in wanted.metadata.items():
            if value is None or self.metadata.get(key) != value:
                return False
        return wanted.services <= self.services


def _index(node: hub_node_pb2.Node) -> _Index:
    return _Index(
        metadata={key: _value(item) for key, item in node.metadata.items.items()},
        services=frozenset(node.services),
    )


def _value(item: hub_node_pb2.NodeMetadataItem) -> tuple[str, object] | None:
    """The item's kind and value; None for an item with no value (it matches nothing)."""
    kind = item.WhichOneof("value")
    return None if kind is None else (kind, getattr(item, kind))
