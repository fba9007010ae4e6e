"""Real nodes serving the REST API, and small helpers for driving them with ``nanoping-api``."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Generic, TypeVar

import nanoping_api
import pytest

from nanoping.testing.cluster import start_controller
from nanoping.testing.node_process import NodeProcess

T = TypeVar("T")

REST_AND_GRPC = ("--grpc", "127.0.0.1:0", "--rest-api", "127.0.0.1:0")
REST_API_CONFIG = "restApi:\n  address: 127.0.0.1:0\n"
PIPELINE_CONFIG = (
    Path(__file__).resolve().parents[2] / "examples" / "python" / "pipeline_config.json"
).read_text()
UNKNOWN_NODE = "00000000-0000-4000-8000-000000000000"


def start_rest_controller(tmp_path: Path, **options: Any) -> NodeProcess:
    """The hub node of the README, with its REST API on a free port."""
    return start_controller(tmp_path, extra=REST_API_CONFIG, **options)


def start_rest_node(data_dir: Path) -> NodeProcess:
    """A plain node serving both APIs on free ports."""
    return NodeProcess(data_dir=data_dir, up_args=REST_AND_GRPC).start()


def metadata(**values: str | int | bool) -> nanoping_api.NodeMetadata:
    """Node metadata from Python values, each kept with its own type."""
    items = {key: _item(value) for key, value in values.items()}
    return nanoping_api.NodeMetadata(items=items)


def _item(value: str | int | bool) -> nanoping_api.NodeMetadataItem:
    if isinstance(value, bool):
        return nanoping_api.NodeMetadataItem(bool_value=value)
    if isinstance(value, int):
        return nanoping_api.NodeMetadataItem(int_value=value)
    return nanoping_api.NodeMetadataItem(string_value=value)


def api_error(call: Callable[[], object]) -> nanoping_api.ApiError:
    """The ApiError a blocking call raises."""
    with pytest.raises(nanoping_api.ApiError) as raised:
        call()
    return raised.value


class Follower(Generic[T]):
    """Reads a blocking stream in a thread, so a test can act and then look at what arrived."""

    def __init__(self, stream: nanoping_api.ServerStream[T]) -> None:
        self._stream = stream
        self.messages: list[T] = []
        self.error: nanoping_api.ApiError | None = None
        self.ended = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for message in self._stream:
                self.messages.append(message)
        except nanoping_api.ApiError as error:
            self.error = error
        finally:
            self.ended.set()

    def holds(self, count: int) -> Callable[[], bool]:
        """A condition: at least ``count`` messages arrived."""
        return lambda: len(self.messages) >= count

    def close(self) -> None:
        self._stream.close()
        self._thread.join(timeout=10)


class JoinAnswers:
    """Runs the blocking client's ``answer_join_requests`` in a thread until the stream ends."""

    def __init__(self, client: nanoping_api.NanopingClient, decide: Callable[[Any], bool]) -> None:
        self.seen: list[nanoping_api.AuthenticationByRequestRequest] = []
        self.error: nanoping_api.ApiError | None = None
        self._decide = decide
        self._thread = threading.Thread(target=self._run, args=(client,), daemon=True)
        self._thread.start()

    def _run(self, client: nanoping_api.NanopingClient) -> None:
        try:
            client.answer_join_requests(self._record)
        except nanoping_api.ApiError as error:
            self.error = error  # the stream ends this way when its node shuts down

    def _record(self, request: nanoping_api.AuthenticationByRequestRequest) -> bool:
        self.seen.append(request)
        return self._decide(request)

    def join(self) -> None:
        self._thread.join(timeout=15)


def names(nodes: Iterable[nanoping_api.HubNode]) -> set[str]:
    return {node.name for node in nodes}


def ids(items: Iterable[Any]) -> list[str]:
    return [item.id for item in items]


def rename_pipeline(
    pipelines: Any, *, node_id: str, pipeline: nanoping_api.Pipeline, name: str
) -> Any:
    """updatePipeline replaces every setting: send the current ones with the new name."""
    return pipelines.update_pipeline(
        node_id=node_id,
        id=pipeline.id,
        name=name,
        json_config=pipeline.json_config,
        restart_policy=pipeline.restart_policy,
        startup_policy=pipeline.startup_policy,
        default_logging_level=pipeline.default_logging_level,
        instructions_timeout=pipeline.instructions_timeout,
        cpu_pin=pipeline.cpu_pin,
        performance_mode=pipeline.performance_mode,
        node_reference_id=pipeline.node_reference_id,
    )


def event_kinds(events: Iterable[nanoping_api.StreamPipelinesEvent]) -> list[tuple[str, str]]:
    """(kind, pipeline name) of each pipeline event."""
    kinds = []
    for event in events:
        for kind in ("create", "update", "delete"):
            member = getattr(event, kind)
            if member is not None:
                kinds.append((kind, member.pipeline.name))
    return kinds


def join_when_answered(edge_url: str, hub_server_address: str, *, deadline: float = 30) -> None:
    """``join_hub`` through the node at ``edge_url``, waiting up to ``deadline`` for the answer.

    The approver may open before or after the request: the hub shows every pending request to
    an approver that opens later, so one call is enough.
    """
    with nanoping_api.NanopingClient(edge_url, timeout=deadline) as edge:
        edge.join_hub(hub_server_address)


async def join_when_answered_async(
    edge_url: str, hub_server_address: str, *, deadline: float = 30
) -> None:
    """:func:`join_when_answered` with the asyncio client."""
    async with nanoping_api.AsyncNanopingClient(edge_url, timeout=deadline) as edge:
        await edge.join_hub(hub_server_address)
