"""PR_SET_PDEATHSIG on its own: a process that asked dies with its parent, without any channel."""

from __future__ import annotations

import subprocess
import sys

from nanoping.runs.exit_status import ORPHANED

from .harness import alive, wait_dead

CHILD = """
import os, signal, sys
from nanoping.runs.parent_death import die_with_parent
die_with_parent(int(sys.argv[1]))
print(os.getpid(), flush=True)
signal.pause()
"""
PARENT = """
import os, signal, subprocess, sys
subprocess.Popen([sys.executable, "-c", sys.argv[1], str(os.getpid())])
signal.pause()
"""


def test_the_child_dies_when_its_parent_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, CHILD], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())  # printed once the request is made
        assert alive(child)
        parent.kill()
        parent.wait(timeout=10)
        wait_dead(child, timeout=5)
    finally:
        parent.kill()
        parent.wait(timeout=10)
        if parent.stdout is not None:
            parent.stdout.close()


def test_a_child_whose_parent_is_already_gone_leaves_at_once() -> None:
    not_our_parent = "0"
    finished = subprocess.run(
        [sys.executable, "-c", CHILD, not_our_parent], capture_output=True, timeout=20, check=False
    )
    assert finished.returncode == ORPHANED
    assert finished.stdout == b""
