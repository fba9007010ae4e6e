"""Following a run log: backlog of N lines, then appended lines, whole lines only."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from nanoping.errors import ResourceExhausted
from nanoping.logs.rotation import LogRotation, log_parts, rotate
from nanoping.logs.shared_file import SharedLogFile
from nanoping.logs.tail import BATCH_LINES, LineSplitter, LogTail, batched

POLL = 0.01


async def collect(tail: LogTail, count: int) -> list[bytes]:
    lines: list[bytes] = []
    async with asyncio.timeout(5):
        async for batch in tail.batches():
            lines.extend(batch)
            if len(lines) >= count:
                return lines
    return lines


def write(path: Path, text: str) -> None:
    with path.open("ab") as file:
        file.write(text.encode())


def test_the_splitter_holds_back_an_unfinished_line() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"one\ntw") == [b"one"]
    assert splitter.feed(b"o\n\nthree") == [b"two"]
    assert splitter.feed(b"\n") == [b"three"]


def test_batches_are_bounded() -> None:
    lines = [b"x"] * (BATCH_LINES + 1)
    assert [len(batch) for batch in batched(lines)] == [BATCH_LINES, 1]


@pytest.mark.parametrize(
    ("backlog", "expected"),
    [
        (0, []),
        (1, [b"c"]),
        (2, [b"b", b"c"]),
        (3, [b"a", b"b", b"c"]),
        (2**63 - 1, [b"a", b"b", b"c"]),
    ],
)
async def test_backlog_sends_the_last_lines(
    tmp_path: Path, backlog: int, expected: list[bytes]
) -> None:
    path = tmp_path / "run.log"
    write(path, "a\nb\nc\npartial")
    closed = asyncio.Event()
    tail = LogTail(path, backlog=backlog, closed=closed, poll_interval=POLL)
    write(path, " line\nd\n")
    assert await collect(tail, len(expected) + 2) == [*expected, b"partial line", b"d"]


async def test_following_a_file_that_does_not_exist_yet(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    tail = LogTail(path, backlog=10, closed=asyncio.Event(), poll_interval=POLL)
    follower = asyncio.ensure_future(collect(tail, 2))
    write(path, "first\nsecond\n")
    assert await follower == [b"first", b"second"]


async def test_a_long_backlog_spans_many_scan_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    lines = [f"line {n:06d} {'x' * 100}" for n in range(3000)]
    write(path, "\n".join(lines) + "\n")
    tail = LogTail(path, backlog=2500, closed=asyncio.Event(), poll_interval=POLL)
    received = await collect(tail, 2500)
    assert [line.decode() for line in received] == lines[500:]


async def test_closing_ends_the_stream(tmp_path: Path) -> None:
    closed = asyncio.Event()
    tail = LogTail(tmp_path / "idle.log", backlog=0, closed=closed, poll_interval=POLL)
    asyncio.get_running_loop().call_later(POLL * 2, closed.set)
    assert await collect(tail, 1) == []


async def test_backlog_reaches_into_rotated_parts(tmp_path: Path) -> None:
    path = tmp_path / "app.log"
    write(tmp_path / "app.log.2", "a\nb\n")
    write(tmp_path / "app.log.1", "c\nd\n")
    write(path, "e\n")
    tail = LogTail(path, backlog=4, closed=asyncio.Event(), poll_interval=POLL)
    assert await collect(tail, 4) == [b"b", b"c", b"d", b"e"]


async def test_following_crosses_a_rotation_without_loss(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    log = SharedLogFile(path, rotation=LogRotation(max_bytes=4096, backups=3))
    log.write(b"before\n")
    tail = LogTail(path, backlog=1, closed=asyncio.Event(), poll_interval=POLL)
    lines = [f"line {number:04d} {'z' * 60}".encode() for number in range(150)]
    follower = asyncio.ensure_future(collect(tail, 151))
    for line in lines:
        log.write(line + b"\n")
        if int(line[5:9]) % 20 == 0:
            await asyncio.sleep(POLL)  # let the follower read while the log rotates
    log.close()
    assert len(log_parts(path)) > 1
    assert await follower == [b"before", *lines]


async def test_a_reader_the_rotation_overtook_ends_with_resource_exhausted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "run.log"
    write(path, "first\n")
    tail = LogTail(path, backlog=1, closed=asyncio.Event(), poll_interval=POLL)
    for generation in range(3):  # with one rotated part kept, the first file is deleted
        rotate(path, backups=1)
        write(path, f"generation {generation}\n")
    with pytest.raises(ResourceExhausted, match="fell too far behind"):
        await collect(tail, 10)


async def test_the_stream_over_an_ended_log_ends_after_its_last_line(tmp_path: Path) -> None:
    path = tmp_path / "ended.log"
    write(path, "run started\nrun ended\n")
    tail = LogTail(path, backlog=10, closed=asyncio.Event(), ended=lambda: True, poll_interval=POLL)
    assert [line async for batch in tail.batches() for line in batch] == [
        b"run started",
        b"run ended",
    ]


async def test_lines_written_before_the_end_is_recorded_are_all_sent(tmp_path: Path) -> None:
    path = tmp_path / "ending.log"
    write(path, "first\n")
    checks: list[bool] = []

    def ended() -> bool:
        # The writer writes its last line, then records its end, between two looks.
        if not checks:
            write(path, "last\n")
        checks.append(bool(checks))
        return checks[-1]

    tail = LogTail(path, backlog=0, closed=asyncio.Event(), ended=ended, poll_interval=POLL)
    async with asyncio.timeout(5):
        received = [line async for batch in tail.batches() for line in batch]
    assert received == [b"last"]
