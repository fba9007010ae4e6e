"""Runs through a real node: run to the end, start/stop and their errors, logs, telemetry,
hung runs, live and forced updates, deletion of a running pipeline.

One node serves the whole module (each test uses its own pipelines); tests that kill or
restart nodes live in ``test_node_death.py``.
"""

from __future__ import annotations

import json
import signal
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from nanoping.dataplane.fakes import config_doc
from nanoping.testing.cluster import wait_until
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

from .harness import (
    ALL_LINES,
    PipelinesApi,
    alive,
    kill_quietly,
    logged,
    run_log,
    run_pid,
    traffic,
    wait_dead,
)

FAILED_PRECONDITION = grpc.StatusCode.FAILED_PRECONDITION
NOT_FOUND = grpc.StatusCode.NOT_FOUND
INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT
ENDLESS = traffic(total=0, interval=2)
"""500 packets/s until stopped: cheap, and never ends on its own."""


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[NodeProcess, Path]]:
    data_dir = tmp_path_factory.mktemp("lifecycle") / "node-data"
    with NodeProcess(data_dir=data_dir) as node:
        yield node, data_dir


@pytest.fixture
def data_dir(shared: tuple[NodeProcess, Path]) -> Path:
    return shared[1]


@pytest.fixture
def pipelines(
    reference_api: ReferenceApi, shared: tuple[NodeProcess, Path]
) -> Iterator[PipelinesApi]:
    with grpc.insecure_channel(shared[0].grpc_address) as channel:
        yield PipelinesApi(reference_api, channel)


def sink_received(sample: Any) -> int:
    for collection in sample.metric_collections:
        if collection.path == "/components/sink":
            value: int = collection.metrics["packets_received"].uint64.value
            return value
    raise AssertionError("no sink collection in the sample")


def log_messages(pipelines: PipelinesApi, run_id: str, *, lines: int | None, until: str) -> Any:
    """An open log stream and a reader of its messages up to ``until`` (then it cancels)."""
    options = {"lines": lines} if lines is not None else {}
    stream = pipelines.stream("openLogStream", run_id=run_id, options=options)
    stream.initial_metadata()  # the stream is live: nothing written from now on is missed

    def read() -> list[str]:
        seen: list[str] = []
        for batch in stream:
            seen.extend(message.message for message in batch.messages)
            if until in seen:
                stream.cancel()
                return seen
        raise AssertionError(f"log stream ended before '{until}': {seen}")

    return read


def test_the_seed_pipeline_runs_to_completion(pipelines: PipelinesApi, data_dir: Path) -> None:
    # The seed's pipeline (5,000 packets source -> sink) at 0.4 ms instead of 25 ms a packet.
    pipeline = pipelines.create("seed", traffic(total=5000, interval=0.4))
    events = pipelines.stream("streamPipelines", timeout=None)
    events.initial_metadata()
    run_id = pipelines.start(pipeline.id)
    samples, end = pipelines.telemetry(run_id)

    assert sink_received(samples[-1]) == 5000
    assert end.code() == FAILED_PRECONDITION
    assert f"run {run_id} ended: all components finished" in str(end.details())
    assert not pipelines.wait_stopped(pipeline.id).HasField("current_run")
    first, second = next(events).update.pipeline, next(events).update.pipeline
    events.cancel()
    assert (first.started, first.current_run) == (True, run_id)
    assert (second.started, second.HasField("current_run")) == (False, False)
    messages = log_messages(pipelines, run_id, lines=ALL_LINES, until="run ended")()
    assert messages == ["run started", "run summary", "run ended"]
    summary = logged(data_dir, run_id, "run summary")
    assert summary is not None
    assert summary["data"]["components"]["sink"]["packets_received"] == 5000
    ended = logged(data_dir, run_id, "run ended")
    assert ended is not None
    assert ended["data"]["exit_code"] == 0
    assert ended["level"] == "INFO"


