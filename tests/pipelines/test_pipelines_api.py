"""PipelinesService through a real `np up` process, called by a client built from the reference."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

SERVICE = "/nanopinggrpc.pipeline.PipelinesService"
GET_ALL = f"{SERVICE}/getPipelines"
GET_BY_ID = f"{SERVICE}/getPipelineById"
GET_BY_NAME = f"{SERVICE}/getPipelineByName"
GET_BY_RUN = f"{SERVICE}/getPipelineByRunId"
CREATE = f"{SERVICE}/createPipeline"
UPDATE = f"{SERVICE}/updatePipeline"
DELETE = f"{SERVICE}/deletePipeline"
STREAM = f"{SERVICE}/streamPipelines"
START = f"{SERVICE}/startPipeline"


@pytest.fixture
def node(data_dir: Path) -> Iterator[NodeProcess]:
    with NodeProcess(data_dir=data_dir) as started:
        yield started


@pytest.fixture
def channel(node: NodeProcess) -> Iterator[grpc.Channel]:
    with grpc.insecure_channel(node.grpc_address) as opened:
        yield opened


class Client:
    """Calls by wire path with reference-built messages."""

    def __init__(self, api: ReferenceApi, channel: grpc.Channel) -> None:
        self.api = api
        self.channel = channel

    def call(self, path: str, **fields: Any) -> Any:
        return self.api.call(self.channel, path, self.api.request(path, **fields))

    def code_of(self, path: str, **fields: Any) -> tuple[grpc.StatusCode, str]:
        with pytest.raises(grpc.RpcError) as raised:
            self.call(path, **fields)
        error: Any = raised.value
        return error.code(), str(error.details())


@pytest.fixture
def client(reference_api: ReferenceApi, channel: grpc.Channel) -> Client:
    return Client(reference_api, channel)


def test_crud_and_stream_as_the_guide_uses_them(
    client: Client, node: NodeProcess, example_config: str
) -> None:
    stream = client.api.stream(
        client.channel, STREAM, client.api.request(STREAM, node_id=node.node_id), timeout=None
    )
    stream.initial_metadata()  # the guide waits for headers: from here no change is missed
    compact = json.dumps(json.loads(example_config))
    created = client.call(CREATE, node_id=node.node_id, name="UDP tunnel", json_config=compact)
    pipeline = created.pipeline
    assert pipeline.json_config == example_config
    assert (pipeline.default_logging_level, pipeline.instructions_timeout) == (2, 30)
    assert pipeline.performance_mode is True
    assert next(stream).create.pipeline == pipeline

    assert list(client.call(GET_ALL).pipelines) == [pipeline]
    assert client.call(GET_BY_ID, id=pipeline.id).pipeline == pipeline
    assert client.call(GET_BY_NAME, name="UDP tunnel").pipeline == pipeline

    updated = client.call(
        UPDATE, id=pipeline.id, name="renamed", json_config=compact, instructions_timeout=10
    ).pipeline
    assert (updated.name, updated.default_logging_level) == ("renamed", 0)
    assert next(stream).update.pipeline == updated

    client.call(DELETE, id=pipeline.id)
    assert next(stream).delete.pipeline == updated
    assert client.code_of(GET_BY_ID, id=pipeline.id)[0] == grpc.StatusCode.NOT_FOUND
    stream.cancel()


def test_error_codes(client: Client, example_config: str) -> None:
    broken = json.loads(example_config)
    broken["plumr_config"]["pipeline"]["traffic_sink-1"]["traffic_sink"]["mtu"] = "big"
    code, details = client.code_of(CREATE, name="x", json_config=json.dumps(broken))
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "component 'traffic_sink-1', key 'mtu'" in details
    code, details = client.code_of(CREATE, name="x", json_config=example_config, cpu_pin=100_000)
    assert code == grpc.StatusCode.INVALID_ARGUMENT
    assert "cpu_pin 100000 is not a CPU thread of this node" in details
    assert client.code_of(GET_BY_RUN, id="no-such-run")[0] == grpc.StatusCode.DEADLINE_EXCEEDED
    assert client.code_of(GET_BY_NAME, name="none")[0] == grpc.StatusCode.NOT_FOUND
    assert client.code_of(DELETE, id="none")[0] == grpc.StatusCode.NOT_FOUND
    assert client.code_of(START, id="none")[0] == grpc.StatusCode.NOT_FOUND
    assert list(client.call(GET_ALL).pipelines) == []


def test_incompatible_config_and_persistence_across_restart(
    data_dir: Path, reference_api: ReferenceApi, example_config: str
) -> None:
    newer = json.dumps(json.loads(example_config) | {"version": 99})
    with NodeProcess(data_dir=data_dir) as node, grpc.insecure_channel(node.grpc_address) as ch:
        client = Client(reference_api, ch)
        refused = client.code_of(CREATE, name="future", json_config=newer, cpu_pin=0)
        assert refused[0] == grpc.StatusCode.INVALID_ARGUMENT
        assert "declares version 99, newer than" in refused[1]
        created = client.call(CREATE, name="future", json_config=example_config, cpu_pin=0)
        kept = client.call(
            UPDATE, id=created.pipeline.id, name="future", json_config=newer, cpu_pin=0,
            instructions_timeout=30,
        ).pipeline  # fmt: skip
        assert kept.config_compatability == 1  # INCOMPATIBLE
    with NodeProcess(data_dir=data_dir) as node, grpc.insecure_channel(node.grpc_address) as ch:
        client = Client(reference_api, ch)
        assert client.call(GET_BY_ID, node_id=node.node_id, id=kept.id).pipeline == kept


def test_open_streams_end_cleanly_when_the_node_stops(client: Client, node: NodeProcess) -> None:
    stream = client.api.stream(client.channel, STREAM, client.api.request(STREAM), timeout=None)
    stream.initial_metadata()
    node.signal(signal.SIGTERM)
    assert list(stream) == []  # ended with OK, not cancelled or broken
    assert stream.code() == grpc.StatusCode.OK
    assert node.wait() == 0
