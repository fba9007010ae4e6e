"""`np top`: a live terminal view of one node's resources and pipeline runs."""

from __future__ import annotations

import argparse
from typing import Any

import grpc
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table

from nanoping.api import (
    metrics_pb2,
    pipelines_pb2,
    pipelines_pb2_grpc,
    resources_pb2,
    resources_pb2_grpc,
)
from nanoping.cli.api_client import (
    CommandFailed,
    StreamReader,
    add_grpc_option,
    add_node_option,
    describe,
)
from nanoping.cli.node_commands import resolve_node

SAMPLE_WAIT = 10.0
"""Seconds to wait for a metrics sample before giving up."""


def add_parsers(commands: Any) -> None:
    parser = commands.add_parser(
        "top",
        help="live view of a node's CPU, memory, disk, network and runs",
        description="Show a node's resources and pipelines, refreshed every second, until "
        "Ctrl-C. Any node of the cluster works through --node.",
    )
    add_grpc_option(parser)
    add_node_option(parser)
    parser.add_argument("--once", action="store_true", help="print one view and exit")
    parser.set_defaults(run=run_top)


def run_top(arguments: argparse.Namespace) -> int:
    arguments.node = resolve_node(arguments.grpc, arguments.node)
    console = Console()
    with grpc.insecure_channel(arguments.grpc) as channel:
        resources = resources_pb2_grpc.ResourcesServiceStub(channel)
        pipelines = pipelines_pb2_grpc.PipelinesServiceStub(channel)
        stream = resources.openMetricsStream(
            resources_pb2.OpenMetricsStreamRequest(node_id=arguments.node)
        )
        samples = StreamReader(stream, "top")
        try:
            first = _next_sample(samples)
            view = render(first, _pipelines(pipelines, arguments.node))
            if arguments.once:
                console.print(view)
                return 0
            with Live(view, console=console, auto_refresh=False) as live:
                while True:
                    sample = _next_sample(samples)
                    live.update(render(sample, _pipelines(pipelines, arguments.node)))
                    live.refresh()
        finally:
            stream.cancel()


def _next_sample(samples: StreamReader) -> resources_pb2.MetricsSample:
    sample = samples.next(timeout=SAMPLE_WAIT)
    if sample is None:
        raise CommandFailed("top: the node sent no metrics sample")
    return sample  # type: ignore[no-any-return]


def _pipelines(stub: Any, node_id: str) -> list[pipelines_pb2.Pipeline]:
    """The node's pipelines; empty when it does not run pipelines."""
    try:
        reply = stub.getPipelines(pipelines_pb2.GetPipelinesRequest(node_id=node_id))
    except grpc.RpcError as error:
        if error.code() == grpc.StatusCode.UNIMPLEMENTED:
            return []
        raise CommandFailed(describe("top", error)) from None
    return list(reply.pipelines)


def render(sample: resources_pb2.MetricsSample, pipelines: list[pipelines_pb2.Pipeline]) -> Group:
    """One frame: machine and process metrics, interfaces, pipelines."""
    collections = {collection.path: collection for collection in sample.collections}
    return Group(
        _overview(collections, sample.timestamp.ToJsonString()),
        _interfaces(collections),
        _runs(pipelines),
    )


def _value(collections: dict[str, metrics_pb2.Collection], path: str, name: str) -> float:
    collection = collections.get(path)
    if collection is None or name not in collection.metrics:
        return 0.0
    metric = collection.metrics[name]
    kind = metric.WhichOneof("type")
    if kind == "constant":
        return float(getattr(metric.constant, str(metric.constant.WhichOneof("value")), 0))
    return float(getattr(metric, str(kind)).value)


def _overview(collections: dict[str, metrics_pb2.Collection], when: str) -> Table:
    table = Table(title=f"node resources at {when}", show_header=False, expand=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    cpu = collections.get("/system/cpu")
    cores = sorted(name for name in (cpu.metrics if cpu else {}) if name.startswith("core"))
    per_core = " ".join(f"{_value(collections, '/system/cpu', core):3.0f}%" for core in cores)
    table.add_row("CPU", f"{_value(collections, '/system/cpu', 'total'):5.1f}%   cores: {per_core}")
    used = _value(collections, "/system/memory", "used")
    total = _value(collections, "/system/memory", "total")
    table.add_row("memory", f"{_bytes(used)} of {_bytes(total)}")
    loads = [_value(collections, "/system/load", name) for name in ("load1", "load5", "load15")]
    table.add_row("load", " ".join(f"{load:.2f}" for load in loads))
    disk_used = _value(collections, "/system/disk", "used_percent")
    table.add_row("data dir disk", f"{disk_used:.1f}% used")
    table.add_row(
        "node process",
        f"CPU {_value(collections, '/process', 'cpu_percent'):.1f}%  "
        f"RSS {_bytes(_value(collections, '/process', 'rss'))}  "
        f"fds {_value(collections, '/process', 'open_fds'):.0f}  "
        f"threads {_value(collections, '/process', 'threads'):.0f}  "
        f"runs {_value(collections, '/process', 'runs_alive'):.0f}",
    )
    return table


def _interfaces(collections: dict[str, metrics_pb2.Collection]) -> Table:
    table = Table(title="interfaces")
    for header in ("interface", "in", "out", "pkt/s in", "pkt/s out", "errors+drops/s"):
        table.add_column(header, justify="right" if header != "interface" else "left")
    for path in sorted(path for path in collections if path.startswith("/system/network/")):

        def rate(name: str, path: str = path) -> float:
            return _value(collections, path, f"{name}_per_second")

        faults = sum(rate(name) for name in ("errors_in", "errors_out", "drops_in", "drops_out"))
        table.add_row(
            path.rsplit("/", 1)[-1],
            f"{_bytes(rate('bytes_received'))}/s",
            f"{_bytes(rate('bytes_sent'))}/s",
            f"{rate('packets_received'):.0f}",
            f"{rate('packets_sent'):.0f}",
            f"{faults:.0f}",
        )
    return table


def _runs(pipelines: list[pipelines_pb2.Pipeline]) -> Table:
    table = Table(title="pipelines")
    for header in ("pipeline", "name", "state"):
        table.add_column(header)
    for pipeline in sorted(pipelines, key=lambda item: item.name):
        state = f"running (run {pipeline.current_run})" if pipeline.started else "stopped"
        table.add_row(pipeline.id, pipeline.name, state)
    return table


def _bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(count) < 1024:
            return f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} TiB"