def test_start_and_stop_and_their_errors(pipelines: PipelinesApi, data_dir: Path) -> None:
    assert pipelines.error("startPipeline", id="nope")[0] == NOT_FOUND
    assert pipelines.error("startPipeline", name="nope")[0] == NOT_FOUND
    assert pipelines.error("startPipeline")[0] == INVALID_ARGUMENT
    assert pipelines.error("stopPipeline", id="nope")[0] == NOT_FOUND
    assert pipelines.error("stopPipeline", run_id="nope")[0] == NOT_FOUND
    pipeline = pipelines.create("start-stop", ENDLESS)
    code, details = pipelines.error("stopPipeline", id=pipeline.id)
    assert (code, "is already stopped" in details) == (FAILED_PRECONDITION, True)

    run_id = pipelines.call("startPipeline", name="start-stop").run_id
    running = pipelines.get(pipeline.id)
    assert (running.started, running.current_run) == (True, run_id)
    code, details = pipelines.error("startPipeline", id=pipeline.id)
    assert (code, "is already started" in details) == (FAILED_PRECONDITION, True)

    pipelines.call("stopPipeline", run_id=run_id)  # returns once the stop is requested
    pipelines.wait_stopped(pipeline.id)
    wait_dead(run_pid(data_dir, run_id))
    ended = logged(data_dir, run_id, "run ended")
    assert ended is not None
    assert ended["data"] == {"exit_code": 0, "reason": "stop requested", **cpu(ended)}
    assert pipelines.error("stopPipeline", run_id=run_id)[0] == FAILED_PRECONDITION
    assert pipelines.error("stopPipeline", name="start-stop")[0] == FAILED_PRECONDITION

    again = pipelines.start(pipeline.id)
    assert again != run_id
    pipelines.call("stopPipeline", name="start-stop")
    pipelines.wait_stopped(pipeline.id)


def cpu(entry: dict[str, Any]) -> dict[str, Any]:
    """The cpu_seconds item of a "run ended" entry (its value varies)."""
    return {"cpu_seconds": entry["data"]["cpu_seconds"]}


def test_a_run_that_cannot_start_fails_the_start(pipelines: PipelinesApi) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{taken.getsockname()[1]}"
        document = config_doc({"udp": {"udp_socket": {"bind_address": address}}})
        pipeline = pipelines.create("port taken", document)
        code, details = pipelines.error("startPipeline", id=pipeline.id)
    assert code == FAILED_PRECONDITION
    assert "could not start" in details
    assert "in use" in details
    assert not pipelines.get(pipeline.id).started


def test_log_stream_sends_the_backlog_then_follows(pipelines: PipelinesApi, data_dir: Path) -> None:
    pipeline = pipelines.create("logs", ENDLESS, default_logging_level="STATE")
    run_id = pipelines.start(pipeline.id)
    assert [e["message"] for e in run_log(data_dir, run_id)] == ["run starting", "run started"]
    last_line = log_messages(pipelines, run_id, lines=1, until="run ended")
    only_new = log_messages(pipelines, run_id, lines=None, until="run ended")
    whole = log_messages(pipelines, run_id, lines=ALL_LINES, until="run ended")
    pipelines.call("stopPipeline", id=pipeline.id)
    tail = ["stop requested", "run ending", "run summary", "run ended"]
    assert last_line() == ["run started", *tail]
    assert only_new() == tail
    assert whole() == ["run starting", "run started", *tail]
    assert pipelines.error("openLogStream", run_id="unknown")[0] == NOT_FOUND
    assert pipelines.error("openLogStream", run_id="")[0] == INVALID_ARGUMENT


def test_telemetry_stream_ends_with_an_error_when_the_run_stops(
    pipelines: PipelinesApi,
) -> None:
    pipeline = pipelines.create("telemetry", ENDLESS)
    run_id = pipelines.start(pipeline.id)
    stream = pipelines.stream("openTelemetryStream", run_id=run_id)
    first = next(stream)
    assert {c.path for c in first.metric_collections} == {
        "/components/source",
        "/components/sink",
    }
    assert {kpi.id for kpi in first.kpis} >= {"elapsed_seconds", "components_total"}
    pipelines.call("stopPipeline", id=pipeline.id)
    with pytest.raises(grpc.RpcError) as raised:
        for _ in stream:
            pass
    error: Any = raised.value
    assert error.code() == FAILED_PRECONDITION
    assert f"run {run_id} ended: stop requested" in error.details()
    pipelines.wait_stopped(pipeline.id)
    code, details = pipelines.error("openTelemetryStream", run_id=run_id)
    assert (code, f"run {run_id} has ended (exit code 0)") == (FAILED_PRECONDITION, details)
    assert pipelines.error("openTelemetryStream", run_id="unknown")[0] == NOT_FOUND


