"""The SQLite database wrapper: per-store migrations and transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from nanoping.errors import StartupError
from nanoping.storage.database import Database
from nanoping.storage.local_node import LocalNodeStore

V1 = ("CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)",)
V2 = (*V1, "ALTER TABLE things ADD COLUMN size INTEGER NOT NULL DEFAULT 0")


def test_migrations_apply_once_and_in_order(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "db")
    database.migrate("things", V1)
    with database.transaction() as connection:
        connection.execute("INSERT INTO things (name) VALUES ('a')")
    database.migrate("things", V1)  # nothing to do
    database.migrate("things", V2)
    assert [tuple(row) for row in database.query("SELECT name, size FROM things")] == [("a", 0)]
    database.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "db")
    database.migrate("things", V2)
    with pytest.raises(StartupError, match="things tables of schema version 2, newer than"):
        database.migrate("things", V1)
    database.close()


def insert_twice(database: Database) -> None:
    with database.transaction() as connection:
        connection.execute("INSERT INTO things (id, name) VALUES (1, 'a')")
        connection.execute("INSERT INTO things (id, name) VALUES (1, 'b')")


def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "db")
    database.migrate("things", V1)
    with pytest.raises(sqlite3.IntegrityError):
        insert_twice(database)
    assert database.query("SELECT * FROM things") == []
    database.close()


def test_local_node_identity_is_created_once(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "db")
    first = LocalNodeStore(database).load_or_create()
    LocalNodeStore(database).save_details(name="n", metadata=b"\x01")
    again = LocalNodeStore(database).load_or_create()
    assert again.id == first.id
    assert (again.name, again.metadata) == ("n", b"\x01")
    database.close()
