"""Follow a log across its rotated parts: the last N lines first, then every line appended.

The position that splits "past" from "new" is fixed when the tail is created (at call time,
before the stream's headers go out), so no line written after the caller saw the stream open is
missed and none is sent twice. The past lines may reach back into rotated parts (``NAME.1`` ..);
those are opened at creation, so a rotation while the backlog is sent loses nothing. A line is
sent once it is complete (its line break written).

Following: the live file is polled (the writers are other processes, and a stat every 100 ms
per open stream costs nothing next to the wake-ups a portable file-change notifier would need).
When the path names another file (the log rotated), the rest of the old file is read from the
still-open descriptor, then the tail moves to the next newer part. A reader so slow that the
part it needs next was already deleted ends with RESOURCE_EXHAUSTED instead of silently
skipping lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nanoping.errors import ResourceExhausted
from nanoping.logs.rotation import part_path, rotated_indexes

POLL_INTERVAL = 0.1
"""Seconds between two looks at the file's size while following."""
READ_SIZE = 1024 * 1024
"""Bytes read per read call."""
BATCH_LINES = 500
"""Most lines per batch."""
BATCH_BYTES = 512 * 1024
"""Batches are closed once they hold this many bytes (keeps stream messages well under 4 MiB)."""
_SCAN_SIZE = 64 * 1024


class LineSplitter:
    """Cuts a byte stream into lines; keeps an unfinished last line until its break arrives."""

    def __init__(self) -> None:
        self._partial = b""

    def feed(self, data: bytes) -> list[bytes]:
        """Complete lines (without their ``\\n``) that ``data`` finishes; empty lines dropped."""
        pieces = (self._partial + data).split(b"\n")
        self._partial = pieces.pop()
        return [piece for piece in pieces if piece.strip()]


def batched(lines: list[bytes]) -> Iterator[list[bytes]]:
    """``lines`` in consecutive batches of at most BATCH_LINES lines / about BATCH_BYTES."""
    batch: list[bytes] = []
    size = 0
    for line in lines:
        batch.append(line)
        size += len(line)
        if len(batch) >= BATCH_LINES or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


@dataclass
class _Segment:
    """Part of one log file to send: from ``start`` to ``end`` (None: follow to the end)."""

    file: BinaryIO
    start: int
    end: int | None


class LogTail:
    """The lines of one log: ``backlog`` past lines, then new ones until ``closed`` is set
    or the log's writer has ended (``ended``) and every line it wrote was sent.

    ``ended`` must become true only after the last line was written (the node writes a run's
    "run ended" line before it records the end), so one more read after it drains the log.
    """

    def __init__(
        self,
        path: Path,
        *,
        backlog: int,
        closed: asyncio.Event,
        ended: Callable[[], bool] = lambda: False,
        poll_interval: float = POLL_INTERVAL,
    ) -> None:
        self._path = path
        self._closed = closed
        self._ended = ended
        self._poll_interval = poll_interval
        self._segments = _backlog_segments(path, backlog)

    async def batches(self) -> AsyncIterator[list[bytes]]:
        """Past lines, then new lines as they are written, oldest first, in batches."""
        splitter = LineSplitter()
        try:
            while self._segments and self._segments[0].end is not None:
                segment = self._segments.pop(0)
                for batch in _segment_batches(segment, splitter):
                    yield batch
                segment.file.close()
            live = None
            if self._segments:
                segment = self._segments.pop(0)
                live = segment.file
                live.seek(segment.start)
            async for batch in self._follow(live, splitter):
                yield batch
        finally:
            for segment in self._segments:
                segment.file.close()

    async def _follow(
        self, live: BinaryIO | None, splitter: LineSplitter
    ) -> AsyncIterator[list[bytes]]:
        try:
            while not self._closed.is_set():
                finished = self._ended()  # looked at before the read, so the read drains the log
                data = live.read(READ_SIZE) if live is not None else b""
                if data:
                    for batch in batched(splitter.feed(data)):
                        yield batch
                    continue
                newer = self._next_file(live)
                if newer is not None:
                    if live is not None:
                        live.close()
                    live = newer
                    continue
                if finished or await _wait(self._closed, self._poll_interval):
                    return
        finally:
            if live is not None:
                live.close()

    def _next_file(self, current: BinaryIO | None) -> BinaryIO | None:
        """The file that follows ``current`` once the log rotated, else None (keep polling)."""
        if current is None:
            return _open(self._path)
        if _same_file(current, self._path):
            return None
        mine = os.fstat(current.fileno())
        newer: Path | None = None
        for index in [0, *rotated_indexes(self._path)]:
            part = part_path(self._path, index)
            if _identity(part) == (mine.st_dev, mine.st_ino):
                return _open(newer) if newer is not None else None
            newer = part
        raise ResourceExhausted(
            f"log {self._path.name} rotated past this reader: it fell too far behind the "
            "writers and lines were deleted before it read them; open the stream again"
        )