def test_an_unanswered_instruction_marks_the_run_hung(
    pipelines: PipelinesApi, data_dir: Path
) -> None:
    pipeline = pipelines.create("hangs", ENDLESS, instructions_timeout=1)
    run_id = pipelines.start(pipeline.id)
    pid = run_pid(data_dir, run_id)
    started = time.monotonic()
    kill_quietly(pid, signal.SIGSTOP)  # alive, but it answers nothing any more
    pipelines.wait_stopped(pipeline.id, timeout=10)
    assert time.monotonic() - started < 5
    wait_dead(pid)
    killing = logged(data_dir, run_id, "killing the run process")
    assert killing is not None
    assert killing["data"]["reason"] == "run hung: report instruction unanswered after 1 s"
    ended = logged(data_dir, run_id, "run ended")
    assert ended is not None
    assert (ended["level"], ended["data"]["exit_code"]) == ("ERROR", 137)


def test_update_live_refused_or_forced_and_delete_while_running(
    pipelines: PipelinesApi, data_dir: Path
) -> None:
    def update(document: dict[str, Any], **fields: Any) -> Any:
        return pipelines.call(
            "updatePipeline",
            id=pipeline.id,
            name="delayed",
            json_config=json.dumps(document),
            instructions_timeout=30,
            default_logging_level="INFO",
            **fields,
        ).pipeline

    pipeline = pipelines.create("delayed", traffic(total=0, interval=2, delay_ms=20))
    first = pipelines.start(pipeline.id)
    live = update(traffic(total=0, interval=2, delay_ms=40))
    assert (live.started, live.current_run) == (True, first)
    applied = logged(data_dir, first, "configuration applied")
    assert applied is not None
    assert applied["data"] == {"components": ["delay"]}

    not_live = traffic(total=100_000, interval=2, delay_ms=40)
    code, details = pipelines.error(
        "updatePipeline",
        id=pipeline.id,
        name="delayed",
        json_config=json.dumps(not_live),
        instructions_timeout=30,
    )
    assert code == FAILED_PRECONDITION
    assert "cannot change total_packets while it runs" in details
    assert '"delay": 40' in pipelines.get(pipeline.id).json_config
    assert '"total_packets": 0' in pipelines.get(pipeline.id).json_config

    forced = update(not_live, force_restart=True)
    assert forced.started
    assert forced.current_run not in ("", first)
    assert '"total_packets": 100000' in forced.json_config
    wait_dead(run_pid(data_dir, first))
    replaced = logged(data_dir, first, "run ended")
    assert replaced is not None
    assert replaced["data"]["reason"] == "restarting with a new config"

    second_pid = run_pid(data_dir, forced.current_run)
    pipelines.call("deletePipeline", id=pipeline.id)
    assert not alive(second_pid)
    assert not (data_dir / "runs" / f"{first}.log").exists()
    assert pipelines.error("getPipelineById", id=pipeline.id)[0] == NOT_FOUND


def test_a_stopped_run_is_started_again_after_the_previous_one_ended(
    pipelines: PipelinesApi,
) -> None:
    pipeline = pipelines.create("quick restart", ENDLESS)
    first = pipelines.start(pipeline.id)
    pipelines.call("stopPipeline", id=pipeline.id)
    second = pipelines.start(pipeline.id)  # waits for the first run to end, then starts
    assert second != first
    wait_until(lambda: pipelines.get(pipeline.id).current_run == second, what="second run")
    pipelines.call("stopPipeline", id=pipeline.id)
    pipelines.wait_stopped(pipeline.id)
