"""The local node's identity record: its UUID (made once) and the name/metadata set by setNode."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from nanoping.storage.database import Database


@dataclass(frozen=True)
class LocalNodeRecord:
    """What the node keeps about itself."""

    id: str
    """The node's UUID, created at first start."""
    name: str | None
    """Name set through setNode; None = not set (config name or hostname applies)."""
    metadata: bytes
    """Serialized NodeMetadata set through setNode (empty = none)."""


MIGRATIONS = (
    """
    CREATE TABLE local_node (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        id TEXT NOT NULL,
        name TEXT,
        metadata BLOB NOT NULL DEFAULT x''
    )
    """,
)


class LocalNodeStore:
    """Reads and writes the single local-node row."""

    def __init__(self, database: Database) -> None:
        database.migrate("local_node", MIGRATIONS)
        self._database = database

    def load_or_create(self) -> LocalNodeRecord:
        """The stored record, creating a fresh identity the first time."""
        with self._database.transaction() as connection:
            row = connection.execute("SELECT id, name, metadata FROM local_node").fetchone()
            if row is None:
                node_id = str(uuid.uuid4())
                connection.execute(
                    "INSERT INTO local_node (singleton, id, name, metadata) VALUES (1, ?, NULL, x'')",
                    (node_id,),
                )
                return LocalNodeRecord(id=node_id, name=None, metadata=b"")
        return LocalNodeRecord(id=row[0], name=row[1], metadata=bytes(row[2]))

    def save_details(self, *, name: str | None, metadata: bytes) -> None:
        """Replace the name and metadata in one transaction."""
        with self._database.transaction() as connection:
            connection.execute(
                "UPDATE local_node SET name = ?, metadata = ? WHERE singleton = 1", (name, metadata)
            )
