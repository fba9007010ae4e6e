"""Follow a run log: the last N lines first, then every line appended, in batches.

The position that splits "past" from "new" is fixed when the tail is created (at call time,
before the stream's headers go out), so no line written after the caller saw the stream open is
missed and none is sent twice. A line is sent once it is complete (its line break written). The
file is polled: the writers are other processes, and a stat every 100 ms per open stream costs
nothing next to the wake-ups a file-change notifier would need to be portable.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

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


class LogTail:
    """The lines of one log file: ``backlog`` past lines, then new ones until ``closed`` is set
    or the log's writer has ended (``ended``) and every line it wrote was sent.

    ``ended`` must become true only after the last line was written (the node writes a run's
    "run ended" line before it records the end), so one more read after it drains the file.
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
        self._boundary = _last_line_end(path)
        self._start = _backlog_start(path, backlog, self._boundary)

    async def batches(self) -> AsyncIterator[list[bytes]]:
        """Past lines, then new lines as they are written, oldest first, in batches."""
        splitter = LineSplitter()
        offset = self._start
        while not self._closed.is_set():
            finished = self._ended()  # looked at before the read, so the read drains the file
            data = _read(self._path, offset)
            if not data:
                if finished or await _wait(self._closed, self._poll_interval):
                    return
                continue
            offset += len(data)
            for batch in batched(splitter.feed(data)):
                yield batch


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _read(path: Path, offset: int) -> bytes:
    """Up to READ_SIZE bytes at ``offset``; empty when there are none (or no file yet)."""
    try:
        with path.open("rb") as file:
            file.seek(offset)
            return file.read(READ_SIZE)
    except FileNotFoundError:
        return b""


def _last_line_end(path: Path) -> int:
    """Offset just after the file's last line break (0 if none): where "new" begins."""
    end = _size(path)
    if end == 0:
        return 0
    with path.open("rb") as file:
        position = end
        while position > 0:
            size = min(_SCAN_SIZE, position)
            position -= size
            file.seek(position)
            index = file.read(size).rfind(b"\n")
            if index >= 0:
                return position + index + 1
    return 0


def _backlog_start(path: Path, count: int, boundary: int) -> int:
    """Offset of the first of the last ``count`` lines that end at or before ``boundary``."""
    if count <= 0 or boundary == 0:
        return boundary
    # The line break at boundary - 1 ends the last line; the start of the count-th line from
    # the end follows the (count + 1)-th break counted backwards, or is the file's start.
    wanted = count + 1
    with path.open("rb") as file:
        position = boundary
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
            return position + index + 1
    return 0


async def _wait(event: asyncio.Event, seconds: float) -> bool:
    """Wait until ``event`` is set (True) or ``seconds`` pass (False)."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
