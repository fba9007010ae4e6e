"""A node's default network carriers, kept in its own database (ConfigService).

The list is stored whole as the API's ``DefaultNetworkCarriers`` message; setting replaces it.
"""

from __future__ import annotations

from nanoping.api import config_pb2
from nanoping.storage.database import Database

MIGRATIONS = (
    """
    CREATE TABLE default_network_carriers (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        carriers BLOB NOT NULL
    )
    """,
)


class CarrierStore:
    """The default carriers of this node."""

    def __init__(self, database: Database) -> None:
        database.migrate("default_network_carriers", MIGRATIONS)
        self._database = database

    def get(self) -> config_pb2.DefaultNetworkCarriers:
        rows = self._database.query("SELECT carriers FROM default_network_carriers WHERE id = 1")
        if not rows:
            return config_pb2.DefaultNetworkCarriers()
        return config_pb2.DefaultNetworkCarriers.FromString(rows[0]["carriers"])

    def set(self, carriers: config_pb2.DefaultNetworkCarriers) -> None:
        with self._database.transaction() as connection:
            connection.execute(
                "INSERT INTO default_network_carriers (id, carriers) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET carriers = excluded.carriers",
                (carriers.SerializeToString(),),
            )
