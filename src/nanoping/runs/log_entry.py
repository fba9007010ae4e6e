"""One line of a run log as the API's ``logging.Message``.

The reference: ``message`` is the extracted text, or the whole raw line when no text can be
extracted; ``data`` is the raw line when it is valid JSON, otherwise empty. Our own lines (see
:mod:`nanoping.runs.log_file`) carry ``timestamp``, ``level`` and ``message`` keys. Lines that
are not ours, such as a crash trace the run process printed, get level WARNING and the time of
the nearest earlier entry (the file has no better clue to when they were written).
"""

from __future__ import annotations

import datetime
import json
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from nanoping.api import logging_pb2
from nanoping.pipelines.settings import LogLevel

UNSTRUCTURED_LEVEL = LogLevel.WARNING
"""Level given to lines that are not JSON objects (output the run did not log itself)."""
DEFAULT_LEVEL = LogLevel.INFO
"""Level of a JSON entry that names none (or an unknown one)."""
_LEVELS = {level.name: level for level in LogLevel}
_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


class LogEntryReader:
    """Converts the lines of one log, in file order (it remembers the last timestamp seen)."""

    def __init__(self) -> None:
        self._last_time: Timestamp | None = None

    def message(self, line: bytes) -> logging_pb2.Message:
        """The API message for one line (without its line break)."""
        text = line.decode("utf-8", errors="replace").rstrip("\r\n")
        try:
            entry: Any = json.loads(text)
        except ValueError:
            return self._unstructured(text, data="")
        if not isinstance(entry, dict):
            return self._unstructured(text, data=text)
        extracted = entry.get("message")
        result = logging_pb2.Message(
            level=_level(entry.get("level")).name,
            message=extracted if isinstance(extracted, str) else text,
            data=text,
        )
        moment = _timestamp(entry.get("timestamp"))
        if moment is not None:
            self._last_time = moment
        if self._last_time is not None:
            result.timestamp.CopyFrom(self._last_time)
        return result

    def _unstructured(self, text: str, *, data: str) -> logging_pb2.Message:
        result = logging_pb2.Message(level=UNSTRUCTURED_LEVEL.name, message=text, data=data)
        if self._last_time is not None:
            result.timestamp.CopyFrom(self._last_time)
        return result


def _level(value: object) -> LogLevel:
    if isinstance(value, str):
        return _LEVELS.get(value.upper(), DEFAULT_LEVEL)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= LogLevel.FATAL:
        return LogLevel(value)
    return DEFAULT_LEVEL


def _timestamp(value: object) -> Timestamp | None:
    """An RFC 3339 string or a number of Unix seconds as a Timestamp; None if neither."""
    try:
        micros = _microseconds(value)
    except (ValueError, OverflowError):
        return None
    if micros is None:
        return None
    result = Timestamp()
    try:
        result.FromMicroseconds(micros)
    except (ValueError, OverflowError):
        return None
    return result


def _microseconds(value: object) -> int | None:
    """Microseconds since the Unix epoch, exact for RFC 3339 text; None for other types."""
    if isinstance(value, str):
        moment = datetime.datetime.fromisoformat(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=datetime.UTC)
        return (moment - _EPOCH) // datetime.timedelta(microseconds=1)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(value * 1_000_000)
    return None
