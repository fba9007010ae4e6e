"""What the client sub-commands share: the --grpc option, a channel, and error reporting."""

from __future__ import annotations

import argparse
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import grpc

from nanoping.api import hub_client_pb2, hub_client_pb2_grpc
from nanoping.errors import StartupError

DEFAULT_GRPC = "127.0.0.1:10432"
ENV_GRPC = "NANOPING_GRPC"


NO_NODE_HINT = (
    "start one with `np up --grpc HOST:PORT`, or point --grpc (or $NANOPING_GRPC) at the "
    "'gRPC API' address a running node printed"
)
HTTP1_HINT = (
    "that is an HTTP/1 server, such as a node's REST or hub (HTTP) port; the gRPC API is at "
    "the 'gRPC API' address the node printed when it started"
)
CONNECT_WAIT = 5.0
"""Seconds a command waits for the node's gRPC API to answer before it starts a long wait."""


def grpc_address(text: str) -> str:
    """``--grpc`` checked as HOST:PORT, so a typo gets a clear message instead of a gRPC error."""
    if "://" in text:
        raise argparse.ArgumentTypeError(
            f"{text!r} is a URL; --grpc takes HOST:PORT without a scheme, e.g. 127.0.0.1:10432"
        )
    host, colon, port = text.rpartition(":")
    if not colon or not host:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:10432); give the host too"
        )
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise argparse.ArgumentTypeError(
            f"{text!r}: the port must be a number from 1 to 65535, got {port!r}"
        )
    return text


def add_grpc_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--grpc",
        metavar="HOST:PORT",
        type=grpc_address,
        default=os.environ.get(ENV_GRPC, DEFAULT_GRPC),
        help=f"gRPC API of the node to talk to (default: ${ENV_GRPC}, else {DEFAULT_GRPC})",
    )


def add_node_option(parser: argparse.ArgumentParser, what: str = "the node") -> None:
    """``--node``: the node a command acts on, by id or name (default: the one at --grpc)."""
    parser.add_argument(
        "--node",
        default="",
        metavar="NODE",
        help=f"id or name of {what} (default: the node at --grpc)",
    )


class CommandFailed(StartupError):
    """A client command failed; the message is the one line printed after `np: `."""

    def __init__(self, message: str, code: grpc.StatusCode | None = None) -> None:
        super().__init__(message)
        self.code = code
        """The call's status, when a call failed."""


def call(action: str, function: Callable[..., Any], request: Any, **options: Any) -> Any:
    """Make one unary call; a failure becomes one readable line naming the status."""
    try:
        return function(request, **options)
    except grpc.RpcError as error:
        raise CommandFailed(describe(action, error), error.code()) from None


def wait_for_node(channel: grpc.Channel, address: str, action: str) -> None:
    """Fail with a readable line unless a node's gRPC API answers at ``address``."""
    stub = hub_client_pb2_grpc.HubClientServiceStub(channel)
    try:
        stub.getLocalNodeId(hub_client_pb2.GetLocalNodeIdRequest(), timeout=CONNECT_WAIT)
    except grpc.RpcError as error:
        raise CommandFailed(describe(action, error)) from None


def describe(action: str, error: grpc.RpcError) -> str:
    code = error.code() if hasattr(error, "code") else None
    details = error.details() if hasattr(error, "details") else str(error)
    if "http1.x" in str(details).lower():
        return f"{action}: {HTTP1_HINT} ({details})"
    if code == grpc.StatusCode.UNAVAILABLE and "failed to connect" in str(details).lower():
        return f"{action}: no node answers there; {NO_NODE_HINT} ({details})"
    name = code.name if code is not None else "UNKNOWN"
    return f"{action}: {name}: {details}"


RECONNECT_DELAY = 2.0
"""Seconds a `--follow --reconnect` command waits before opening its stream again."""


def add_reconnect_option(parser: argparse.ArgumentParser) -> None:
    """``--reconnect`` for a command that has ``--follow``."""
    parser.add_argument(
        "--reconnect",
        action="store_true",
        help="with --follow: when the node becomes unreachable, say so and open the stream "
        "again (new items only) until it ends by itself",
    )


def follow_reconnecting(arguments: argparse.Namespace, follow: Callable[[], int]) -> int:
    """Run ``follow``; with ``--follow --reconnect``, an unreachable node is retried.

    A stream that breaks with UNAVAILABLE (the node or its hub went away) is reported on
    stderr and ``follow`` runs again after RECONNECT_DELAY. Any other failure ends the command
    as before.
    """
    while True:
        try:
            return follow()
        except CommandFailed as failure:
            retry = arguments.follow and getattr(arguments, "reconnect", False)
            if not retry or failure.code is not grpc.StatusCode.UNAVAILABLE:
                raise
            print(f"np: {failure}; reconnecting in {RECONNECT_DELAY:g} s", file=sys.stderr)
            time.sleep(RECONNECT_DELAY)


class StreamReader:
    """Reads a server stream in a thread, so the command can wait for it with a timeout."""

    def __init__(self, stream: Any, action: str) -> None:
        self._stream = stream
        self._action = action
        self._items: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for item in self._stream:
                self._items.put(item)
            self._items.put(_END)
        except grpc.RpcError as error:
            self._items.put(_END if error.code() == grpc.StatusCode.CANCELLED else error)

    def next(self, timeout: float | None) -> Any:
        """The next message; None when the stream ended or nothing came within ``timeout``."""
        try:
            item = self._items.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(item, grpc.RpcError):
            raise CommandFailed(describe(self._action, item), item.code())
        return None if item is _END else item

    def wait_ended(self, timeout: float) -> None:
        """Give the stream ``timeout`` seconds to end by itself."""
        self._thread.join(timeout)


_END = object()
