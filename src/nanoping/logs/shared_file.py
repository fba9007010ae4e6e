"""Appending whole lines to a log that several processes write, rotating it by size.

A run's log has three writers: the node (its own lines about the run), the run process (its
entries) and the run process's stdout/stderr (whatever it prints, such as a crash trace). Each
entry is written under a POSIX record lock on the live file, which every writer takes, so only
one process at a time appends and checks the size. The writer that finds the file at the limit
renames it (:func:`~nanoping.logs.rotation.rotate`); the others notice on their next entry that
the path names another file and reopen it. Output printed without an entry (stdout/stderr of the
run process) is written without the lock; it follows the run process's descriptor, which the run
process points at the new live file when it reopens (``stdio``); :meth:`SharedLogFile.maintain`,
called about once a second by the node and by the run process, rotates a file that raw output
filled and makes the run process follow.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Sequence
from pathlib import Path

from nanoping.logs.rotation import LogRotation, rotate

_REOPEN_TRIES = 5
"""Reopens tolerated for one entry (other writers rotating at the same moment)."""


def open_for_append(path: Path) -> int:
    """A write-only, append-only descriptor on ``path`` (created if needed), not inherited."""
    return os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)


class SharedLogFile:
    """One writer's handle on a rotating log file.

    ``fd`` is an already open append descriptor on ``path`` (it is owned from now on); without
    one the file is opened. ``stdio`` lists descriptors (1, 2 in a run process) that are pointed
    at the live file whenever this handle reopens it.
    """

    def __init__(
        self,
        path: Path,
        *,
        rotation: LogRotation,
        fd: int | None = None,
        stdio: Sequence[int] = (),
    ) -> None:
        self.path = path
        self.rotation = rotation
        self._stdio = tuple(stdio)
        self._fd = open_for_append(path) if fd is None else fd

    @property
    def fd(self) -> int:
        """The descriptor on the live file this handle last opened."""
        return self._fd

    def write(self, line: bytes) -> None:
        """Append ``line`` (one whole entry, newline included) and rotate if the file is full.

        A full disk or a vanished data dir must not take the writer down: the entry is lost.
        """
        with contextlib.suppress(OSError):
            self._locked_write(line)

    def maintain(self) -> None:
        """Rotate the file if raw output filled it, and follow another writer's rotation.

        Raw output (stdout/stderr of the run process) is written without a check; the node and
        the run process call this about once a second, so that output too stays bounded.
        """
        with contextlib.suppress(OSError):
            fd = self._lock_live()
            try:
                if os.fstat(fd).st_size >= self.rotation.max_bytes:
                    rotate(self.path, self.rotation.backups)
                    self._reopen()
            finally:
                if fd == self._fd:
                    fcntl.lockf(fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the descriptor (once)."""
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def _locked_write(self, line: bytes) -> None:
        fd = self._lock_live()
        try:
            os.write(fd, line)
            if os.fstat(fd).st_size >= self.rotation.max_bytes:
                rotate(self.path, self.rotation.backups)
                self._reopen()  # closing the old descriptor releases its lock
        finally:
            if fd == self._fd:
                fcntl.lockf(fd, fcntl.LOCK_UN)

    def _lock_live(self) -> int:
        """Lock the live file, reopening first if another writer rotated it away."""
        for _ in range(_REOPEN_TRIES):
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            if self._is_live():
                return self._fd
            fcntl.lockf(self._fd, fcntl.LOCK_UN)
            self._reopen()
        fcntl.lockf(self._fd, fcntl.LOCK_EX)
        return self._fd

    def _is_live(self) -> bool:
        try:
            named = os.stat(self.path)
        except FileNotFoundError:
            return False
        mine = os.fstat(self._fd)
        return (named.st_dev, named.st_ino) == (mine.st_dev, mine.st_ino)

    def _reopen(self) -> None:
        fresh = open_for_append(self.path)
        if self._stdio:
            for target in self._stdio:
                os.dup2(fresh, target)  # inheritable, unlike the fresh descriptor
        if self._fd not in self._stdio:
            os.close(self._fd)
        if self._stdio and self._fd in self._stdio:
            os.close(fresh)
        else:
            self._fd = fresh
