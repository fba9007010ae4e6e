"""LoggingService on one node, in process: selectors, error codes, batches and downloads."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from nanoping.api import logging_pb2
from nanoping.errors import InvalidArgument, NotFound
from nanoping.service.logs import CHUNK_SIZE, LoggingService

T = TypeVar("T")
NODE = "node-1"


def run_log(run_id: str) -> Path:
    raise NotFound(f"run '{run_id}' is unknown on this node")


def service(tmp_path: Path) -> LoggingService:
    return LoggingService(node_id=NODE, app_log=tmp_path / "node.log", run_log=run_log)


async def first(stream: AsyncIterator[T]) -> T:
    async with asyncio.timeout(5):
        return await anext(stream)


async def everything(stream: AsyncIterator[T]) -> list[T]:
    async with asyncio.timeout(5):
        return [item async for item in stream]


async def received(
    stream: AsyncIterator[logging_pb2.Messages], count: int
) -> list[logging_pb2.Message]:
    messages: list[logging_pb2.Message] = []
    while len(messages) < count:
        messages.extend((await first(stream)).messages)
    return messages


def entry(number: int) -> str:
    return json.dumps(
        {"timestamp": "2026-01-02T03:04:05Z", "level": "WARNING", "message": f"entry {number}"}
    )


async def test_app_log_backlog_then_new_entries(tmp_path: Path) -> None:
    (tmp_path / "node.log.1").write_text(entry(1) + "\n")
    (tmp_path / "node.log").write_text(entry(2) + "\nnot json\n")
    request = logging_pb2.OpenLogStreamRequest(node_id=NODE)
    request.app_log_stream_request.SetInParent()
    request.options.lines = 3
    stream = service(tmp_path).open_log_stream(request)
    messages = await received(stream, 3)
    assert [message.message for message in messages] == ["entry 1", "entry 2", "not json"]
    assert messages[0].level == logging_pb2.WARNING
    assert messages[0].data == entry(1)
    assert messages[0].timestamp.ToJsonString() == "2026-01-02T03:04:05Z"
    assert messages[2].data == ""  # not JSON: the raw line is the message, data empty
    with (tmp_path / "node.log").open("a") as file:
        file.write(entry(3) + "\n")
    assert [message.message for message in (await first(stream)).messages] == ["entry 3"]
    await stream.aclose()  # type: ignore[attr-defined]


def stream_request(**selector: object) -> logging_pb2.OpenLogStreamRequest:
    return logging_pb2.OpenLogStreamRequest(node_id=NODE, **selector)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("request_", "error", "message"),
    [
        (stream_request(), InvalidArgument, "choose a log"),
        (
            stream_request(pipeline_run_log_stream_request={"pipeline_run_id": ""}),
            InvalidArgument,
            "pipeline_run_id is required",
        ),
        (
            stream_request(pipeline_run_log_stream_request={"pipeline_run_id": "r-9"}),
            NotFound,
            "run 'r-9' is unknown",
        ),
        (
            stream_request(network_log_stream_request={"network_id": "n-1"}),
            NotFound,
            "network 'n-1' is unknown",
        ),
        (
            stream_request(network_instance_log_stream_request={"network_instance_id": "i-1"}),
            NotFound,
            "network instance 'i-1' is unknown",
        ),
        (
            stream_request(network_log_stream_request={"network_id": "\n" + "n" * 5000}),
            NotFound,
            r"network '\\nnnn+\.\.\.' is unknown",
        ),
        (
            stream_request(app_log_stream_request={}, options={"lines": -1}),
            InvalidArgument,
            "options.lines must not be negative, got -1",
        ),
        (
            logging_pb2.OpenLogStreamRequest(node_id="other", app_log_stream_request={}),
            NotFound,
            "node other is unknown",
        ),
    ],
)
def test_bad_stream_requests_fail_at_once(
    tmp_path: Path,
    request_: logging_pb2.OpenLogStreamRequest,
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        service(tmp_path).open_log_stream(request_)


async def test_download_sends_rotated_parts_first_in_64_kib_chunks(tmp_path: Path) -> None:
    older = b"o" * (CHUNK_SIZE + 10) + b"\n"
    newer = b"n" * 100 + b"\n"
    (tmp_path / "node.log.1").write_bytes(older)
    (tmp_path / "node.log").write_bytes(newer)
    request = logging_pb2.DownloadLogFileRequest(node_id=NODE, app_log_file_request={})
    chunks = await everything(service(tmp_path).download_log_file(request))
    contents = [chunk.file_chunk.content for chunk in chunks]
    assert all(len(content) <= CHUNK_SIZE for content in contents)
    assert b"".join(contents) == older + newer
    assert len(contents) == 3


async def test_download_of_an_unknown_log_is_one_error_chunk(tmp_path: Path) -> None:
    logs = service(tmp_path)
    selectors: list[dict[str, Any]] = [
        {"pipeline_run_log_file_request": {"pipeline_run_id": "r-9"}},
        {"network_log_file_request": {"network_id": "n-1"}},
        {"app_log_file_request": {}},  # no file written yet
    ]
    for selector in selectors:
        request = logging_pb2.DownloadLogFileRequest(node_id=NODE, **selector)
        chunks = await everything(logs.download_log_file(request))
        assert [chunk.WhichOneof("response") for chunk in chunks] == ["error"]
        assert chunks[0].error


async def test_closing_the_service_ends_open_streams(tmp_path: Path) -> None:
    logs = service(tmp_path)
    request = stream_request(app_log_stream_request={})
    assert await everything(_closed_soon(logs, logs.open_log_stream(request))) == []


async def _closed_soon(
    logs: LoggingService, stream: AsyncIterator[logging_pb2.Messages]
) -> AsyncIterator[logging_pb2.Messages]:
    asyncio.get_running_loop().call_later(0.05, logs.close)
    async for batch in stream:
        yield batch
