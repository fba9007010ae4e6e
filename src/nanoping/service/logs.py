"""LoggingService: the node's application log and its pipeline-run logs, followed or downloaded.

Rules (the reference leaves codes open; these are ours):

- openLogStream: the last ``options.lines`` entries (none when unset; they may reach into
  rotated parts), then new entries as they are written, in ``Messages`` batches oldest first,
  until the caller cancels or the node stops. A reader that falls so far behind that the part it
  needs was rotated away ends with RESOURCE_EXHAUSTED. No selector or an empty id:
  INVALID_ARGUMENT; negative ``lines``: INVALID_ARGUMENT; an unknown run: NOT_FOUND; a run log
  on a node without pipelines: NOT_FOUND. Network and network-instance logs live on the networks
  node (the hub); an unknown id there, or any id on another node, is NOT_FOUND.
- downloadLogFile: the whole log, rotated parts first (oldest to newest, then the live file), in
  chunks of at most 64 KiB. A log that does not exist (unknown run, a pruned run log, unknown
  network or instance)
  gives one ``error`` chunk and the stream ends. No selector: INVALID_ARGUMENT (the REST route
  turns a missing selector into the app log, as the official client needs).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import BinaryIO, NoReturn

from nanoping.api import logging_pb2
from nanoping.errors import InvalidArgument, NanoPingError, NotFound
from nanoping.logs.rotation import log_parts
from nanoping.logs.tail import LogTail
from nanoping.runs.log_entry import LogEntryReader

SERVICE_NAME = "nanopinggrpc.logging.LoggingService"
"""Key of this implementation in the method table."""
CHUNK_SIZE = 64 * 1024
"""Most bytes per downloadLogFile chunk (the reference's limit)."""

QUOTE_LIMIT = 80
"""Most characters of a caller's id quoted in an error message."""

RunLogPath = Callable[[str], Path]
"""The log path of a run id; raises NotFound for an unknown run."""
LogPath = Callable[[str], Path]
"""The log path of a network or network-instance id; raises NotFound for an unknown one."""


class LoggingService:
    """Implements ``nanopinggrpc.logging.LoggingService`` on one node."""

    def __init__(
        self,
        *,
        node_id: str,
        app_log: Path,
        run_log: RunLogPath | None = None,
        network_log: LogPath | None = None,
        instance_log: LogPath | None = None,
    ) -> None:
        self._node_id = node_id
        self._app_log = app_log
        self._run_log = run_log
        self._network_log = network_log
        self._instance_log = instance_log
        self._closed = asyncio.Event()

    def close(self) -> None:
        """End every open log stream normally (node shutdown)."""
        self._closed.set()

    def open_log_stream(
        self, request: logging_pb2.OpenLogStreamRequest
    ) -> AsyncIterator[logging_pb2.Messages]:
        """Fix the split between past and new lines now, at call time; then stream.

        A plain function (not a generator) so that lines written once the caller sees the
        stream's headers are not missed.
        """
        self._require_local(request.node_id)
        lines = request.options.lines if request.options.HasField("lines") else 0
        if lines < 0:
            raise InvalidArgument(f"options.lines must not be negative, got {lines}")
        path = self._stream_path(request)
        return _batches(LogTail(path, backlog=lines, closed=self._closed))

    def download_log_file(
        self, request: logging_pb2.DownloadLogFileRequest
    ) -> AsyncIterator[logging_pb2.DownloadLogFileChunk]:
        """Open every part of the log now; then stream them in chunks."""
        self._require_local(request.node_id)
        try:
            files = _open_parts(self._download_path(request))
        except NotFound as error:
            return _error_chunk(error.message)
        return _chunks(files)

    # ---- selectors ----------------------------------------------------------------------------

    def _stream_path(self, request: logging_pb2.OpenLogStreamRequest) -> Path:
        chosen = request.WhichOneof("request")
        if chosen == "app_log_stream_request":
            return self._app_log
        if chosen == "pipeline_run_log_stream_request":
            return self._run_path(request.pipeline_run_log_stream_request.pipeline_run_id)
        if chosen == "network_log_stream_request":
            return self._network_path(request.network_log_stream_request.network_id)
        if chosen == "network_instance_log_stream_request":
            selector = request.network_instance_log_stream_request
            return self._instance_path(selector.network_instance_id)
        raise InvalidArgument(_NO_SELECTOR)

    def _download_path(self, request: logging_pb2.DownloadLogFileRequest) -> Path:
        chosen = request.WhichOneof("request")
        if chosen == "app_log_file_request":
            return self._app_log
        if chosen == "pipeline_run_log_file_request":
            return self._run_path(request.pipeline_run_log_file_request.pipeline_run_id)
        if chosen == "network_log_file_request":
            return self._network_path(request.network_log_file_request.network_id)
        if chosen == "network_instance_log_file_request":
            return self._instance_path(
                request.network_instance_log_file_request.network_instance_id
            )
        raise InvalidArgument(_NO_SELECTOR)

    def _run_path(self, run_id: str) -> Path:
        _require_id("pipeline_run_id", run_id)
        if self._run_log is None:
            raise NotFound(f"run '{run_id}' is unknown: this node does not run pipelines")
        return self._run_log(run_id)

    def _network_path(self, network_id: str) -> Path:
        if self._network_log is None:
            _unknown_network(network_id)
        _require_id("network_id", network_id)
        return self._network_log(network_id)

    def _instance_path(self, instance_id: str) -> Path:
        if self._instance_log is None:
            _unknown_instance(instance_id)
        _require_id("network_instance_id", instance_id)
        return self._instance_log(instance_id)

    def _require_local(self, node_id: str) -> None:
        if node_id and node_id != self._node_id:
            raise NotFound(
                f"node {node_id} is unknown: this node's id is {self._node_id} and the call "
                "was not routed elsewhere"
            )


_NO_SELECTOR = (
    "choose a log: set one of the app log, pipeline run, network or network instance selectors"
)


def _require_id(field: str, value: str) -> None:
    if not value:
        raise InvalidArgument(f"{field} is required: it must not be empty")


def _quoted(value: str) -> str:
    """A caller's id for an error message: escaped, and cut short when long."""
    shown = value if len(value) <= QUOTE_LIMIT else value[:QUOTE_LIMIT] + "..."
    return repr(shown)


def _unknown_network(network_id: str) -> NoReturn:
    _require_id("network_id", network_id)
    raise NotFound(
        f"network {_quoted(network_id)} is unknown here: network logs live on the networks node "
        "(the hub); name it in node_id"
    )


def _unknown_instance(instance_id: str) -> NoReturn:
    _require_id("network_instance_id", instance_id)
    raise NotFound(
        f"network instance {_quoted(instance_id)} is unknown here: network-instance logs live "
        "on the networks node (the hub); name it in node_id"
    )


async def _batches(tail: LogTail) -> AsyncIterator[logging_pb2.Messages]:
    reader = LogEntryReader()
    async for batch in tail.batches():
        yield logging_pb2.Messages(messages=[reader.message(line) for line in batch])


def _open_parts(path: Path) -> list[tuple[BinaryIO, int]]:
    """Every file of the log, oldest first, opened now with its size now; NotFound if none.

    The sizes bound the download: a log written faster than it is read still ends.
    """
    files: list[tuple[BinaryIO, int]] = []
    for part in log_parts(path):
        try:
            file = part.open("rb")
            files.append((file, os.fstat(file.fileno()).st_size))
        except FileNotFoundError:
            continue  # rotated away between the listing and the open; its bytes moved on
    if not files:
        raise NotFound(f"log {path.name} has no file on this node (never written, or pruned)")
    return files


async def _chunks(
    files: list[tuple[BinaryIO, int]],
) -> AsyncIterator[logging_pb2.DownloadLogFileChunk]:
    try:
        for file, size in files:
            while size > 0 and (content := file.read(min(CHUNK_SIZE, size))):
                size -= len(content)
                yield logging_pb2.DownloadLogFileChunk(
                    file_chunk=logging_pb2.LogFileChunk(content=content)
                )
    except OSError as error:
        raise NanoPingError(f"reading the log failed: {error.strerror}") from None
    finally:
        for file, _ in files:
            file.close()


async def _error_chunk(reason: str) -> AsyncIterator[logging_pb2.DownloadLogFileChunk]:
    yield logging_pb2.DownloadLogFileChunk(error=reason)
