"""`np logs`: print, follow or download a node's application log or a run's log."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import grpc

from nanoping.api import logging_pb2, logging_pb2_grpc
from nanoping.cli.api_client import (
    CommandFailed,
    add_grpc_option,
    add_node_option,
    add_reconnect_option,
    describe,
    follow_reconnecting,
)
from nanoping.cli.node_commands import resolve_node
from nanoping.cli.pipeline_commands import ALL_LINES, print_log_stream

HELP = """\
Print the application log of a node (or, with --run, the log of one pipeline run): the past
lines, then with --follow every new line until Ctrl-C. --download FILE saves the whole log,
rotated parts included, to FILE ('-' for standard output) instead.
"""


def add_parsers(commands: Any) -> None:
    parser = commands.add_parser(
        "logs",
        help="print, follow or download a node's log or a run's log",
        description=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_grpc_option(parser)
    add_node_option(parser)
    parser.add_argument(
        "--run", dest="run_id", metavar="RUN_ID", help="a pipeline run's log instead of the node's"
    )
    parser.add_argument("--lines", type=int, metavar="K", help="how many past lines (default: all)")
    parser.add_argument(
        "--follow", action="store_true", help="keep printing new lines until Ctrl-C"
    )
    add_reconnect_option(parser)
    parser.add_argument(
        "--download", metavar="FILE", help="save the whole log to FILE ('-': stdout)"
    )
    parser.add_argument("--json", action="store_true", help="print each entry as JSON")
    parser.set_defaults(run=run_logs)


def run_logs(arguments: argparse.Namespace) -> int:
    if arguments.lines is not None and arguments.lines < 0:
        raise CommandFailed("logs: --lines must not be negative")
    arguments.node = resolve_node(arguments.grpc, arguments.node)
    if arguments.download is not None:
        with grpc.insecure_channel(arguments.grpc) as channel:
            return _download(logging_pb2_grpc.LoggingServiceStub(channel), arguments)
    request = logging_pb2.OpenLogStreamRequest(node_id=arguments.node)
    if arguments.run_id:
        request.pipeline_run_log_stream_request.pipeline_run_id = arguments.run_id
    else:
        request.app_log_stream_request.SetInParent()
    request.options.lines = ALL_LINES if arguments.lines is None else arguments.lines
    return follow_reconnecting(arguments, lambda: _print(arguments, request))


def _print(arguments: argparse.Namespace, request: logging_pb2.OpenLogStreamRequest) -> int:
    with grpc.insecure_channel(arguments.grpc) as channel:
        stream = logging_pb2_grpc.LoggingServiceStub(channel).openLogStream(request)
        print_log_stream(stream, request, arguments, action="logs")
    return 0


def _download(stub: Any, arguments: argparse.Namespace) -> int:
    request = logging_pb2.DownloadLogFileRequest(node_id=arguments.node)
    if arguments.run_id:
        request.pipeline_run_log_file_request.pipeline_run_id = arguments.run_id
    else:
        request.app_log_file_request.SetInParent()
    with _output(arguments.download) as output:
        try:
            for chunk in stub.downloadLogFile(request):
                if chunk.WhichOneof("response") == "error":
                    raise CommandFailed(f"logs --download: {chunk.error}")
                output.write(chunk.file_chunk.content)
        except grpc.RpcError as error:
            raise CommandFailed(describe("logs --download", error)) from None
    return 0


@contextlib.contextmanager
def _output(target: str) -> Iterator[IO[bytes]]:
    if target == "-":
        yield sys.stdout.buffer
        sys.stdout.flush()
        return
    try:
        with Path(target).open("wb") as file:
            yield file
    except OSError as error:
        raise CommandFailed(f"logs --download: cannot write '{target}': {error.strerror}") from None
