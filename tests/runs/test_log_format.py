"""Run log lines: how they are written, filtered, and read back as API messages."""

from __future__ import annotations

import json
import os
from pathlib import Path

from nanoping.pipelines.settings import LogLevel
from nanoping.runs.log_entry import LogEntryReader
from nanoping.runs.log_file import RunLog, format_timestamp, log_line, open_for_append

NOW = 1_700_000_000.25


def test_a_line_is_one_json_object_with_timestamp_level_message_and_data() -> None:
    line = log_line(now=NOW, level=LogLevel.ERROR, message="run ended", data={"exit_code": 1})
    assert line.endswith(b"\n")
    assert json.loads(line) == {
        "timestamp": "2023-11-14T22:13:20.250000Z",
        "level": "ERROR",
        "message": "run ended",
        "data": {"exit_code": 1},
    }
    assert "data" not in json.loads(log_line(now=NOW, level=LogLevel.INFO, message="x"))


def test_the_log_writes_only_lines_at_or_above_its_level(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    fd = open_for_append(path)
    try:
        log = RunLog(fd, level=LogLevel.INFO, clock=lambda: NOW)
        log.state("starting")
        log.debug("detail")
        log.info("run started", pid=12)
        log.warning("odd")
        log.level = LogLevel.FATAL
        log.error("hidden")
        log.fatal("gone")
    finally:
        os.close(fd)
    entries = [json.loads(line) for line in path.read_text().splitlines()]
    assert [(e["level"], e["message"]) for e in entries] == [
        ("INFO", "run started"),
        ("WARNING", "odd"),
        ("FATAL", "gone"),
    ]


def test_our_lines_become_messages_with_the_raw_line_as_data() -> None:
    line = log_line(now=NOW, level=LogLevel.WARNING, message="hung", data={"pid": 3}).rstrip()
    message = LogEntryReader().message(line)
    assert message.message == "hung"
    assert LogLevel(message.level) is LogLevel.WARNING
    assert message.data == line.decode()
    assert message.timestamp.ToMicroseconds() == 1_700_000_000_250_000


def test_lines_that_are_not_json_are_sent_whole_with_the_last_known_time() -> None:
    reader = LogEntryReader()
    assert not reader.message(b"Traceback (most recent call last):").HasField("timestamp")
    reader.message(log_line(now=NOW, level=LogLevel.INFO, message="before").rstrip())
    raw = reader.message(b"ZeroDivisionError: division by zero")
    assert (raw.message, raw.data, LogLevel(raw.level)) == (
        "ZeroDivisionError: division by zero",
        "",
        LogLevel.WARNING,
    )
    assert raw.timestamp.ToMicroseconds() == 1_700_000_000_250_000


def test_json_without_our_keys_keeps_the_raw_line_as_message_and_data() -> None:
    reader = LogEntryReader()
    array = reader.message(b"[1, 2]")
    assert (array.message, array.data) == ("[1, 2]", "[1, 2]")
    other = reader.message(b'{"msg": "x", "level": 4, "timestamp": 12.5}')
    assert other.message == '{"msg": "x", "level": 4, "timestamp": 12.5}'
    assert LogLevel(other.level) is LogLevel.ERROR
    assert other.timestamp.ToMicroseconds() == 12_500_000
    unknown = reader.message(b'{"message": "m", "level": "LOUD", "timestamp": "yesterday"}')
    assert (unknown.message, LogLevel(unknown.level)) == ("m", LogLevel.INFO)
    assert unknown.timestamp.ToMicroseconds() == 12_500_000


def test_timestamps_round_trip_to_the_microsecond() -> None:
    text = format_timestamp(1_700_000_000.000001)
    assert text == "2023-11-14T22:13:20.000001Z"
    entry = json.dumps({"timestamp": text, "level": "INFO", "message": "m"}).encode()
    assert LogEntryReader().message(entry).timestamp.ToMicroseconds() == 1_700_000_000_000_001
