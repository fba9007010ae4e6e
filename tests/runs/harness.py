"""The harness of the run tests: a PipelinesService client, pipeline configs, and readers of
what a node leaves on disk (run logs) and in the process table (run processes).

Calls go through a gRPC client built only from the reference descriptors. Waiting is always a
condition polled until a deadline (``wait_until``), never a bare sleep.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

import grpc
import pytest

from nanoping.dataplane.fakes import config_doc, wire
from nanoping.pipelines.feed import PipelineFeed
from nanoping.pipelines.record import RunRecord
from nanoping.pipelines.store import PipelineStore
from nanoping.storage.database import Database
from nanoping.testing.cluster import wait_until
from nanoping.testing.reference_client import ReferenceApi

SERVICE = "/nanopinggrpc.pipeline.PipelinesService/"
ALL_LINES = 2**63 - 1
"""What the official helpers ask for to get a whole log."""


class PipelinesApi:
    """PipelinesService calls by method name, with reference-built messages."""

    def __init__(self, api: ReferenceApi, channel: grpc.Channel, node_id: str = "") -> None:
        self.api = api
        self.channel = channel
        self.node_id = node_id

    def call(self, method: str, **fields: Any) -> Any:
        path = SERVICE + method
        request = self.api.request(path, node_id=self.node_id, **fields)
        return self.api.call(self.channel, path, request, timeout=20)

    def error(self, method: str, **fields: Any) -> tuple[grpc.StatusCode, str]:
        with pytest.raises(grpc.RpcError) as raised:
            self.call(method, **fields)
        error: Any = raised.value
        return error.code(), str(error.details())

    def stream(self, method: str, *, timeout: float | None = 30, **fields: Any) -> Any:
        path = SERVICE + method
        request = self.api.request(path, node_id=self.node_id, **fields)
        return self.api.stream(self.channel, path, request, timeout=timeout)

    def create(self, name: str, document: dict[str, Any], **fields: Any) -> Any:
        config = json.dumps(document)
        return self.call("createPipeline", name=name, json_config=config, **fields).pipeline

    def get(self, pipeline_id: str) -> Any:
        return self.call("getPipelineById", id=pipeline_id).pipeline

    def start(self, pipeline_id: str) -> str:
        run_id: str = self.call("startPipeline", id=pipeline_id).run_id
        return run_id

    def wait_stopped(self, pipeline_id: str, timeout: float = 15) -> Any:
        wait_until(
            lambda: not self.get(pipeline_id).started,
            timeout=timeout,
            what=f"pipeline {pipeline_id} stopped",
        )
        return self.get(pipeline_id)

    def telemetry(self, run_id: str) -> tuple[list[Any], grpc.RpcError]:
        """Every sample of a live run until its stream ends, and the error it ends with."""
        samples: list[Any] = []
        with pytest.raises(grpc.RpcError) as raised:
            samples.extend(self.stream("openTelemetryStream", run_id=run_id))
        return samples, raised.value


def traffic(*, total: int, interval: float, delay_ms: int | None = None) -> dict[str, Any]:
    """``uniform_traffic_source → [delay_constant →] traffic_sink``; total 0 = endless."""
    source: dict[str, Any] = {"total_packets": total, "interval": interval, "packet_size": 200}
    if delay_ms is None:
        link = wire("sink", 0, "source", 0)
        return config_doc(
            {
                "source": {"uniform_traffic_source": {"output": link, **source}},
                "sink": {"traffic_sink": {"input": link}},
            }
        )
    to_delay, from_delay = wire("delay", 0, "source", 0), wire("sink", 0, "delay", 0)
    return config_doc(
        {
            "source": {"uniform_traffic_source": {"output": to_delay, **source}},
            "delay": {
                "delay_constant": {
                    "flows": [{"input": to_delay, "output": from_delay}],
                    "delay": delay_ms,
                }
            },
            "sink": {"traffic_sink": {"input": from_delay}},
        }
    )


def bomb(delay_ms: int = 50) -> dict[str, Any]:
    """A pipeline that fails ``delay_ms`` after it starts."""
    return config_doc({"bomb": {"bomb": {"delay": delay_ms}}})


def run_log(data_dir: Path, run_id: str) -> list[dict[str, Any]]:
    """The entries of a run's log file, as written (the data dir is the node's)."""
    path = data_dir / "runs" / f"{run_id}.log"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.startswith("{")]


def logged(data_dir: Path, run_id: str, message: str) -> dict[str, Any] | None:
    """The first entry of the run's log with this message, if written yet."""
    return next((e for e in run_log(data_dir, run_id) if e["message"] == message), None)


def run_pid(data_dir: Path, run_id: str) -> int:
    """The pid of a running run, from its "run started" entry."""
    entry = logged(data_dir, run_id, "run started")
    assert entry is not None, f"run {run_id} has not logged its start"
    pid: int = entry["data"]["pid"]
    return pid


def alive(pid: int) -> bool:
    """True while ``pid`` is a live process (a zombie waiting to be reaped counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


def wait_dead(pid: int, timeout: float = 10) -> None:
    wait_until(lambda: not alive(pid), timeout=timeout, what=f"process {pid} gone")


def kill_quietly(pid: int, number: int) -> None:
    """Send a signal to a process that may already be gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, number)


def stored_runs(data_dir: Path) -> dict[str, list[RunRecord]]:
    """Every pipeline's runs by pipeline name, read from the node's database (node stopped)."""
    database = Database.open(data_dir / "node.sqlite3")
    try:
        store = PipelineStore(database, feed=PipelineFeed())
        return {record.name: store.runs(record.id) for record in store.all()}
    finally:
        database.close()
