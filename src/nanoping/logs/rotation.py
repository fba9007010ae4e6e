"""Size-based rotation of a log file, with a bounded number of rotated parts.

A log is its live file ``NAME`` and up to ``backups`` rotated parts: ``NAME.1`` is the newest,
``NAME.<backups>`` the oldest. When the live file reaches ``max_bytes`` it is renamed to
``NAME.1`` (the others move up one, the oldest is deleted) and a new live file starts. A log
therefore never takes more than about ``(backups + 1) * max_bytes`` on disk.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
"""Size at which a live log file is rotated (10 MiB)."""
DEFAULT_BACKUPS = 4
"""Rotated parts kept besides the live file."""
MIN_MAX_BYTES = 4096
"""Smallest allowed ``max_bytes``: below it, one long line would rotate the file on its own."""
MAX_BACKUPS = 100
"""Most rotated parts a log may keep."""


@dataclass(frozen=True)
class LogRotation:
    """When a log rotates and how many rotated parts it keeps."""

    max_bytes: int = DEFAULT_MAX_BYTES
    """Size in bytes at which the live file is rotated."""
    backups: int = DEFAULT_BACKUPS
    """Rotated parts kept besides the live file; older ones are deleted."""

    def __post_init__(self) -> None:
        if isinstance(self.max_bytes, bool) or not isinstance(self.max_bytes, int):
            raise ValueError(f"max_bytes must be an integer, got {self.max_bytes!r}")
        if self.max_bytes < MIN_MAX_BYTES:
            raise ValueError(f"max_bytes must be at least {MIN_MAX_BYTES}, got {self.max_bytes}")
        if isinstance(self.backups, bool) or not isinstance(self.backups, int):
            raise ValueError(f"backups must be an integer, got {self.backups!r}")
        if not 1 <= self.backups <= MAX_BACKUPS:
            raise ValueError(f"backups must be between 1 and {MAX_BACKUPS}, got {self.backups}")


def part_path(path: Path, index: int) -> Path:
    """Rotated part ``index`` of the log at ``path`` (0 is the live file)."""
    return path if index == 0 else path.with_name(f"{path.name}.{index}")


def rotated_indexes(path: Path) -> list[int]:
    """Indexes of the rotated parts that exist, newest (1) first."""
    pattern = re.compile(re.escape(path.name) + r"\.([1-9][0-9]{0,3})")
    found: list[int] = []
    with contextlib.suppress(FileNotFoundError):
        for entry in path.parent.iterdir():
            match = pattern.fullmatch(entry.name)
            if match:
                found.append(int(match.group(1)))
    return sorted(found)


def log_parts(path: Path) -> list[Path]:
    """Every file of the log that exists, oldest first (the live file last)."""
    parts = [part_path(path, index) for index in reversed(rotated_indexes(path))]
    if path.exists():
        parts.append(path)
    return parts


def rotate(path: Path, backups: int) -> None:
    """Move the live file to ``.1`` and every part up one; parts past ``backups`` are deleted."""
    indexes = rotated_indexes(path)
    for index in reversed(indexes):
        if index >= backups:
            part_path(path, index).unlink(missing_ok=True)
        else:
            part_path(path, index).rename(part_path(path, index + 1))
    with contextlib.suppress(FileNotFoundError):
        path.rename(part_path(path, 1))


def remove_log(path: Path) -> None:
    """Delete the live file and every rotated part."""
    for part in log_parts(path):
        part.unlink(missing_ok=True)


def disk_usage(path: Path) -> int:
    """Bytes the log's files take together."""
    total = 0
    for part in log_parts(path):
        with contextlib.suppress(FileNotFoundError):
            total += part.stat().st_size
    return total
