"""Size-based rotation: bounded parts, several writers of one run log, pruning of old runs."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

import pytest

from nanoping.logs.app_log import AppLog, JsonLineFormatter
from nanoping.logs.pruning import prune_run_logs
from nanoping.logs.rotation import LogRotation, disk_usage, log_parts, rotate
from nanoping.logs.shared_file import SharedLogFile

SMALL = LogRotation(max_bytes=4096, backups=2)


def test_rotation_keeps_a_bounded_number_of_parts(tmp_path: Path) -> None:
    path = tmp_path / "a.log"
    for number in range(5):
        path.write_text(f"generation {number}\n")
        rotate(path, backups=2)
    assert [part.name for part in log_parts(path)] == ["a.log.2", "a.log.1"]
    assert (tmp_path / "a.log.1").read_text() == "generation 4\n"
    assert (tmp_path / "a.log.2").read_text() == "generation 3\n"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_bytes": 100}, "max_bytes must be at least 4096, got 100"),
        ({"backups": 0}, "backups must be between 1 and 100, got 0"),
        ({"max_bytes": "big"}, "max_bytes must be an integer, got 'big'"),
    ],
)
def test_bad_rotation_settings_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LogRotation(**options)  # type: ignore[arg-type]


def test_writers_sharing_a_log_rotate_it_together_and_lose_no_line(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    node = SharedLogFile(path, rotation=SMALL)
    run = SharedLogFile(path, rotation=SMALL)
    written = []
    for number in range(300):
        line = f"line {number:04d} {'x' * 40}\n".encode()
        (node if number % 2 else run).write(line)
        written.append(line)
    node.close()
    run.close()
    parts = log_parts(path)
    assert len(parts) == 3  # the live file and two rotated parts, whatever was written
    assert disk_usage(path) < (SMALL.backups + 1) * SMALL.max_bytes + 100
    kept = b"".join(part.read_bytes() for part in parts)
    assert written[-10:] == kept.splitlines(keepends=True)[-10:]
    assert kept in b"".join(written)  # whole lines, in order, none torn or repeated


def test_a_writer_with_stdio_points_its_descriptors_at_the_new_file(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    spare = os.open(os.devnull, os.O_WRONLY)  # stands in for a run process's stdout
    log = SharedLogFile(path, rotation=SMALL, stdio=(spare,))
    try:
        for number in range(120):
            log.write(f"entry {number:04d} {'y' * 40}\n".encode())
        os.write(spare, b"raw output\n")
    finally:
        log.close()
        os.close(spare)
    assert path.read_bytes().endswith(b"raw output\n")


def test_pruning_keeps_the_newest_ended_runs_and_every_live_one(tmp_path: Path) -> None:
    for number, run_id in enumerate(["old", "live", "mid", "new"]):
        log = tmp_path / f"{run_id}.log"
        log.write_text("x\n")
        (tmp_path / f"{run_id}.log.1").write_text("y\n")
        os.utime(log, (1000 + number, 1000 + number))
    os.utime(tmp_path / "live.log", (1, 1))  # the oldest of all, but live
    pruned = prune_run_logs(tmp_path, suffix=".log", keep=2, live={"live"})
    assert pruned == ["old"]
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "live.log", "live.log.1", "mid.log", "mid.log.1", "new.log", "new.log.1",
    ]  # fmt: skip


def test_app_log_lines_have_the_run_log_shape(tmp_path: Path) -> None:
    app_log = AppLog(tmp_path / "node.log", rotation=SMALL)
    logger = logging.getLogger("nanoping.test.app_log")
    app_log.attach()
    try:
        logger.info("hello %s", "world", extra={"peer": "10.0.0.1"})
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logger.exception("it failed")
        logger.critical("the end")
    finally:
        app_log.detach()
    entries = [json.loads(line) for line in (tmp_path / "node.log").read_text().splitlines()]
    assert [(entry["level"], entry["message"]) for entry in entries] == [
        ("INFO", "hello world"),
        ("ERROR", "it failed"),
        ("FATAL", "the end"),
    ]
    assert entries[0]["data"] == {"logger": "nanoping.test.app_log", "peer": "10.0.0.1"}
    assert "RuntimeError: boom" in entries[1]["data"]["exception"]
    assert entries[0]["timestamp"].endswith("Z")


def test_app_log_keeps_info_when_stderr_shows_only_warnings(tmp_path: Path) -> None:
    root = logging.getLogger()
    before = root.level
    root.setLevel(logging.WARNING)
    app_log = AppLog(tmp_path / "node.log", rotation=SMALL)
    app_log.attach()
    try:
        logging.getLogger("nanoping.test.quiet").info("kept in the file")
    finally:
        app_log.detach()
        assert root.level == logging.WARNING
        root.setLevel(before)
    assert "kept in the file" in (tmp_path / "node.log").read_text()


def test_formatter_output_is_one_line() -> None:
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "two\nlines", None, None)
    line = JsonLineFormatter().format(record)
    assert "\n" not in line
    assert json.loads(line)["message"] == "two\nlines"


def test_raw_output_past_the_limit_is_rotated_by_maintenance(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    stdout = os.open(os.devnull, os.O_WRONLY)  # stands in for the run process's stdout
    run = SharedLogFile(path, rotation=SMALL, stdio=(stdout,))
    node = SharedLogFile(path, rotation=SMALL)
    try:
        os.dup2(run.fd, stdout)
        os.write(stdout, b"raw trace line\n" * 400)  # 6000 bytes, no entry, no check
        assert len(log_parts(path)) == 1
        node.maintain()  # the node's once-a-second look rotates it
        assert [part.name for part in log_parts(path)] == ["run.log.1", "run.log"]
        run.maintain()  # the run process follows: its stdout moves to the new file
        os.write(stdout, b"after\n")
        assert path.read_bytes() == b"after\n"
    finally:
        node.close()
        run.close()
        os.close(stdout)