def _segment_batches(segment: _Segment, splitter: LineSplitter) -> Iterator[list[bytes]]:
    segment.file.seek(segment.start)
    remaining = None if segment.end is None else segment.end - segment.start
    while remaining is None or remaining > 0:
        size = READ_SIZE if remaining is None else min(READ_SIZE, remaining)
        data = segment.file.read(size)
        if not data:
            return
        if remaining is not None:
            remaining -= len(data)
        yield from batched(splitter.feed(data))


def _backlog_segments(path: Path, count: int) -> list[_Segment]:
    """Open segments holding the last ``count`` complete lines, then the live file to follow.

    The live segment starts just after the live file's last line break (that is where "new"
    begins); its unfinished last line, if any, is sent once finished.
    """
    live = _open(path)
    if live is None:
        return []
    boundary = _last_line_end(live)
    start, wanted = _lines_back(live, boundary, count)
    segments = [_Segment(live, start, None)]
    for index in rotated_indexes(path):
        if wanted <= 0:
            break
        part = _open(part_path(path, index))
        if part is None:
            break
        end = part.seek(0, os.SEEK_END)
        start, wanted = _lines_back(part, end, wanted)
        segments.insert(0, _Segment(part, start, end))
    return segments


def _lines_back(file: BinaryIO, end: int, count: int) -> tuple[int, int]:
    """Offset of the first of the last ``count`` lines ending by ``end``, and how many are missing.

    Every byte before ``end`` belongs to complete lines (``end`` is a line end or the file's end).
    """
    if count <= 0 or end == 0:
        return end, count
    # The break at end - 1 ends the last line; the count-th line from the end starts after the
    # (count + 1)-th break counted backwards, or at the file's start.
    wanted = count + 1
    position = end
    while position > 0:
        size = min(_SCAN_SIZE, position)
        position -= size
        file.seek(position)
        chunk = file.read(size)
        found = chunk.count(b"\n")
        if found < wanted:
            wanted -= found
            continue
        index = len(chunk)
        for _ in range(wanted):
            index = chunk.rfind(b"\n", 0, index)
        return position + index + 1, 0
    # The whole file is fewer lines than asked: all of them, and the rest from older parts.
    return 0, wanted - 1


def _last_line_end(file: BinaryIO) -> int:
    """Offset just after the file's last line break (0 if none): where "new" begins."""
    position = file.seek(0, os.SEEK_END)
    while position > 0:
        size = min(_SCAN_SIZE, position)
        position -= size
        file.seek(position)
        index = file.read(size).rfind(b"\n")
        if index >= 0:
            return position + index + 1
    return 0


def _open(path: Path) -> BinaryIO | None:
    try:
        return path.open("rb")
    except FileNotFoundError:
        return None


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        named = path.stat()
    except FileNotFoundError:
        return None
    return named.st_dev, named.st_ino


def _same_file(file: BinaryIO, path: Path) -> bool:
    mine = os.fstat(file.fileno())
    return _identity(path) == (mine.st_dev, mine.st_ino)


async def _wait(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set (True) or ``seconds`` pass (False)."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await event.wait()
        return True
    return False
