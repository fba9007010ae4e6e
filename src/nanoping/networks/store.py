"""Networks, blueprints, instances and network pipelines in the networks node's SQLite database.

Networks are kept as the API's ``Network`` message (serialized), since every field of it is
ours to return as it was stored. Each change is one transaction.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable

from nanoping.api import networks_pb2
from nanoping.errors import NotFound
from nanoping.networks.records import BlueprintRecord, InstanceRecord, NetworkPipelineRecord
from nanoping.storage.database import Database

MIGRATIONS = (
    """
    CREATE TABLE networks (
        id TEXT PRIMARY KEY,
        network BLOB NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE blueprints (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        template TEXT NOT NULL,
        created_at REAL NOT NULL
    );
    CREATE TABLE network_instances (
        id TEXT PRIMARY KEY,
        network_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        UNIQUE (network_id, node_id)
    );
    CREATE TABLE network_pipelines (
        id TEXT PRIMARY KEY,
        network_id TEXT NOT NULL,
        instance_id TEXT NOT NULL,
        node_id TEXT NOT NULL,
        slot TEXT NOT NULL,
        blueprint_id TEXT NOT NULL,
        pipeline_name TEXT NOT NULL,
        config TEXT NOT NULL,
        enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
        reference_node_id TEXT,
        pipeline_id TEXT,
        deployed_config TEXT,
        removed INTEGER NOT NULL CHECK (removed IN (0, 1)),
        UNIQUE (instance_id, slot)
    )
    """,
)

_PIPELINE_COLUMNS = (
    "id", "network_id", "instance_id", "node_id", "slot", "blueprint_id", "pipeline_name",
    "config", "enabled", "reference_node_id", "pipeline_id", "deployed_config", "removed",
)  # fmt: skip
_SELECT_PIPELINES = f"SELECT {', '.join(_PIPELINE_COLUMNS)} FROM network_pipelines"


class NetworkStore:
    """Reads and writes the networks node's tables."""

    def __init__(self, database: Database, *, clock: Callable[[], float] = time.time) -> None:
        database.migrate("networks", MIGRATIONS)
        self._database = database
        self._clock = clock

    # ---- networks -------------------------------------------------------------------------------

    def networks(self) -> list[tuple[str, networks_pb2.Network]]:
        """Every network with its id, oldest first."""
        rows = self._database.query("SELECT id, network FROM networks ORDER BY created_at, rowid")
        return [(row["id"], networks_pb2.Network.FromString(row["network"])) for row in rows]

    def network(self, network_id: str) -> networks_pb2.Network:
        """The network with this id; NOT_FOUND when there is none."""
        rows = self._database.query("SELECT network FROM networks WHERE id = ?", (network_id,))
        if not rows:
            raise NotFound(f"no network with id '{network_id}'")
        return networks_pb2.Network.FromString(rows[0]["network"])

    def save_network(
        self,
        network_id: str,
        network: networks_pb2.Network,
        pipelines: Iterable[NetworkPipelineRecord],
        instances: Iterable[InstanceRecord],
    ) -> None:
        """Store (create or replace) a network with its planned instances and pipelines."""
        with self._database.transaction() as connection:
            connection.execute(
                "INSERT INTO networks (id, network, created_at) VALUES (?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET network = excluded.network",
                (network_id, network.SerializeToString(), self._clock()),
            )
            _save_plan(connection, instances, pipelines)

    def delete_network(self, network_id: str, pipelines: Iterable[NetworkPipelineRecord]) -> None:
        """Forget a network; its pipelines stay (marked removed) until deleted from the nodes."""
        with self._database.transaction() as connection:
            connection.execute("DELETE FROM networks WHERE id = ?", (network_id,))
            _save_plan(connection, (), pipelines)

    # ---- blueprints ----------------------------------------------------------------------------

    def blueprints(self) -> list[BlueprintRecord]:
        """The user blueprints, oldest first."""
        rows = self._database.query(
            "SELECT id, name, template FROM blueprints ORDER BY created_at, rowid"
        )
        return [BlueprintRecord(row["id"], row["name"], row["template"]) for row in rows]

    def blueprint(self, blueprint_id: str) -> BlueprintRecord | None:
        rows = self._database.query(
            "SELECT id, name, template FROM blueprints WHERE id = ?", (blueprint_id,)
        )
        return (
            BlueprintRecord(rows[0]["id"], rows[0]["name"], rows[0]["template"]) if rows else None
        )

    def save_blueprint(
        self, blueprint: BlueprintRecord, pipelines: Iterable[NetworkPipelineRecord] = ()
    ) -> None:
        """Create or replace a blueprint, with the pipelines it regenerates, in one transaction."""
        with self._database.transaction() as connection:
            connection.execute(
                "INSERT INTO blueprints (id, name, template, created_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET name = excluded.name, template = excluded.template",
                (blueprint.id, blueprint.name, blueprint.template, self._clock()),
            )
            _save_plan(connection, (), pipelines)

    def delete_blueprint(self, blueprint_id: str) -> None:
        with self._database.transaction() as connection:
            connection.execute("DELETE FROM blueprints WHERE id = ?", (blueprint_id,))

    # ---- instances and their pipelines ----------------------------------------------------------

    def instances(self, *, node_id: str | None = None) -> list[InstanceRecord]:
        """Instances, of one node or all."""
        sql = "SELECT id, network_id, node_id FROM network_instances"
        rows = self._database.query(
            sql + (" WHERE node_id = ?" if node_id else "") + " ORDER BY rowid",
            (node_id,) if node_id else (),
        )
        return [InstanceRecord(row["id"], row["network_id"], row["node_id"]) for row in rows]

    def instance(self, instance_id: str) -> InstanceRecord | None:
        rows = self._database.query(
            "SELECT id, network_id, node_id FROM network_instances WHERE id = ?", (instance_id,)
        )
        return (
            InstanceRecord(rows[0]["id"], rows[0]["network_id"], rows[0]["node_id"])
            if rows
            else None
        )

    def pipelines(self, **where: object) -> list[NetworkPipelineRecord]:
        """Network pipeline records matching every given column (e.g. ``node_id=...``)."""
        for column in where:
            assert column in _PIPELINE_COLUMNS, column
        clause = " AND ".join(f"{column} = ?" for column in where)
        sql = _SELECT_PIPELINES + (f" WHERE {clause}" if clause else "") + " ORDER BY rowid"
        return [_pipeline(row) for row in self._database.query(sql, tuple(where.values()))]

    def save_pipeline(self, record: NetworkPipelineRecord) -> None:
        with self._database.transaction() as connection:
            _upsert_pipeline(connection, record)

    def forget_pipeline(self, record_id: str) -> None:
        """Drop a removed pipeline's record (once it is gone from its node)."""
        with self._database.transaction() as connection:
            connection.execute("DELETE FROM network_pipelines WHERE id = ?", (record_id,))

    def forget_instance(self, instance_id: str) -> None:
        with self._database.transaction() as connection:
            connection.execute("DELETE FROM network_instances WHERE id = ?", (instance_id,))


def _save_plan(
    connection: sqlite3.Connection,
    instances: Iterable[InstanceRecord],
    pipelines: Iterable[NetworkPipelineRecord],
) -> None:
    for instance in instances:
        connection.execute(
            "INSERT OR IGNORE INTO network_instances (id, network_id, node_id) VALUES (?, ?, ?)",
            (instance.id, instance.network_id, instance.node_id),
        )
    for record in pipelines:
        _upsert_pipeline(connection, record)


def _upsert_pipeline(connection: sqlite3.Connection, record: NetworkPipelineRecord) -> None:
    values = (
        record.id, record.network_id, record.instance_id, record.node_id, record.slot,
        record.blueprint_id, record.pipeline_name, record.config, int(record.enabled),
        record.reference_node_id, record.pipeline_id, record.deployed_config, int(record.removed),
    )  # fmt: skip
    updates = ", ".join(f"{column} = excluded.{column}" for column in _PIPELINE_COLUMNS[1:])
    connection.execute(
        f"INSERT INTO network_pipelines ({', '.join(_PIPELINE_COLUMNS)}) "
        f"VALUES ({', '.join('?' * len(_PIPELINE_COLUMNS))}) "
        f"ON CONFLICT (id) DO UPDATE SET {updates}",
        values,
    )


def _pipeline(row: sqlite3.Row) -> NetworkPipelineRecord:
    return NetworkPipelineRecord(
        id=row["id"],
        network_id=row["network_id"],
        instance_id=row["instance_id"],
        node_id=row["node_id"],
        slot=row["slot"],
        blueprint_id=row["blueprint_id"],
        pipeline_name=row["pipeline_name"],
        config=row["config"],
        enabled=bool(row["enabled"]),
        reference_node_id=row["reference_node_id"],
        pipeline_id=row["pipeline_id"],
        deployed_config=row["deployed_config"],
        removed=bool(row["removed"]),
    )
