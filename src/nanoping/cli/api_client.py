"""What the client sub-commands share: the --grpc option, a channel, and error reporting."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from typing import Any

import grpc

from nanoping.errors import StartupError

DEFAULT_GRPC = "127.0.0.1:10432"
ENV_GRPC = "NANOPING_GRPC"


def add_grpc_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--grpc",
        metavar="HOST:PORT",
        default=os.environ.get(ENV_GRPC, DEFAULT_GRPC),
        help=f"gRPC API of the node to talk to (default: ${ENV_GRPC}, else {DEFAULT_GRPC})",
    )


class CommandFailed(StartupError):
    """A client command failed; the message is the one line printed after `np: `."""


def call(action: str, function: Callable[..., Any], request: Any, **options: Any) -> Any:
    """Make one unary call; a failure becomes one readable line naming the status."""
    try:
        return function(request, **options)
    except grpc.RpcError as error:
        raise CommandFailed(describe(action, error)) from None


def describe(action: str, error: grpc.RpcError) -> str:
    code = error.code() if hasattr(error, "code") else None
    details = error.details() if hasattr(error, "details") else str(error)
    if code == grpc.StatusCode.UNAVAILABLE and "failed to connect" in str(details).lower():
        return f"{action}: no node answers there ({details})"
    name = code.name if code is not None else "UNKNOWN"
    return f"{action}: {name}: {details}"
