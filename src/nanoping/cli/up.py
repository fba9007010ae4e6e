"""`np up`: run a node until SIGINT/SIGTERM (a second signal, a second or more later, exits at once)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path
from typing import Any

import uvloop

from nanoping.config import NodeConfig, load_config_file, parse_address
from nanoping.dashboard import exposed_beyond_loopback
from nanoping.node.daemon import NodeDaemon
from nanoping.node.data_dir import ENV_VARIABLE, resolve_data_dir

log = logging.getLogger(__name__)

LOG_LEVELS = ["debug", "info", "warning", "error"]

HELP = """\
Start a node and keep it running until SIGINT or SIGTERM. On the first signal the node stops
gracefully (streams end, listeners close); another signal a second or more later exits at once
(one within the second is the same request: `timeout` and process managers often send two).

The node keeps its identity and everything it must not lose in its data dir: --data-dir, else
$NANOPING_DATA_DIR, else the platform's user data dir. Only one node may use a data dir at a time.
"""


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(
        "up",
        help="start a node",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--grpc",
        metavar="HOST:PORT",
        help="serve the gRPC API here (overrides grpcBridge.address), e.g. 127.0.0.1:10432; "
        "port 0 picks a free port",
    )
    parser.add_argument(
        "--rest-api",
        metavar="HOST:PORT",
        help="serve the REST API here (overrides restApi.address), e.g. 127.0.0.1:10565; "
        "port 0 picks a free port",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        metavar="DIR",
        help=f"where the node keeps its state (default: ${ENV_VARIABLE}, else the user data dir)",
    )
    # Also accepted after `up` (people write them there); SUPPRESS keeps the value given before it.
    parser.add_argument(
        "-c", "--config", type=Path, metavar="FILE", default=argparse.SUPPRESS,
        help="YAML node configuration (the same as `np -c FILE up`)",
    )  # fmt: skip
    parser.add_argument(
        "--log-level", choices=LOG_LEVELS, default=argparse.SUPPRESS,
        help="how much the node logs to standard error (the same as `np --log-level LEVEL up`)",
    )  # fmt: skip
    parser.set_defaults(run=run)


def node_config(arguments: argparse.Namespace) -> NodeConfig:
    """The file's config (if any) with command-line flags applied on top."""
    config = load_config_file(arguments.config) if arguments.config else NodeConfig()
    flags = "command line"
    if arguments.grpc:
        config = config.with_overrides(
            grpc_address=parse_address(arguments.grpc, origin="--grpc", source=flags, key="--grpc")
        )
    if arguments.rest_api:
        config = config.with_overrides(
            rest_address=parse_address(
                arguments.rest_api, origin="--rest-api", source=flags, key="--rest-api"
            )
        )
    config.check_listeners()
    return config


NO_API_WARNING = (
    "this node serves no API, so nothing on this machine can manage it: add --grpc "
    "127.0.0.1:10432 (or grpcBridge.address in the config file) for the np commands and gRPC "
    "clients, or --rest-api HOST:PORT for REST clients"
)


def run(arguments: argparse.Namespace) -> int:
    config = node_config(arguments)
    daemon = NodeDaemon(config=config, data_dir=resolve_data_dir(arguments.data_dir))
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(_serve(daemon))


async def _serve(daemon: NodeDaemon) -> int:
    stop = asyncio.Event()
    _install_signal_handlers(stop)
    await daemon.start()
    if daemon.config.grpc_address is None and daemon.config.rest_address is None:
        log.warning(NO_API_WARNING)
    _print_banner(daemon)
    try:
        await stop.wait()
        log.info("stopping (send the signal again, a second or more later, to exit at once)")
    finally:
        await daemon.close()
    return 0


SAME_REQUEST_WITHIN = 1.0
"""Seconds after the first stop signal during which another one repeats the same request."""


def _install_signal_handlers(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    first_at: list[float] = []

    def on_signal(number: int) -> None:
        name = signal.Signals(number).name
        if first_at and loop.time() - first_at[0] < SAME_REQUEST_WITHIN:
            log.info("%s again within %g s: the same stop request", name, SAME_REQUEST_WITHIN)
        elif first_at:
            print(f"np: {name} again, exiting at once", file=sys.stderr)
            os._exit(128 + number)
        else:
            first_at.append(loop.time())
            log.info("%s received", name)
            stop.set()

    for number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(number, on_signal, number)


def _print_banner(daemon: NodeDaemon) -> None:
    assert daemon.local_node is not None
    print(f"NanoPing node {daemon.node_id} ({daemon.local_node.name}) is up", flush=True)
    print(f"  data dir: {daemon.data_dir_path}", flush=True)
    for role, address in daemon.listening().items():
        print(f"  {role}: {address}", flush=True)
    _warn_if_exposed(daemon)
    print("  ready", flush=True)


def _warn_if_exposed(daemon: NodeDaemon) -> None:
    rest = daemon.config.rest_address
    if rest is not None and exposed_beyond_loopback(rest.host):
        print(
            f"np: warning: the REST API and dashboard on {rest} are reachable from other "
            "machines and have no authentication; bind them to 127.0.0.1 unless you mean it",
            file=sys.stderr,
            flush=True,
        )
