"""Make a run process die with its node, even when the node is killed with SIGKILL.

Linux delivers a chosen signal to a process when the thread that created it exits
(``prctl(PR_SET_PDEATHSIG)``); the node spawns runs from its event-loop thread, which lives as
long as the node. The request is made by the child after it starts, so a node that died in
between would be missed: the child then compares its parent with the pid the node passed and
leaves at once. The control channel's end of file is the second, portable line of defence.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

from nanoping.runs.exit_status import ORPHANED

PR_SET_PDEATHSIG = 1
"""``prctl`` option number (linux/prctl.h)."""


def die_with_parent(parent_pid: int) -> None:
    """Ask for SIGKILL when the parent dies; exit now if ``parent_pid`` is already gone."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) != 0:
            error = ctypes.get_errno()
            raise OSError(error, f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(error)}")
    if os.getppid() != parent_pid:
        os._exit(ORPHANED)
