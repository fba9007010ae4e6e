"""The logs of networks and network instances: JSON lines in the networks node's data dir.

One file per network (``<id>.log``) and per instance, in the format of run logs, so the same
reader serves them; ``openLogStream`` replays the requested backlog, then follows.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from nanoping.api import logging_pb2
from nanoping.logs.tail import LogTail
from nanoping.pipelines.settings import LogLevel
from nanoping.runs.log_entry import LogEntryReader
from nanoping.runs.log_file import log_line, open_for_append

MAX_LOG_BYTES = 4 * 1024 * 1024
"""Size at which a log is rotated (the previous file is kept as ``<id>.log.1``)."""


class ActivityLog:
    """Appends entries to, and streams, the logs of networks and instances."""

    def __init__(self, directory: Path, *, clock: Callable[[], float] = time.time) -> None:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        self._directory = directory
        self._clock = clock
        self.closed = asyncio.Event()

    def path(self, log_id: str) -> Path:
        return self._directory / f"{log_id}.log"

    def write(self, log_id: str, level: LogLevel, message: str, **data: object) -> None:
        """Append one entry; a full disk loses the entry, never the caller."""
        path = self.path(log_id)
        line = log_line(now=self._clock(), level=level, message=message, data=data)
        with contextlib.suppress(OSError):
            if path.exists() and path.stat().st_size + len(line) > MAX_LOG_BYTES:
                path.replace(path.with_suffix(".log.1"))
            fd = open_for_append(path)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def info(self, log_id: str, message: str, **data: object) -> None:
        self.write(log_id, LogLevel.INFO, message, **data)

    def error(self, log_id: str, message: str, **data: object) -> None:
        self.write(log_id, LogLevel.ERROR, message, **data)

    def stream(self, log_id: str, lines: int) -> AsyncIterator[list[logging_pb2.Message]]:
        """The last ``lines`` entries, then new ones as batches (fixed at call time)."""
        path = self.path(log_id)
        path.touch(exist_ok=True)
        tail = LogTail(path, backlog=lines, closed=self.closed)

        async def batches() -> AsyncIterator[list[logging_pb2.Message]]:
            reader = LogEntryReader()
            async for batch in tail.batches():
                yield [reader.message(line) for line in batch]

        return batches()
