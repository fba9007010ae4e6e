"""What the client sub-commands share: the --grpc option, a channel, and error reporting."""

from __future__ import annotations

import argparse
import os
import queue
import threading
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


def describe(action: str, error: grpc.RpcError) -> str:
    code = error.code() if hasattr(error, "code") else None
    details = error.details() if hasattr(error, "details") else str(error)
    if code == grpc.StatusCode.UNAVAILABLE and "failed to connect" in str(details).lower():
        return f"{action}: no node answers there ({details})"
    name = code.name if code is not None else "UNKNOWN"
    return f"{action}: {name}: {details}"


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
