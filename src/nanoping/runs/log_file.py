"""A run's log: one JSON object per line, appended to ``<runs dir>/<run id>.log``.

Each line is ``{"timestamp": RFC 3339 UTC, "level": "INFO", "message": "...", "data": {...}}``
(``data`` only when there are details). Lines below the pipeline's logging level are not
written at all. The node and the run process append to the same file, each with its own
``O_APPEND`` descriptor and one ``write`` per line, so lines never interleave; whatever the run
process prints on stdout/stderr (a crash trace) lands in the file too, as plain lines.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from nanoping.pipelines.settings import LogLevel

LOG_SUFFIX = ".log"


def run_log_path(runs_dir: Path, run_id: str) -> Path:
    """Where the log of run ``run_id`` lives."""
    return runs_dir / f"{run_id}{LOG_SUFFIX}"


def open_for_append(path: Path) -> int:
    """A write-only, append-only descriptor on ``path`` (created if needed), not inherited."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)


def format_timestamp(now: float) -> str:
    """``now`` (Unix seconds) as RFC 3339 UTC with microseconds, e.g. 2024-06-11T10:00:00.000001Z."""
    moment = datetime.datetime.fromtimestamp(now, datetime.UTC)
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def log_line(
    *, now: float, level: LogLevel, message: str, data: Mapping[str, object] | None = None
) -> bytes:
    """One encoded line, newline included."""
    entry: dict[str, object] = {
        "timestamp": format_timestamp(now),
        "level": level.name,
        "message": message,
    }
    if data:
        entry["data"] = dict(data)
    return (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode()


class RunLog:
    """Writes lines at or above ``level`` to one descriptor (the caller owns the descriptor)."""

    def __init__(self, fd: int, *, level: LogLevel, clock: Callable[[], float] = time.time) -> None:
        self._fd = fd
        self.level = level
        self._clock = clock

    def write(self, level: LogLevel, message: str, **data: object) -> None:
        """Append one entry unless ``level`` is below the log's level."""
        if level < self.level:
            return
        line = log_line(now=self._clock(), level=level, message=message, data=data)
        # A full disk must not take the run or the node down; the entry is lost.
        with contextlib.suppress(OSError):
            os.write(self._fd, line)

    def state(self, message: str, **data: object) -> None:
        """Log a state change of the run at STATE."""
        self.write(LogLevel.STATE, message, **data)

    def debug(self, message: str, **data: object) -> None:
        """Log a detail for debugging at DEBUG."""
        self.write(LogLevel.DEBUG, message, **data)

    def info(self, message: str, **data: object) -> None:
        """Log a normal event at INFO."""
        self.write(LogLevel.INFO, message, **data)

    def warning(self, message: str, **data: object) -> None:
        """Log something unusual the run survives at WARNING."""
        self.write(LogLevel.WARNING, message, **data)

    def error(self, message: str, **data: object) -> None:
        """Log a failure at ERROR."""
        self.write(LogLevel.ERROR, message, **data)

    def fatal(self, message: str, **data: object) -> None:
        """Log a failure the run cannot survive at FATAL."""
        self.write(LogLevel.FATAL, message, **data)
