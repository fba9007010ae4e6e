"""`np pipelines ...`: manage the pipelines of any node of the cluster from the shell."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import grpc
from google.protobuf import json_format

from nanoping.api import logging_pb2, pipelines_pb2, pipelines_pb2_grpc
from nanoping.cli.api_client import CommandFailed, StreamReader, add_grpc_option, call
from nanoping.cli.node_commands import resolve_node

ALL_LINES = 2**63 - 1
"""`options.lines` meaning 'the whole log' (what the public clients send)."""
BACKLOG_QUIET = 1.0
"""Seconds without a new batch after which `logs` (without --follow) has printed the backlog."""
RECONNECT_DELAY = 2.0
"""Seconds `logs --follow --reconnect` waits before opening the stream again."""


def add_parsers(commands: Any) -> None:
    pipelines = commands.add_parser(
        "pipelines",
        help="manage pipelines (list, create, show, delete, start, stop, logs)",
        description="Manage the pipelines of a node through the gRPC API at --grpc. --node names "
        "the node that owns them (default: the node at --grpc); any node of the cluster works.",
    )
    actions = pipelines.add_subparsers(dest="action", metavar="ACTION", required=True)
    _command(actions, "list", "list the node's pipelines", run_list)
    create = _command(actions, "create", "create a pipeline from a JSON config file", run_create)
    create.add_argument("--name", required=True, help="the pipeline's name")
    create.add_argument(
        "--config", required=True, type=Path, metavar="FILE", help="the pipeline config (JSON)"
    )
    create.add_argument(
        "--logging-level",
        choices=[name.lower() for name, _ in logging_pb2.Level.items()],
        help="default logging level of its runs (default: info)",
    )
    for action, help_text, runner in (
        ("show", "show one pipeline", run_show),
        ("delete", "delete a pipeline", run_delete),
        ("start", "start a pipeline; prints the run id once it runs", run_start),
        ("stop", "ask a pipeline's run to stop", run_stop),
    ):
        _command(actions, action, help_text, runner).add_argument(
            "id", metavar="ID", help="the pipeline's id"
        )
    logs = _command(actions, "logs", "print a run's log", run_logs)
    logs.add_argument("run_id", metavar="RUN_ID", help="the run (see `np pipelines show`)")
    logs.add_argument("--lines", type=int, metavar="N", help="how many past lines (default: all)")
    logs.add_argument("--follow", action="store_true", help="keep printing new lines until Ctrl-C")
    logs.add_argument(
        "--reconnect",
        action="store_true",
        help="with --follow: when the node becomes unreachable, say so and open the stream "
        "again (new lines only) until Ctrl-C",
    )


def _command(actions: Any, name: str, help_text: str, runner: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(
        name, help=help_text, description=help_text
    )
    add_grpc_option(parser)
    parser.add_argument(
        "--node",
        default="",
        metavar="NODE",
        help="id or name of the node owning the pipelines (default: the node at --grpc)",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=_with_node_resolved(runner))
    return parser


def _with_node_resolved(
    runner: Callable[[argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    def run(arguments: argparse.Namespace) -> int:
        arguments.node = resolve_node(arguments.grpc, arguments.node)
        return runner(arguments)

    return run


def _stub(arguments: argparse.Namespace, channel: grpc.Channel) -> Any:
    return pipelines_pb2_grpc.PipelinesServiceStub(channel)


def _emit(arguments: argparse.Namespace, message: Any, text: str) -> None:
    print(json.dumps(json_format.MessageToDict(message), indent=2) if arguments.json else text)


def run_list(arguments: argparse.Namespace) -> int:
    with grpc.insecure_channel(arguments.grpc) as channel:
        reply = call(
            "pipelines list",
            _stub(arguments, channel).getPipelines,
            pipelines_pb2.GetPipelinesRequest(node_id=arguments.node),
        )
    if arguments.json:
        print(json.dumps([json_format.MessageToDict(p) for p in reply.pipelines], indent=2))
        return 0
    for pipeline in sorted(reply.pipelines, key=lambda p: p.name):
        print(_summary(pipeline))
    return 0


def run_create(arguments: argparse.Namespace) -> int:
    try:
        config = arguments.config.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CommandFailed(
            f"pipelines create: --config {arguments.config}: {getattr(error, 'strerror', None) or error}"
        ) from None
    request = pipelines_pb2.CreatePipelineRequest(
        node_id=arguments.node, name=arguments.name, json_config=config
    )
    if arguments.logging_level:
        request.default_logging_level = cast(
            logging_pb2.Level, logging_pb2.Level.Value(arguments.logging_level.upper())
        )
    with grpc.insecure_channel(arguments.grpc) as channel:
        pipeline = call(
            "pipelines create", _stub(arguments, channel).createPipeline, request
        ).pipeline
    _emit(arguments, pipeline, f"created pipeline {pipeline.name} with id {pipeline.id}")
    return 0


def run_show(arguments: argparse.Namespace) -> int:
    request = pipelines_pb2.GetPipelineByIdRequest(node_id=arguments.node, id=arguments.id)
    with grpc.insecure_channel(arguments.grpc) as channel:
        pipeline = call(
            "pipelines show", _stub(arguments, channel).getPipelineById, request
        ).pipeline
    _emit(arguments, pipeline, _summary(pipeline) + "\n" + pipeline.json_config)
    return 0


def run_delete(arguments: argparse.Namespace) -> int:
    request = pipelines_pb2.DeletePipelineRequest(node_id=arguments.node, id=arguments.id)
    with grpc.insecure_channel(arguments.grpc) as channel:
        reply = call("pipelines delete", _stub(arguments, channel).deletePipeline, request)
    _emit(arguments, reply, f"deleted pipeline {arguments.id}")
    return 0


def run_start(arguments: argparse.Namespace) -> int:
    request = pipelines_pb2.StartPipelineRequest(node_id=arguments.node, id=arguments.id)
    with grpc.insecure_channel(arguments.grpc) as channel:
        reply = call("pipelines start", _stub(arguments, channel).startPipeline, request)
    _emit(arguments, reply, f"pipeline {arguments.id} is running as run {reply.run_id}")
    return 0


def run_stop(arguments: argparse.Namespace) -> int:
    request = pipelines_pb2.StopPipelineRequest(node_id=arguments.node, id=arguments.id)
    with grpc.insecure_channel(arguments.grpc) as channel:
        reply = call("pipelines stop", _stub(arguments, channel).stopPipeline, request)
    _emit(arguments, reply, f"asked pipeline {arguments.id} to stop")
    return 0


def run_logs(arguments: argparse.Namespace) -> int:
    request = pipelines_pb2.OpenLogStreamRequest(node_id=arguments.node, run_id=arguments.run_id)
    request.options.lines = ALL_LINES if arguments.lines is None else arguments.lines
    while True:
        try:
            return _print_logs(arguments, request)
        except CommandFailed as failure:
            if not (arguments.follow and arguments.reconnect):
                raise
            if failure.code is not grpc.StatusCode.UNAVAILABLE:
                raise
            print(f"np: {failure}; reconnecting in {RECONNECT_DELAY:g} s", file=sys.stderr)
            time.sleep(RECONNECT_DELAY)
            request.options.lines = 0  # what was printed before is not printed again


def _print_logs(arguments: argparse.Namespace, request: pipelines_pb2.OpenLogStreamRequest) -> int:
    with grpc.insecure_channel(arguments.grpc) as channel:
        stream = _stub(arguments, channel).openLogStream(request)
        batches = StreamReader(stream, "pipelines logs")
        # Without --follow the backlog is done once the stream has been quiet for a moment.
        quiet = None if arguments.follow else BACKLOG_QUIET
        try:
            while (batch := batches.next(timeout=quiet)) is not None:
                for message in batch.messages:
                    _print_log_line(arguments, message)
        finally:
            stream.cancel()
    return 0


def _print_log_line(arguments: argparse.Namespace, message: Any) -> None:
    if arguments.json:
        print(json.dumps(json_format.MessageToDict(message)), flush=True)
        return
    level = logging_pb2.Level.Name(message.level)
    stamp = message.timestamp.ToDatetime().isoformat(timespec="milliseconds")
    print(f"{stamp} {level:<7} {message.message}", flush=True)


def _summary(pipeline: pipelines_pb2.Pipeline) -> str:
    state = f"running (run {pipeline.current_run})" if pipeline.started else "stopped"
    return f"{pipeline.id}  {pipeline.name}  [{state}]"
