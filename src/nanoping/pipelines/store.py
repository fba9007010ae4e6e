"""Pipelines and their runs in the node's SQLite database; every committed change is published.

Atomicity: each change (create, update, delete, a run starting or ending) is one ``BEGIN
IMMEDIATE`` transaction over whole rows, so a process killed at any instant leaves the old or
the new pipeline, never a mix. Updates replace every setting at once.

Concurrent writers: the last committed write wins, whole. An update reads the current row and
writes its replacement inside the same write transaction (:meth:`PipelineStore.update` takes a
function of the current record), so nothing read for a change can be overwritten between the
read and the write, and every write bumps ``revision``: two updates racing each commit in full,
in some order, and the feed reports both, in that order.

Event order: :meth:`PipelineStore.publish` runs right after the commit, synchronously, on the
thread that committed; with the node's single event loop that is commit order.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace

from nanoping.errors import AlreadyExists, FailedPrecondition, NotFound
from nanoping.pipelines.events import (
    PipelineCreated,
    PipelineDeleted,
    PipelineEvent,
    PipelineUpdated,
)
from nanoping.pipelines.feed import PipelineFeed
from nanoping.pipelines.json_config import ConfigCompatibility, JsonConfig
from nanoping.pipelines.record import PipelineRecord, RunRecord
from nanoping.pipelines.settings import (
    LogLevel,
    PipelineSettings,
    RestartMode,
    RestartPolicy,
    StartupPolicy,
)
from nanoping.quoting import quoted
from nanoping.storage.database import Database

MIGRATIONS = (
    """
    CREATE TABLE pipelines (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        json_config TEXT NOT NULL,
        config_compatibility INTEGER NOT NULL CHECK (config_compatibility IN (0, 1)),
        restart_policy TEXT NOT NULL CHECK (restart_policy IN ('never', 'always', 'on_failure')),
        max_restarts INTEGER NOT NULL CHECK (max_restarts >= 0),
        startup_policy TEXT NOT NULL CHECK (startup_policy IN ('manual', 'auto')),
        default_logging_level INTEGER NOT NULL CHECK (default_logging_level BETWEEN 0 AND 5),
        instructions_timeout INTEGER NOT NULL CHECK (instructions_timeout > 0),
        cpu_pin INTEGER CHECK (cpu_pin >= 0),
        performance_mode INTEGER NOT NULL CHECK (performance_mode IN (0, 1)),
        node_reference_id TEXT,
        started INTEGER NOT NULL CHECK (started IN (0, 1)),
        current_run TEXT,
        revision INTEGER NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    );
    CREATE INDEX pipelines_by_name ON pipelines (name);
    CREATE TABLE pipeline_runs (
        id TEXT PRIMARY KEY,
        pipeline_id TEXT NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
        started_at REAL NOT NULL,
        ended_at REAL,
        exit_code INTEGER
    );
    CREATE INDEX pipeline_runs_by_pipeline ON pipeline_runs (pipeline_id)
    """,
)

_STATE_COLUMNS = (
    "name", "json_config", "config_compatibility", "restart_policy", "max_restarts",
    "startup_policy", "default_logging_level", "instructions_timeout", "cpu_pin",
    "performance_mode", "node_reference_id", "started", "current_run", "revision",
)  # fmt: skip
_SELECT = f"SELECT id, {', '.join(_STATE_COLUMNS)} FROM pipelines"
_INSERT = (
    f"INSERT INTO pipelines (id, {', '.join(_STATE_COLUMNS)}, created_at, updated_at) "
    f"VALUES ({', '.join('?' * (len(_STATE_COLUMNS) + 3))})"
)
_UPDATE = (
    f"UPDATE pipelines SET {', '.join(f'{column} = ?' for column in _STATE_COLUMNS)}, "
    "updated_at = ? WHERE id = ?"
)
_SELECT_RUN = "SELECT id, pipeline_id, started_at, ended_at, exit_code FROM pipeline_runs"

Change = Callable[[PipelineRecord], PipelineSettings]
"""Computes new settings from the current record, inside the write transaction."""


class PipelineStore:
    """Reads and writes pipelines; publishes each committed change on ``feed``."""

    def __init__(
        self, database: Database, *, feed: PipelineFeed, clock: Callable[[], float] = time.time
    ) -> None:
        database.migrate("pipelines", MIGRATIONS)
        self._database = database
        self.feed = feed
        self._clock = clock

    # ---- reads ------------------------------------------------------------------------------

    def all(self) -> list[PipelineRecord]:
        """Every pipeline, oldest first."""
        return [_record(row) for row in self._database.query(f"{_SELECT} ORDER BY rowid")]

    def find(self, pipeline_id: str) -> PipelineRecord | None:
        """The pipeline with this id, or None."""
        rows = self._database.query(f"{_SELECT} WHERE id = ?", (pipeline_id,))
        return _record(rows[0]) if rows else None

    def get(self, pipeline_id: str) -> PipelineRecord:
        """The pipeline with this id; NOT_FOUND when there is none."""
        record = self.find(pipeline_id)
        if record is None:
            raise _unknown(pipeline_id)
        return record

    def named(self, name: str) -> list[PipelineRecord]:
        """Every pipeline with exactly this name (names need not be unique)."""
        rows = self._database.query(f"{_SELECT} WHERE name = ? ORDER BY rowid", (name,))
        return [_record(row) for row in rows]

    def by_run(self, run_id: str) -> PipelineRecord | None:
        """The pipeline that owns run ``run_id`` (current or past), or None."""
        rows = self._database.query(
            f"{_SELECT} WHERE id = (SELECT pipeline_id FROM pipeline_runs WHERE id = ?)",
            (run_id,),
        )
        return _record(rows[0]) if rows else None

    def run(self, run_id: str) -> RunRecord | None:
        """The run with this id, or None."""
        rows = self._database.query(f"{_SELECT_RUN} WHERE id = ?", (run_id,))
        return _run(rows[0]) if rows else None

    def run_has_ended(self, run_id: str) -> bool:
        """Whether the run's end is recorded (its log then holds every line it will have)."""
        run = self.run(run_id)
        return run is not None and run.ended_at is not None

    def runs(self, pipeline_id: str) -> list[RunRecord]:
        """The runs of one pipeline, oldest first."""
        rows = self._database.query(
            f"{_SELECT_RUN} WHERE pipeline_id = ? ORDER BY started_at, rowid", (pipeline_id,)
        )
        return [_run(row) for row in rows]

    # ---- changes made through the API ---------------------------------------------------------

    def create(self, settings: PipelineSettings) -> PipelineRecord:
        """Store a new, stopped pipeline under a fresh id."""
        record = PipelineRecord(str(uuid.uuid4()), settings, False, None, 1)
        now = self._clock()
        with self._database.transaction() as connection:
            connection.execute(_INSERT, (record.id, *_state_values(record), now, now))
        return self.publish(PipelineCreated(record))

    def update(self, pipeline_id: str, change: Change) -> PipelineRecord:
        """Replace the settings with ``change(current)``; run state is kept.

        If ``change`` raises, nothing is written and the error propagates.
        """
        with self._database.transaction() as connection:
            current = _require(connection, pipeline_id)
            record = replace(current, settings=change(current), revision=current.revision + 1)
            self._save(connection, record)
        return self.publish(PipelineUpdated(record))

    def delete(self, pipeline_id: str) -> PipelineRecord:
        """Remove a pipeline and its run records; returns it as it was."""
        with self._database.transaction() as connection:
            record = _require(connection, pipeline_id)
            connection.execute("DELETE FROM pipelines WHERE id = ?", (pipeline_id,))
        return self.publish(PipelineDeleted(record))

    # ---- changes made by the run supervisor ---------------------------------------------------

    def record_run(self, pipeline_id: str, run_id: str) -> PipelineRecord:
        """Note that run ``run_id`` of the pipeline is now active: started, current run set.

        Refuses (FAILED_PRECONDITION) an INCOMPATIBLE config and a pipeline whose current run
        has not been finished; NOT_FOUND for an unknown pipeline.
        """
        with self._database.transaction() as connection:
            current = _require(connection, pipeline_id)
            current.require_compatible()
            if current.current_run is not None:
                raise FailedPrecondition(
                    f"pipeline {pipeline_id} ('{current.name}') is already running as run "
                    f"{current.current_run}"
                )
            self._insert_run(connection, pipeline_id, run_id)
            record = replace(
                current, started=True, current_run=run_id, revision=current.revision + 1
            )
            self._save(connection, record)
        return self.publish(PipelineUpdated(record))

    def finish_run(
        self, run_id: str, *, exit_code: int | None, keep_started: bool = False
    ) -> PipelineRecord | None:
        """Note that a run ended; clears the pipeline's current run if it was this one.

        ``keep_started`` leaves the pipeline started (a restart follows); otherwise it is
        stopped. Returns the changed pipeline, or None when the pipeline did not change (the
        run is unknown, already finished, or was not its current run, e.g. it was deleted).
        """
        with self._database.transaction() as connection:
            connection.execute(
                "UPDATE pipeline_runs SET ended_at = ?, exit_code = ? "
                "WHERE id = ? AND ended_at IS NULL",
                (self._clock(), exit_code, run_id),
            )
            current = _select_one(
                connection,
                "WHERE id = (SELECT pipeline_id FROM pipeline_runs WHERE id = ?)",
                run_id,
            )
            if current is None or current.current_run != run_id:
                return None
            record = replace(
                current, started=keep_started, current_run=None, revision=current.revision + 1
            )
            self._save(connection, record)
        return self.publish(PipelineUpdated(record))

    def mark_stopped(self, pipeline_id: str) -> PipelineRecord:
        """Set the pipeline stopped with no current run (e.g. a restart was given up)."""
        with self._database.transaction() as connection:
            current = _require(connection, pipeline_id)
            if not current.started and current.current_run is None:
                return current
            record = replace(
                current, started=False, current_run=None, revision=current.revision + 1
            )
            self._save(connection, record)
        return self.publish(PipelineUpdated(record))

    def reset_runs(self) -> list[PipelineRecord]:
        """At node start-up: no run survives the node, so end open runs and stop pipelines."""
        with self._database.transaction() as connection:
            connection.execute(
                "UPDATE pipeline_runs SET ended_at = ? WHERE ended_at IS NULL", (self._clock(),)
            )
            stale = _select(connection, "WHERE started = 1 OR current_run IS NOT NULL")
            changed = [
                replace(record, started=False, current_run=None, revision=record.revision + 1)
                for record in stale
            ]
            for record in changed:
                self._save(connection, record)
        for record in changed:
            self.publish(PipelineUpdated(record))
        return changed

    def publish_update(self, pipeline_id: str) -> PipelineRecord:
        """Send an update event with the pipeline's current state (for changes kept elsewhere)."""
        return self.publish(PipelineUpdated(self.get(pipeline_id)))

    def publish(self, event: PipelineEvent) -> PipelineRecord:
        """Hand ``event`` to the feed; returns the pipeline it carries."""
        self.feed.publish(event)
        return event.pipeline

    # ---- helpers ------------------------------------------------------------------------------

    def _save(self, connection: sqlite3.Connection, record: PipelineRecord) -> None:
        connection.execute(_UPDATE, (*_state_values(record), self._clock(), record.id))

    def _insert_run(self, connection: sqlite3.Connection, pipeline_id: str, run_id: str) -> None:
        try:
            connection.execute(
                "INSERT INTO pipeline_runs (id, pipeline_id, started_at) VALUES (?, ?, ?)",
                (run_id, pipeline_id, self._clock()),
            )
        except sqlite3.IntegrityError:
            raise AlreadyExists(f"run id {run_id} is already recorded") from None


