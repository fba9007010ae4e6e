"""A full disk: writes answer RESOURCE_EXHAUSTED with SQLite's cause, reads go on, and it heals."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from nanoping.api import pipelines_pb2 as api
from nanoping.errors import ResourceExhausted
from nanoping.service.pipelines import PipelinesService
from nanoping.storage.database import Database

NODE_ID = "8f1c8a43-8a3b-4c55-9d76-8b2d1f0e6a11"
CONFIG = (Path(__file__).resolve().parents[2] / "examples/python/pipeline_config.json").read_text()


def fill_up(database: Database) -> None:
    """No page may be added any more: SQLite then fails writes with 'database or disk is full'."""
    [row] = database.query("PRAGMA page_count")
    database.query(f"PRAGMA max_page_count = {int(row[0])}")


def make_room(database: Database) -> None:
    database.query("PRAGMA max_page_count = 1073741823")


async def test_writes_on_a_full_disk_are_resource_exhausted_and_heal(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Defect 12: every failed write answered INTERNAL with a traceback, the cause not said."""
    database = Database.open(tmp_path / "node.sqlite3")
    service = PipelinesService(database=database, node_id=NODE_ID, cpu_threads=2)
    kept = await service.create_pipeline(api.CreatePipelineRequest(name="kept", json_config=CONFIG))
    fill_up(database)
    big = api.CreatePipelineRequest(name="x" * 20_000, json_config=CONFIG)
    with caplog.at_level(logging.WARNING), pytest.raises(ResourceExhausted) as raised:
        await service.create_pipeline(big)
    assert "database or disk is full" in raised.value.message
    assert "database or disk is full" in caplog.text
    listed = await service.get_pipelines(api.GetPipelinesRequest())
    assert list(listed.pipelines) == [kept.pipeline]  # reads go on, nothing half-written
    make_room(database)
    created = await service.create_pipeline(big)
    assert created.pipeline.name == big.name
    database.close()


def full_disk_error() -> sqlite3.OperationalError:
    """What SQLite raises when the disk is full (made by hand: a row may fit a page in place)."""
    error = sqlite3.OperationalError("database or disk is full")
    error.sqlite_errorcode = sqlite3.SQLITE_FULL
    return error


async def test_starting_a_pipeline_on_a_full_disk_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Defect 12: startPipeline answered UNAVAILABLE 'stopped before its run was running'."""
    database = Database.open(tmp_path / "node.sqlite3")
    service = PipelinesService(
        database=database, node_id=NODE_ID, cpu_threads=2, runs_dir=tmp_path / "runs"
    )
    created = await service.create_pipeline(api.CreatePipelineRequest(name="p", json_config=CONFIG))

    def record_run_on_a_full_disk(pipeline_id: str, run_id: str) -> None:
        with database.transaction():
            raise full_disk_error()

    monkeypatch.setattr(service.store, "record_run", record_run_on_a_full_disk)
    try:
        with pytest.raises(ResourceExhausted, match="database or disk is full"):
            await service.start_pipeline(api.StartPipelineRequest(id=created.pipeline.id))
    finally:
        await service.stop_runs()
        service.close()
        database.close()
