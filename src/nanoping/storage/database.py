"""The node's SQLite database: WAL journal, one writer, per-store schema migrations by number.

Calls are synchronous and short (single-row reads and writes on a local file); the event loop
tolerates them better than the hop to a worker thread would cost. Each write runs in one
transaction, so a process killed at any point leaves either the old or the new row, never half.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path

from nanoping.errors import ResourceExhausted, StartupError
from nanoping.log_throttle import LogThrottle

log = logging.getLogger(__name__)
_FAILED_WRITES = LogThrottle(log)
_STORAGE_FAILURES = frozenset({sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR})
"""Primary result codes of a full disk or a failing device (not of a bug in our SQL)."""


class Database:
    """One open SQLite file with the node's schema applied."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._connection = connection
        self.path = path

    @classmethod
    def open(cls, path: Path) -> Database:
        """Open (creating if needed) the database file; stores then migrate their own tables."""
        try:
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute("PRAGMA foreign_keys=ON")
            connection.execute("PRAGMA busy_timeout=5000")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_versions "
                "(part TEXT PRIMARY KEY, version INTEGER NOT NULL)"
            )
        except sqlite3.Error as error:
            raise StartupError(f"cannot open database '{path}': {error}") from None
        return cls(connection, path)

    def migrate(self, part: str, migrations: Sequence[str]) -> None:
        """Bring one store's tables to version ``len(migrations)``; refuses newer schemas.

        Each store owns a numbered list of migrations under its own ``part`` name, so stores
        evolve independently; append to a list, never edit a migration that has shipped.
        """
        rows = self.query("SELECT version FROM schema_versions WHERE part = ?", (part,))
        version = int(rows[0]["version"]) if rows else 0
        if version > len(migrations):
            raise StartupError(
                f"database '{self.path}' holds {part} tables of schema version {version}, newer "
                f"than this release understands ({len(migrations)}); use a newer nanoping"
            )
        for number, script in enumerate(migrations[version:], start=version + 1):
            with self.transaction() as connection:
                for statement in script.split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(
                    "INSERT INTO schema_versions (part, version) VALUES (?, ?) "
                    "ON CONFLICT (part) DO UPDATE SET version = excluded.version",
                    (part, number),
                )

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: committed when the block ends, rolled back on an exception.

        A full disk or a failing device raises ResourceExhausted naming SQLite's cause; nothing
        is half-written, reads go on working, and writes work again once space returns.
        """
        try:
            self._connection.execute("BEGIN IMMEDIATE")
            yield self._connection
            self._connection.execute("COMMIT")
        except BaseException as error:
            if self._connection.in_transaction:
                with suppress(sqlite3.Error):  # a failed COMMIT may already have rolled back
                    self._connection.execute("ROLLBACK")
            if isinstance(error, sqlite3.Error) and _is_storage_failure(error):
                _FAILED_WRITES.warning("write", "database write failed: %s", error)
                raise ResourceExhausted(f"cannot write to the node's database: {error}") from None
            raise

    def query(self, sql: str, parameters: Sequence[object] = ()) -> list[sqlite3.Row]:
        """Rows of a read-only statement."""
        cursor = self._connection.execute(sql, parameters)
        cursor.row_factory = sqlite3.Row
        return list(cursor.fetchall())

    def close(self) -> None:
        self._connection.close()


def _is_storage_failure(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _STORAGE_FAILURES