def _unknown(pipeline_id: str) -> NotFound:
    return NotFound(f"no pipeline with id {quoted(pipeline_id)} on this node")


def _require(connection: sqlite3.Connection, pipeline_id: str) -> PipelineRecord:
    record = _select_one(connection, "WHERE id = ?", pipeline_id)
    if record is None:
        raise _unknown(pipeline_id)
    return record


def _select_one(
    connection: sqlite3.Connection, where: str, *parameters: object
) -> PipelineRecord | None:
    records = _select(connection, where, parameters)
    return records[0] if records else None


def _select(
    connection: sqlite3.Connection, where: str, parameters: Sequence[object] = ()
) -> list[PipelineRecord]:
    cursor = connection.execute(f"{_SELECT} {where}", parameters)
    cursor.row_factory = sqlite3.Row
    return [_record(row) for row in cursor.fetchall()]


def _state_values(record: PipelineRecord) -> tuple[object, ...]:
    """Column values in ``_STATE_COLUMNS`` order."""
    settings = record.settings
    return (
        settings.name,
        settings.config.text,
        int(settings.config.compatibility),
        settings.restart_policy.mode.value,
        settings.restart_policy.max_restarts,
        settings.startup_policy.value,
        int(settings.default_logging_level),
        settings.instructions_timeout,
        settings.cpu_pin,
        int(settings.performance_mode),
        settings.node_reference_id,
        int(record.started),
        record.current_run,
        record.revision,
    )


