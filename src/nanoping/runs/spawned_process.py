"""A child process started without ``fork``, and an asyncio wait for its exit.

The node's gRPC core registers ``pthread_atfork`` handlers; a ``fork`` while its threads are
busy can crash the forked child before it reaches ``exec`` (seen: about one start in 40 died
of SIGSEGV). ``posix_spawn`` (glibc: ``clone(CLONE_VM | CLONE_VFORK)`` then ``exec``) runs no
fork handlers, so runs are started with it. The exit is awaited through a pidfd on the event
loop, or by polling ``waitpid`` where pidfds are missing; only this class reaps the process, so
its pid cannot be reused while the handle may still signal it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Sequence

POLL_INTERVAL = 0.05
"""Seconds between exit checks where the kernel has no pidfd."""


class SpawnedProcess:
    """One child process; :meth:`wait` returns its status like ``Popen.returncode``."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self._exited: asyncio.Future[int] | None = None

    @classmethod
    def spawn(
        cls, argv: Sequence[str], *, stdout: int, inherit: Sequence[int] = ()
    ) -> SpawnedProcess:
        """Start ``argv`` with stdin from /dev/null, ``stdout`` as stdout and stderr, and the
        descriptors ``inherit`` open under the same numbers (all others stay closed)."""
        for fd in inherit:
            os.set_inheritable(fd, True)
        try:
            pid = os.posix_spawn(
                argv[0],
                list(argv),
                dict(os.environ),
                file_actions=[
                    (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
                    (os.POSIX_SPAWN_DUP2, stdout, 1),
                    (os.POSIX_SPAWN_DUP2, stdout, 2),
                ],
            )
        finally:
            for fd in inherit:
                os.set_inheritable(fd, False)
        return cls(pid)

    async def wait(self) -> int:
        """Wait for the exit; negative = killed by that signal (as ``Popen.returncode``)."""
        if self._exited is None:
            self._exited = asyncio.ensure_future(self._wait())
        return await asyncio.shield(self._exited)

    def kill(self) -> None:
        """SIGKILL the process unless it has already been reaped."""
        if self.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)

    async def _wait(self) -> int:
        try:
            pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            return await self._poll()
        try:
            while (code := self._reap()) is None:
                await _readable(pidfd)
            return code
        finally:
            os.close(pidfd)

    async def _poll(self) -> int:
        # Without a pidfd the kernel offers nothing to wait on but SIGCHLD, which the event
        # loop owns; a slow poll is the portable fallback.
        while (code := self._reap()) is None:  # noqa: ASYNC110
            await asyncio.sleep(POLL_INTERVAL)
        return code

    def _reap(self) -> int | None:
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid == 0:
            return None
        self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


async def _readable(fd: int) -> None:
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()
    loop.add_reader(fd, _resolve, ready)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


def _resolve(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)
