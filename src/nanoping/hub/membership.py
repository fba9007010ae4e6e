"""What a joined node keeps about its hub: the address and the credential (in the data dir)."""

from __future__ import annotations

from dataclasses import dataclass

from nanoping.storage.database import Database

MIGRATIONS = (
    """
    CREATE TABLE hub_membership (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        hub_url TEXT NOT NULL,
        hub_node_id TEXT NOT NULL,
        credential TEXT NOT NULL
    )
    """,
)


@dataclass(frozen=True)
class Membership:
    """This node's admission to a hub."""

    hub_url: str
    """HTTP(S) address of the hub server, as given to authenticateByRequest."""
    hub_node_id: str
    """Node id of the node hosting the hub."""
    credential: str
    """Secret the node presents on its link."""


class MembershipStore:
    """The single membership row: present while the node is joined."""

    def __init__(self, database: Database) -> None:
        database.migrate("hub_membership", MIGRATIONS)
        self._database = database

    def load(self) -> Membership | None:
        rows = self._database.query("SELECT hub_url, hub_node_id, credential FROM hub_membership")
        if not rows:
            return None
        row = rows[0]
        return Membership(
            hub_url=row["hub_url"], hub_node_id=row["hub_node_id"], credential=row["credential"]
        )

    def save(self, membership: Membership) -> None:
        with self._database.transaction() as connection:
            connection.execute("DELETE FROM hub_membership")
            connection.execute(
                "INSERT INTO hub_membership (singleton, hub_url, hub_node_id, credential) VALUES (1, ?, ?, ?)",
                (membership.hub_url, membership.hub_node_id, membership.credential),
            )

    def forget(self) -> None:
        with self._database.transaction() as connection:
            connection.execute("DELETE FROM hub_membership")
