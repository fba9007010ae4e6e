"""The node's data directory: where it is, that it is writable, and that only one node uses it.

It holds secrets (the hub credential of a member, credential hashes on the hub), so it is made
readable by its owner only (directory 0700, files 0600), and a looser one is reported at start.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

import platformdirs

from nanoping.errors import StartupError

log = logging.getLogger(__name__)

ENV_VARIABLE = "NANOPING_DATA_DIR"
LOCK_FILE = "node.lock"
DATABASE_FILE = "node.sqlite3"
RUNS_DIR = "runs"
STATUS_FILE = "node.json"
"""Written while a node runs: its pid, id, name and listeners, for `np status` and `np down`."""


def resolve_data_dir(flag_value: Path | None) -> Path:
    """``--data-dir``, else ``$NANOPING_DATA_DIR``, else the platform's user data dir."""
    if flag_value is not None:
        return flag_value
    from_env = os.environ.get(ENV_VARIABLE)
    if from_env:
        return Path(from_env)
    return Path(platformdirs.user_data_dir("nanoping", appauthor=False))


class DataDir:
    """An opened data dir, held exclusively by this process until :meth:`close`."""

    def __init__(self, path: Path, lock_fd: int) -> None:
        self.path = path
        self._lock_fd = lock_fd

    @property
    def database_path(self) -> Path:
        return self.path / DATABASE_FILE

    @property
    def runs_path(self) -> Path:
        """Where pipeline runs keep their logs."""
        return self.path / RUNS_DIR

    @classmethod
    def open(cls, path: Path) -> DataDir:
        """Create the dir if needed and take its lock; StartupError says what went wrong."""
        path = path.expanduser().absolute()
        try:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
        except FileExistsError:
            raise StartupError(f"data dir '{path}' exists but is not a directory") from None
        except OSError as error:
            raise StartupError(f"cannot create data dir '{path}': {error.strerror}") from None
        if not os.access(path, os.W_OK | os.X_OK):
            raise StartupError(f"data dir '{path}' is not writable by this user")
        opened = cls(path, _take_lock(path / LOCK_FILE))
        opened._create_private(opened.database_path)
        opened.warn_if_readable_by_others()
        return opened

    def warn_if_readable_by_others(self) -> list[Path]:
        """Log one warning per path of the data dir that others may read; returns them."""
        loose = [
            entry
            for entry in (self.path, *_files(self.path))
            if entry.lstat().st_mode & (stat.S_IRWXG | stat.S_IRWXO)
        ]
        for entry in loose:
            mode = stat.S_IMODE(entry.lstat().st_mode)
            wanted = "700" if entry.is_dir() else "600"
            log.warning(
                "'%s' is readable by other users (mode %o) but holds this node's secrets; "
                "run: chmod %s '%s'",
                entry,
                mode,
                wanted,
                entry,
            )
        return loose

    @staticmethod
    def _create_private(file: Path) -> None:
        """Create ``file`` as 0600 if missing: SQLite gives its -wal and -shm files that mode."""
        os.close(os.open(file, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o600))

    def write_status(self, status: dict[str, Any]) -> None:
        """Publish what the running node is and where it listens (replaced atomically)."""
        partial = self.path / f".{STATUS_FILE}.partial"
        partial.write_text(json.dumps({"pid": os.getpid(), **status}, indent=2) + "\n")
        partial.replace(self.path / STATUS_FILE)

    def remove_status(self) -> None:
        """The node is stopping: it no longer answers where the status file says."""
        with contextlib.suppress(FileNotFoundError):
            (self.path / STATUS_FILE).unlink()

    def close(self) -> None:
        """Release the lock (the lock file stays; it is harmless)."""
        if self._lock_fd >= 0:
            os.close(self._lock_fd)
            self._lock_fd = -1


def _files(directory: Path) -> list[Path]:
    """The database files and the runs dir: what would leak secrets or logs if readable."""
    names = [LOCK_FILE, DATABASE_FILE, DATABASE_FILE + "-wal", DATABASE_FILE + "-shm", RUNS_DIR]
    return [directory / name for name in names if (directory / name).exists()]


def _take_lock(lock_path: Path) -> int:
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as error:
        raise StartupError(f"cannot create lock file '{lock_path}': {error.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
        os.close(fd)
        raise StartupError(
            f"data dir '{lock_path.parent}' is in use by another node (pid {holder}); "
            "stop it or choose another --data-dir"
        ) from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def running_node(path: Path) -> dict[str, Any] | None:
    """What the node holding ``path`` published, or None when no node holds it."""
    path = path.expanduser().absolute()
    lock_path = path / LOCK_FILE
    try:
        fd = os.open(lock_path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _published(path, fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None  # nobody holds the lock: no node runs here
    finally:
        os.close(fd)


def _published(path: Path, lock_fd: int) -> dict[str, Any]:
    pid_text = os.pread(lock_fd, 32, 0).decode(errors="replace").strip()
    status: dict[str, Any] = {}
    with contextlib.suppress(FileNotFoundError, ValueError):
        status = json.loads((path / STATUS_FILE).read_text())
    if pid_text.isdigit():
        status["pid"] = int(pid_text)  # the lock file's pid is the authority
    return status
