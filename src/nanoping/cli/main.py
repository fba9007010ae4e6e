"""`np`: start a NanoPing node and talk to running ones.

Global options go before the sub-command (`np -c controller.yaml up`), as in the public docs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from nanoping import __version__
from nanoping.cli import (
    completion,
    hub_commands,
    log_commands,
    network_commands,
    node_commands,
    node_lifecycle_commands,
    pipeline_commands,
    top_command,
    up,
)
from nanoping.errors import StartupError

DESCRIPTION = """\
NanoPing node software: a real-time network transport. Every node joins one control plane
(the hub), serves the NanoPing gRPC API through which any node of the cluster can be managed,
and runs pipelines that move traffic.

examples:
  np up --grpc 127.0.0.1:10432            start a node serving the gRPC API
  np -c controller.yaml up                start a node (e.g. the hub controller) from a YAML file
  np authentication-requests --grpc 127.0.0.1:10564 --accept-all --count 1
                                          on the hub: accept the next join request
  np authenticate-by-request http://127.0.0.1:8769 --grpc 127.0.0.1:10432
                                          join the node at 127.0.0.1:10432 to that hub
  np nodes --service pipelines            list the cluster's nodes that run pipelines
  np pipelines create --name demo --config pipeline.json --node "My Controller"
                                          create a pipeline on any node of the cluster
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="np", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "-c",
        "--config",
        type=Path,
        metavar="FILE",
        help="YAML node configuration (keys: node.name, http.address, hubServer, grpcBridge.address, "
        "restApi.address, pipelines, networks); command-line flags override it",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=up.LOG_LEVELS,
        help="how much the node logs to standard error (default: info)",
    )
    parser.add_argument("--version", action="version", version=f"nanoping {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    up.add_parser(commands)
    hub_commands.add_parsers(commands)
    node_commands.add_parsers(commands)
    pipeline_commands.add_parsers(commands)
    network_commands.add_parsers(commands)
    log_commands.add_parsers(commands)
    top_command.add_parsers(commands)
    node_lifecycle_commands.add_parsers(commands)
    completion.add_parser(commands, build_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `np` command; returns the process exit code."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    logging.basicConfig(
        level=arguments.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        result: int = arguments.run(arguments)
    except StartupError as error:
        print(f"np: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return result


if __name__ == "__main__":
    raise SystemExit(main())