# Decoding tables: plain lookups, since listing thousands of pipelines calls these per row.
_COMPATIBILITY = {int(value): value for value in ConfigCompatibility}
_RESTART_MODES = {mode.value: mode for mode in RestartMode}
_STARTUP_POLICIES = {policy.value: policy for policy in StartupPolicy}
_LOG_LEVELS = {int(level): level for level in LogLevel}


def _record(row: sqlite3.Row) -> PipelineRecord:
    """Decode one row of ``_SELECT`` (columns in ``_STATE_COLUMNS`` order after the id)."""
    (
        pipeline_id, name, text, compatibility, restart_mode, max_restarts, startup_policy,
        level, instructions_timeout, cpu_pin, performance_mode, node_reference_id, started,
        current_run, revision,
    ) = row  # fmt: skip
    settings = PipelineSettings(
        name=name,
        config=JsonConfig(text, _COMPATIBILITY[compatibility]),
        restart_policy=RestartPolicy(_RESTART_MODES[restart_mode], max_restarts),
        startup_policy=_STARTUP_POLICIES[startup_policy],
        default_logging_level=_LOG_LEVELS[level],
        instructions_timeout=instructions_timeout,
        cpu_pin=cpu_pin,
        performance_mode=bool(performance_mode),
        node_reference_id=node_reference_id,
    )
    return PipelineRecord(pipeline_id, settings, bool(started), current_run, revision)


def _run(row: sqlite3.Row) -> RunRecord:
    return RunRecord(
        id=row["id"],
        pipeline_id=row["pipeline_id"],
        started_at=row["started_at"],
        ended_at=row["ended_at"],
        exit_code=row["exit_code"],
    )
