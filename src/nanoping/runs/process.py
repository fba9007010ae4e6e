"""Entry point of a run process: ``python -m nanoping.runs.process --control-fd N --parent-pid P``.

The node starts one such process per run, with one end of a Unix socket pair as file
descriptor N, the run's log file as stdout and stderr, and its own pid as P. The process first
arranges to die with the node, then serves the control channel on uvloop until the run ends,
and exits with the run's exit code.
"""

from __future__ import annotations

import argparse
import signal
import socket
import sys
from pathlib import Path

import uvloop

from nanoping.logs.rotation import DEFAULT_BACKUPS, DEFAULT_MAX_BYTES, LogRotation
from nanoping.logs.shared_file import SharedLogFile
from nanoping.runs.agent import STDOUT, RunAgent
from nanoping.runs.channel import ControlChannel
from nanoping.runs.parent_death import die_with_parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A NanoPing pipeline run (started by its node).")
    parser.add_argument("--control-fd", type=int, required=True, help="control socket descriptor")
    parser.add_argument("--parent-pid", type=int, required=True, help="pid of the node")
    parser.add_argument("--log-path", type=Path, help="the run's log file (stdout points at it)")
    parser.add_argument("--log-max-bytes", type=int, default=DEFAULT_MAX_BYTES)
    parser.add_argument("--log-backups", type=int, default=DEFAULT_BACKUPS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run until the run ends; returns the exit code."""
    arguments = parse_args(argv)
    die_with_parent(arguments.parent_pid)
    # The node stops its runs itself; a Ctrl-C in a terminal reaches the whole process group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sock = socket.socket(fileno=arguments.control_fd)
    log_file = None
    if arguments.log_path is not None:
        rotation = LogRotation(max_bytes=arguments.log_max_bytes, backups=arguments.log_backups)
        # Entries and raw output (fds 1 and 2) follow the log when this process rotates it.
        log_file = SharedLogFile(arguments.log_path, rotation=rotation, fd=STDOUT, stdio=(1, 2))
    return uvloop.run(_serve(sock, log_file))


async def _serve(sock: socket.socket, log_file: SharedLogFile | None) -> int:
    channel = await ControlChannel.open(sock)
    try:
        if log_file is None:
            return await RunAgent(channel=channel).serve()
        return await RunAgent(channel=channel, log_fd=log_file).serve()
    finally:
        await channel.aclose()


if __name__ == "__main__":
    sys.exit(main())
