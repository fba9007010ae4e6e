"""kill -9 in the middle of a burst of writes leaves every pipeline whole and every commit kept.

A child process (``crash_writer.py``) creates, updates, deletes and starts/ends runs through
the store as fast as it can; the test SIGKILLs it at an arbitrary moment, reopens the database
the way a restarted node would, and checks: the file is intact, every stored pipeline is exactly
one generation's settings (no mix of two writes), every acknowledged commit is there, the one
change in flight is either wholly there or wholly absent, and pipelines and runs agree.
"""

from __future__ import annotations

import importlib.util
import json
import random
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from nanoping.pipelines.feed import PipelineFeed
from nanoping.pipelines.store import PipelineStore
from nanoping.storage.database import Database

WRITER = Path(__file__).with_name("crash_writer.py")
ROUNDS = 8


@dataclass(frozen=True)
class Change:
    """One line pair of the writer's log."""

    op: str
    pipeline_id: str
    generation: int


def load_writer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("crash_writer", WRITER)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_kill_9_during_writes_leaves_the_database_consistent(
    tmp_path: Path, example_config: str
) -> None:
    database_path = tmp_path / "node.sqlite3"
    config_path = tmp_path / "config.json"
    config_path.write_text(example_config)
    writer = load_writer()
    template = json.loads(example_config)
    rng = random.Random(20240611)
    state: dict[str, int] = {}
    for round_number in range(1, ROUNDS + 1):
        log = write_until_killed(database_path, config_path, round_number, rng.randint(20, 150))
        committed, in_flight = replay(state, log)
        state = check_database(database_path, writer, template, committed, in_flight)


def write_until_killed(database: Path, config: Path, seed: int, acknowledgements: int) -> list[str]:
    """Run the writer, SIGKILL it once it acknowledged that many commits; return its log."""
    command = [sys.executable, str(WRITER), str(database), str(config), str(seed)]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    assert process.stderr is not None
    log: list[str] = []
    seen = 0
    for line in process.stdout:
        log.append(line)
        seen += line.startswith("ok ")
        if seen == acknowledgements:
            break
    process.kill()  # SIGKILL: no handler, no flush, no rollback
    process.wait()
    log.extend(process.stdout.read().splitlines(keepends=True))
    errors = process.stderr.read()
    process.stdout.close()
    process.stderr.close()
    assert seen == acknowledgements, f"writer stopped early: {errors}"
    return log


def replay(state: dict[str, int], log: list[str]) -> tuple[dict[str, int], Change | None]:
    """Generations per pipeline after every acknowledged change, and the one left in flight."""
    committed = dict(state)
    in_flight: Change | None = None
    for line in log:
        fields = line.split()
        if len(fields) != 4 or not line.endswith("\n"):
            continue  # a line cut short by the kill
        kind, op, pipeline_id, generation = fields
        change = Change(op, pipeline_id, int(generation))
        if kind == "begin":
            in_flight = change
        else:
            apply(committed, change)
            in_flight = None
    return committed, in_flight


def apply(generations: dict[str, int], change: Change) -> None:
    if change.op in ("create", "update"):
        generations[change.pipeline_id] = change.generation
    elif change.op == "delete":
        del generations[change.pipeline_id]


def check_database(
    path: Path,
    writer: ModuleType,
    template: dict[str, Any],
    committed: dict[str, int],
    in_flight: Change | None,
) -> dict[str, int]:
    database = Database.open(path)
    try:
        assert database.query("PRAGMA integrity_check")[0][0] == "ok"
        store = PipelineStore(database, feed=PipelineFeed())
        found: dict[str, int] = {}
        for record in store.all():
            generation = writer.generation_of(record.name)
            assert record.settings == writer.settings_for(template, generation)
            assert record.started == (record.current_run is not None)
            found[record.id] = generation
        check_runs(database, store)
    finally:
        database.close()
    assert found in possible_states(committed, in_flight, found)
    return found


def check_runs(database: Database, store: PipelineStore) -> None:
    """Each current run is an open run of its pipeline, and each open run is someone's current."""
    open_runs = {
        row["id"]: row["pipeline_id"]
        for row in database.query(
            "SELECT id, pipeline_id FROM pipeline_runs WHERE ended_at IS NULL"
        )
    }
    current = {record.current_run: record.id for record in store.all() if record.current_run}
    assert open_runs == current


def possible_states(
    committed: dict[str, int], in_flight: Change | None, found: dict[str, int]
) -> list[dict[str, int]]:
    """The states a kill may leave: the in-flight change absent, or wholly applied."""
    states = [committed]
    if in_flight is None:
        return states
    if in_flight.op == "create":
        created = set(found) - set(committed)
        if len(created) == 1:
            states.append(committed | {created.pop(): in_flight.generation})
    else:
        after = dict(committed)
        apply(after, in_flight)
        states.append(after)
    return states
