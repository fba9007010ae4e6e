"""The node's application log: every Python logging record of the node as one JSON line.

Same shape as a run log (:mod:`nanoping.runs.log_file`): ``timestamp``, ``level`` (the API's
level names; CRITICAL becomes FATAL), ``message`` and ``data`` with the logger's name, the
exception trace if any, and the ``extra`` fields a caller passed. The file is ``node.log`` in
the data dir and rotates by size (:mod:`nanoping.logs.rotation`); the node is its only writer,
so the standard library's rotating handler does the rotation. Records reach it through the root
logger, so every library's lines arrive too (uvicorn's included, once routed to logging).
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

from nanoping.logs.rotation import LogRotation
from nanoping.pipelines.settings import LogLevel
from nanoping.runs.log_file import log_line

APP_LOG_FILE = "node.log"
"""Name of the application log in the data dir."""
APP_LOG_LEVEL = logging.INFO
"""Least severe records the application log keeps, whatever stderr shows."""

_LEVELS = {
    logging.DEBUG: LogLevel.DEBUG,
    logging.INFO: LogLevel.INFO,
    logging.WARNING: LogLevel.WARNING,
    logging.ERROR: LogLevel.ERROR,
    logging.CRITICAL: LogLevel.FATAL,
}
_STANDARD_ATTRIBUTES = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)


def app_log_path(data_dir: Path) -> Path:
    """Where the application log of the node using ``data_dir`` lives."""
    return data_dir / APP_LOG_FILE


def level_of(record: logging.LogRecord) -> LogLevel:
    """The API level of a logging record (custom levels round down to the nearest known one)."""
    known = [number for number in _LEVELS if number <= record.levelno]
    return _LEVELS[max(known)] if known else LogLevel.DEBUG


class JsonLineFormatter(logging.Formatter):
    """Formats a record as one log line of the run-log shape (without its line break)."""

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, object] = {"logger": record.name}
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRIBUTES and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        line = log_line(
            now=record.created, level=level_of(record), message=record.getMessage(), data=data
        )
        return line.decode().rstrip("\n")


class AppLog:
    """The application log attached to the root logger, from :meth:`attach` to :meth:`detach`."""

    def __init__(self, path: Path, *, rotation: LogRotation) -> None:
        self.path = path
        self.rotation = rotation
        self._handler: logging.Handler | None = None
        self._lowered_from: int | None = None

    def attach(self) -> None:
        """Start writing every record at INFO or above (also when stderr shows less)."""
        handler = logging.handlers.RotatingFileHandler(
            self.path,
            maxBytes=self.rotation.max_bytes,
            backupCount=self.rotation.backups,
            encoding="utf-8",
        )
        handler.setFormatter(JsonLineFormatter())
        handler.setLevel(APP_LOG_LEVEL)
        root = logging.getLogger()
        if root.getEffectiveLevel() > APP_LOG_LEVEL:
            # The root level gates every handler: lower it and keep stderr as it was.
            self._lowered_from = root.level
            for existing in root.handlers:
                if existing.level < self._lowered_from:
                    existing.setLevel(self._lowered_from)
            root.setLevel(APP_LOG_LEVEL)
        root.addHandler(handler)
        self._handler = handler

    def detach(self) -> None:
        """Stop writing and close the file."""
        if self._handler is None:
            return
        root = logging.getLogger()
        root.removeHandler(self._handler)
        self._handler.close()
        self._handler = None
        if self._lowered_from is not None:
            root.setLevel(self._lowered_from)
            self._lowered_from = None
