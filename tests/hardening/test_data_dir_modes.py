"""The data dir holds credentials: only its owner may read it, and a looser one is reported."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from nanoping.node.data_dir import DataDir
from nanoping.storage.database import Database


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_data_dir_and_its_database_are_private(tmp_path: Path) -> None:
    """Defect 7: the data dir was 0755 and the database 0644, so anyone read the credential."""
    previous = os.umask(0o022)  # the usual umask, under which the files used to come out 0644
    try:
        data_dir = DataDir.open(tmp_path / "data")
        database = Database.open(data_dir.database_path)
        database.migrate("t", ["CREATE TABLE t (x INTEGER)"])
    finally:
        os.umask(previous)
    assert mode(data_dir.path) == 0o700
    for name in ("node.sqlite3", "node.sqlite3-wal", "node.sqlite3-shm", "node.lock"):
        assert mode(data_dir.path / name) == 0o600, name
    database.close()
    data_dir.close()


def test_a_data_dir_readable_by_others_is_reported_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "data"
    path.mkdir(mode=0o755)
    path.chmod(0o755)
    (path / "node.sqlite3").touch(mode=0o644)
    (path / "node.sqlite3").chmod(0o644)
    with caplog.at_level(logging.WARNING):
        data_dir = DataDir.open(path)
    data_dir.close()
    warned = [record.getMessage() for record in caplog.records]
    assert any(f"run: chmod 700 '{path}'" in line for line in warned)
    assert any(f"run: chmod 600 '{path / 'node.sqlite3'}'" in line for line in warned)
