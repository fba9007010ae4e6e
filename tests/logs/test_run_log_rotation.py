"""A real run writing far past the size limit: its log keeps bounded disk use, a follower sees
every line across the rotations, and ``lines`` replay crosses the rotation boundary."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path
from typing import Any

import grpc

from nanoping.api import logging_pb2, logging_pb2_grpc, pipelines_pb2, pipelines_pb2_grpc
from nanoping.dataplane.fakes import config_doc
from nanoping.logs.rotation import disk_usage, log_parts
from nanoping.testing.cluster import wait_until
from nanoping.testing.node_process import NodeProcess

MAX_BYTES = 65536
FILES = 4
RATE = 2000
"""Lines per second: a rotation every ~0.25 s, and the kept parts hold ~1.25 s of lines, the
stall a follower on a loaded CI machine may take before the log rotates past it (which ends
its stream with RESOURCE_EXHAUSTED, by design). At 4,000 lines/s and 2 parts, 0.4 s was not
always enough."""
LINE = re.compile(r"chatter line (\d+) ")


def numbers(messages: list[Any]) -> list[int]:
    found = (LINE.match(message.message) for message in messages)
    return [int(match.group(1)) for match in found if match]


class LogReader:
    """Reads a log stream in a thread."""

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.messages: list[Any] = []
        self.error: grpc.RpcError | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for batch in self.stream:
                self.messages.extend(batch.messages)
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.CANCELLED:
                self.error = error

    def close(self) -> None:
        self.stream.cancel()
        self._thread.join(timeout=10)


def test_a_chatty_run_rotates_its_log_and_replay_crosses_the_boundary(tmp_path: Path) -> None:
    config = tmp_path / "node.yaml"
    config.write_text(
        f"grpcBridge: {{address: 127.0.0.1:0}}\nlogs: {{maxFileBytes: {MAX_BYTES}, files: {FILES}}}\n"
    )
    document = config_doc({"chat": {"log_chatter": {"lines_per_second": RATE, "padding": 60}}})
    with (
        NodeProcess(
            data_dir=tmp_path / "data", global_args=["-c", str(config)], up_args=()
        ) as node,
        grpc.insecure_channel(node.grpc_address) as channel,
    ):
        pipelines = pipelines_pb2_grpc.PipelinesServiceStub(channel)
        logs = logging_pb2_grpc.LoggingServiceStub(channel)
        pipeline = pipelines.createPipeline(
            pipelines_pb2.CreatePipelineRequest(name="chatty", json_config=json.dumps(document))
        ).pipeline
        run_id = pipelines.startPipeline(pipelines_pb2.StartPipelineRequest(id=pipeline.id)).run_id
        log_path = tmp_path / "data" / "runs" / f"{run_id}.log"
        follow = logging_pb2.OpenLogStreamRequest()
        follow.pipeline_run_log_stream_request.pipeline_run_id = run_id
        follower = LogReader(logs.openLogStream(follow, timeout=60))
        # About 130 bytes a line: the 64 KiB limit is passed every ~0.25 s.
        deadline = time.monotonic() + 30
        while len(numbers(follower.messages)) < 3 * RATE:
            assert disk_usage(log_path) <= (FILES + 1) * MAX_BYTES + 4096
            assert len(log_parts(log_path)) <= FILES + 1
            assert follower.error is None, follower.error
            assert time.monotonic() < deadline, "the follower fell silent"
            time.sleep(0.05)
        in_live = len(log_path.read_bytes().splitlines())
        replay = logging_pb2.OpenLogStreamRequest()
        replay.pipeline_run_log_stream_request.pipeline_run_id = run_id
        replay.options.lines = in_live + 100  # reaches back into the rotated part
        replayed = LogReader(logs.openLogStream(replay, timeout=60))
        wait_until(lambda: len(replayed.messages) >= in_live + 300, what="the replay")
        pipelines.stopPipeline(pipelines_pb2.StopPipelineRequest(id=pipeline.id))
        replayed.close()
        follower.close()
    assert follower.error is None
    assert replayed.error is None
    followed = numbers(follower.messages)
    assert followed == list(range(followed[0], followed[0] + len(followed)))  # no gap, no repeat
    sequence = numbers(replayed.messages)
    assert len(sequence) >= in_live + 250
    assert sequence == list(range(sequence[0], sequence[0] + len(sequence)))
