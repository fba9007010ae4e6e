"""`np pipelines ...`: manage the pipelines of any node of the cluster from the shell."""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import grpc
from google.protobuf import json_format

from nanoping.api import logging_pb2, pipelines_pb2, pipelines_pb2_grpc
from nanoping.cli.api_client import (
    CommandFailed,
    StreamReader,
    add_grpc_option,
    add_node_option,
    add_reconnect_option,
    call,
    describe,
    follow_reconnecting,
)
from nanoping.cli.node_commands import resolve_node
from nanoping.internal import run_history_pb2, run_history_pb2_grpc
from nanoping.runs.run_summary import summary, summary_lines

ALL_LINES = 2**63 - 1
"""`options.lines` meaning 'the whole log' (what the public clients send)."""
BACKLOG_QUIET = 1.0
"""Seconds without a new batch after which `logs` (without --follow) has printed the backlog."""


def add_parsers(commands: Any) -> None:
    pipelines = commands.add_parser(
        "pipelines",
        help="manage pipelines (list, create, show, delete, start, stop, runs, logs, stats)",
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
    chosen: dict[str, argparse.ArgumentParser] = {}
    for action, help_text, runner in (
        ("show", "show one pipeline", run_show),
        ("delete", "delete a pipeline", run_delete),
        ("start", "start a pipeline; prints the run id once it runs", run_start),
        ("stop", "ask a pipeline's run to stop", run_stop),
    ):
        chosen[action] = _command(actions, action, help_text, runner)
        chosen[action].add_argument(
            "id", metavar="PIPELINE", help="the pipeline's id, or its name when no other has it"
        )
    runs = _command(
        actions, "runs", "list a pipeline's runs: start, end, exit code, reason", run_runs
    )
    runs.add_argument(
        "id", metavar="PIPELINE", help="the pipeline's id, or its name when no other has it"
    )
    chosen["delete"].add_argument(
        "--force", action="store_true", help="delete it even while it runs (the run is stopped)"
    )
    stats = _command(
        actions,
        "stats",
        "print what a run's components counted (live, or its end summary)",
        run_stats,
    )
    stats.add_argument("run_id", metavar="RUN_ID", help="the run (see `np pipelines start`)")
    stats.add_argument(
        "--follow", action="store_true", help="print each new sample until the run ends"
    )
    add_reconnect_option(stats)
    logs = _command(actions, "logs", "print a run's log", run_logs)
    logs.add_argument("run_id", metavar="RUN_ID", help="the run (see `np pipelines show`)")
    logs.add_argument("--lines", type=int, metavar="N", help="how many past lines (default: all)")
    logs.add_argument(
        "--follow",
        action="store_true",
        help="keep printing new lines until the run has ended and its last line is printed",
    )
    add_reconnect_option(logs)


def _command(actions: Any, name: str, help_text: str, runner: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(
        name, help=help_text, description=help_text
    )
    add_grpc_option(parser)
    add_node_option(parser, "the node owning the pipelines")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.set_defaults(run=_with_node_resolved(runner))
    return parser


def _with_node_resolved(
    runner: Callable[[argparse.Namespace], int],
) -> Callable[[argparse.Namespace], int]:
    def run(arguments: argparse.Namespace) -> int:
        arguments.node = resolve_node(arguments.grpc, arguments.node)
        if getattr(arguments, "id", None):
            arguments.id = _pipeline_id(arguments)
        return runner(arguments)

    return run


def _pipeline_id(arguments: argparse.Namespace) -> str:
    """The id of the pipeline named by id or, failing that, by its (unique) name."""
    with grpc.insecure_channel(arguments.grpc) as channel:
        stub = _stub(arguments, channel)
        by_id = pipelines_pb2.GetPipelineByIdRequest(node_id=arguments.node, id=arguments.id)
        try:
            return str(stub.getPipelineById(by_id).pipeline.id)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.NOT_FOUND:
                return str(arguments.id)  # the command's own call reports it
        by_name = pipelines_pb2.GetPipelineByNameRequest(node_id=arguments.node, name=arguments.id)
        try:
            return str(stub.getPipelineByName(by_name).pipeline.id)
        except grpc.RpcError as error:
            if "ambiguous" in str(error.details()):
                raise CommandFailed(describe(f"pipelines {arguments.action}", error)) from None
            return str(arguments.id)  # unknown by either: the command's call says NOT_FOUND


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
        stub = _stub(arguments, channel)
        _warn_about_name(arguments, stub)
        pipeline = call("pipelines create", stub.createPipeline, request).pipeline
    _emit(arguments, pipeline, f"created pipeline {pipeline.name} with id {pipeline.id}")
    return 0


def _warn_about_name(arguments: argparse.Namespace, stub: Any) -> None:
    """Names are not unique in the API; a blank or repeated one cannot select a pipeline."""
    if not arguments.name.strip():
        print(
            "np: warning: the pipeline has no name; only its id will select it",
            file=sys.stderr,
        )
        return
    with contextlib.suppress(grpc.RpcError):  # the create call reports a node that fails
        existing = stub.getPipelines(pipelines_pb2.GetPipelinesRequest(node_id=arguments.node))
        if any(pipeline.name == arguments.name for pipeline in existing.pipelines):
            print(
                f"np: warning: another pipeline is named {arguments.name!r}; the name no "
                "longer selects one pipeline, use the id",
                file=sys.stderr,
            )


def run_show(arguments: argparse.Namespace) -> int:
    request = pipelines_pb2.GetPipelineByIdRequest(node_id=arguments.node, id=arguments.id)
    with grpc.insecure_channel(arguments.grpc) as channel:
        pipeline = call(
            "pipelines show", _stub(arguments, channel).getPipelineById, request
        ).pipeline
        last = _last_run(arguments, channel)
    _emit(arguments, pipeline, f"{_summary(pipeline)}\n{last}\n{pipeline.json_config}")
    return 0


def _runs(arguments: argparse.Namespace, channel: grpc.Channel) -> list[Any]:
    stub = run_history_pb2_grpc.RunHistoryServiceStub(channel)
    request = run_history_pb2.GetPipelineRunsRequest(
        node_id=arguments.node, pipeline_id=arguments.id
    )
    return list(call(f"pipelines {arguments.action}", stub.getPipelineRuns, request).runs)


def _last_run(arguments: argparse.Namespace, channel: grpc.Channel) -> str:
    try:
        runs = _runs(arguments, channel)
    except CommandFailed as error:  # e.g. a node of an older version: the pipeline still shows
        return f"last run: unknown ({error})"
    return f"last run: {_describe_run(runs[-1])}" if runs else "last run: none yet"


def run_runs(arguments: argparse.Namespace) -> int:
    with grpc.insecure_channel(arguments.grpc) as channel:
        runs = _runs(arguments, channel)
    if arguments.json:
        print(json.dumps([json_format.MessageToDict(run) for run in runs], indent=2))
        return 0
    if not runs:
        print(f"pipeline {arguments.id} has not run yet")
    for run in runs:
        print(_describe_run(run))
    return 0


def _describe_run(run: Any) -> str:
    started = _clock_time(run.started_at)
    if not run.HasField("ended_at"):
        return f"{run.run_id}  started {started}  running"
    outcome = f"exit code {run.exit_code}" if run.HasField("exit_code") else "exit code unknown"
    reason = f" ({run.reason})" if run.reason else ""
    return f"{run.run_id}  started {started}  ended {_clock_time(run.ended_at)}  {outcome}{reason}"


def _clock_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def run_delete(arguments: argparse.Namespace) -> int:
    request = pipelines_pb2.DeletePipelineRequest(node_id=arguments.node, id=arguments.id)
    with grpc.insecure_channel(arguments.grpc) as channel:
        stub = _stub(arguments, channel)
        if not arguments.force:
            _refuse_running(arguments, stub)
        reply = call("pipelines delete", stub.deletePipeline, request)
    _emit(arguments, reply, f"deleted pipeline {arguments.id}")
    return 0


def _refuse_running(arguments: argparse.Namespace, stub: Any) -> None:
    request = pipelines_pb2.GetPipelineByIdRequest(node_id=arguments.node, id=arguments.id)
    pipeline = call("pipelines delete", stub.getPipelineById, request).pipeline
    if pipeline.started:
        raise CommandFailed(
            f"pipelines delete: pipeline {pipeline.id} ('{pipeline.name}') is running (run "
            f"{pipeline.current_run}); stop it first, or pass --force to stop and delete it"
        )


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
    return follow_reconnecting(arguments, lambda: _print_logs(arguments, request))


def _print_logs(arguments: argparse.Namespace, request: pipelines_pb2.OpenLogStreamRequest) -> int:
    with grpc.insecure_channel(arguments.grpc) as channel:
        stream = _stub(arguments, channel).openLogStream(request)
        print_log_stream(stream, request, arguments, action="pipelines logs")
    return 0


def print_log_stream(
    stream: Any, request: Any, arguments: argparse.Namespace, *, action: str
) -> None:
    """Print a log stream's lines (the backlog, or with --follow until it ends), then cancel it.

    After the first batch ``request`` asks for new lines only, so a stream opened again after
    a reconnect does not print the backlog twice.
    """
    batches = StreamReader(stream, action)
    # Without --follow the backlog is done once the stream has been quiet for a moment.
    quiet = None if arguments.follow else BACKLOG_QUIET
    try:
        while (batch := batches.next(timeout=quiet)) is not None:
            for message in batch.messages:
                print_log_line(message, as_json=arguments.json)
            request.options.lines = 0
    finally:
        stream.cancel()


def run_stats(arguments: argparse.Namespace) -> int:
    return follow_reconnecting(arguments, lambda: _print_stats(arguments))


def _print_stats(arguments: argparse.Namespace) -> int:
    request = pipelines_pb2.OpenTelemetryStreamRequest(
        node_id=arguments.node, run_id=arguments.run_id
    )
    with grpc.insecure_channel(arguments.grpc) as channel:
        stub = _stub(arguments, channel)
        stream = stub.openTelemetryStream(request)
        try:
            for sample in stream:
                _print_summary(arguments, summary(sample), live=True)
                if not arguments.follow:
                    return 0
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.FAILED_PRECONDITION:
                raise CommandFailed(describe("pipelines stats", error), error.code()) from None
        finally:
            stream.cancel()
        ended = _logged_summary(arguments, stub)
    if ended is None:
        raise CommandFailed(f"pipelines stats: run {arguments.run_id} has ended without a summary")
    _print_summary(arguments, ended, live=False)
    return 0


def _logged_summary(arguments: argparse.Namespace, stub: Any) -> dict[str, Any] | None:
    """The components of the run's "run summary" log line (written when the run ended)."""
    request = pipelines_pb2.OpenLogStreamRequest(node_id=arguments.node, run_id=arguments.run_id)
    request.options.lines = ALL_LINES
    found: dict[str, Any] | None = None
    try:
        for batch in stub.openLogStream(request, timeout=30):
            for message in batch.messages:
                if message.message == "run summary":
                    found = _entry(message.data).get("data", {}).get("components")
    except grpc.RpcError as error:
        raise CommandFailed(describe("pipelines stats", error)) from None
    return found


def _print_summary(arguments: argparse.Namespace, counted: dict[str, Any], *, live: bool) -> None:
    if arguments.json:
        print(json.dumps({"live": live, "components": counted}), flush=True)
        return
    print(f"run {arguments.run_id} ({'running' if live else 'ended'}):", flush=True)
    for line in summary_lines(counted):
        print(f"  {line}", flush=True)


def print_log_line(message: Any, *, as_json: bool) -> None:
    """One log entry as a readable line with its data (or its JSON)."""
    if as_json:
        print(json.dumps(json_format.MessageToDict(message)), flush=True)
        return
    level = logging_pb2.Level.Name(message.level)
    stamp = message.timestamp.ToDatetime().isoformat(timespec="milliseconds")
    entry = _entry(message.data)
    raw_data = entry.get("data")
    data: dict[str, Any] = raw_data if isinstance(raw_data, dict) else {}
    components = data.pop("components", None) if message.message == "run summary" else None
    print(f"{stamp} {level:<7} {message.message}{_details(data)}", flush=True)
    if isinstance(components, dict):
        for line in summary_lines(components):
            print(f"    {line}", flush=True)


def _entry(raw: str) -> dict[str, Any]:
    """The JSON object of a raw log line (empty when it is not one)."""
    try:
        entry = json.loads(raw) if raw else None
    except ValueError:
        return {}
    return entry if isinstance(entry, dict) else {}


def _details(data: dict[str, Any]) -> str:
    """The structured data of a log line as ``  key=value ...`` (empty when there is none)."""
    if not data:
        return ""
    return "  " + " ".join(f"{key}={_text(value)}" for key, value in data.items())


def _text(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    return json.dumps(text) if any(c.isspace() for c in text) else text


def _summary(pipeline: pipelines_pb2.Pipeline) -> str:
    state = f"running (run {pipeline.current_run})" if pipeline.started else "stopped"
    return f"{pipeline.id}  {pipeline.name}  [{state}]"
