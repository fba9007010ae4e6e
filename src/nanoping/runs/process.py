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

import uvloop

from nanoping.runs.agent import RunAgent
from nanoping.runs.channel import ControlChannel
from nanoping.runs.parent_death import die_with_parent


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="A NanoPing pipeline run (started by its node).")
    parser.add_argument("--control-fd", type=int, required=True, help="control socket descriptor")
    parser.add_argument("--parent-pid", type=int, required=True, help="pid of the node")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run until the run ends; returns the exit code."""
    arguments = parse_args(argv)
    die_with_parent(arguments.parent_pid)
    # The node stops its runs itself; a Ctrl-C in a terminal reaches the whole process group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sock = socket.socket(fileno=arguments.control_fd)
    return uvloop.run(_serve(sock))


async def _serve(sock: socket.socket) -> int:
    channel = await ControlChannel.open(sock)
    try:
        return await RunAgent(channel=channel).serve()
    finally:
        await channel.aclose()


if __name__ == "__main__":
    sys.exit(main())
