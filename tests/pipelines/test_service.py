"""PipelinesService called directly: defaults, replace semantics, every error code, the stream."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable

import pytest

from nanoping.api import logging_pb2
from nanoping.api import pipelines_pb2 as api
from nanoping.errors import (
    DeadlineExceeded,
    InvalidArgument,
    NanoPingError,
    NotFound,
    ResourceExhausted,
)
from nanoping.pipelines.feed import PipelineFeed
from nanoping.service.method_table import MethodTable
from nanoping.service.pipelines import SERVICE_NAME, PipelinesService
from nanoping.storage.database import Database

OTHER_NODE = "d1f5a7c2-0000-4000-8000-000000000000"
RELATED_NODE = "0b8e7a34-1111-4d2c-9c59-5fbd1e0c3a77"


def compact(config: str) -> str:
    return json.dumps(json.loads(config), separators=(",", ":"))


def with_version(config: str, version: int) -> str:
    return json.dumps(json.loads(config) | {"version": version})


def full_create(config: str) -> api.CreatePipelineRequest:
    """A create request with every setting away from its default."""
    return api.CreatePipelineRequest(
        name="Relay client",
        json_config=config,
        restart_policy=api.RestartPolicy(on_failure=api.RestartPolicyOnFailure(max_restarts=7)),
        startup_policy=api.StartupPolicy(auto=api.StartupPolicyAuto()),
        default_logging_level="FATAL",
        node_reference_id=RELATED_NODE,
        instructions_timeout=99,
        cpu_pin=3,
        performance_mode=False,
    )


async def create(service: PipelinesService, config: str, name: str = "UDP tunnel") -> api.Pipeline:
    request = api.CreatePipelineRequest(name=name, json_config=config)
    return (await service.create_pipeline(request)).pipeline


async def listed(service: PipelinesService) -> list[api.Pipeline]:
    return list((await service.get_pipelines(api.GetPipelinesRequest())).pipelines)


# ---- create -------------------------------------------------------------------------------------


async def test_create_applies_every_default(service: PipelinesService, example_config: str) -> None:
    pipeline = await create(service, compact(example_config))
    assert uuid.UUID(pipeline.id).version == 4
    assert pipeline.name == "UDP tunnel"
    assert pipeline.json_config == example_config  # pretty-printed, indent 2
    assert pipeline.started is False
    assert not pipeline.HasField("current_run")
    assert pipeline.config_compatability == api.COMPATIBLE
    assert pipeline.restart_policy.WhichOneof("restart_policy") == "never"
    assert pipeline.startup_policy.WhichOneof("startup_policy") == "manual"
    assert pipeline.default_logging_level == logging_pb2.INFO
    assert pipeline.instructions_timeout == 30
    assert not pipeline.HasField("cpu_pin")
    assert pipeline.performance_mode is True
    assert not pipeline.HasField("node_reference_id")
    assert await listed(service) == [pipeline]


async def test_create_keeps_every_setting(service: PipelinesService, example_config: str) -> None:
    pipeline = (await service.create_pipeline(full_create(example_config))).pipeline
    assert pipeline.restart_policy.on_failure.max_restarts == 7
    assert pipeline.startup_policy.WhichOneof("startup_policy") == "auto"
    assert pipeline.default_logging_level == logging_pb2.FATAL
    assert pipeline.node_reference_id == RELATED_NODE
    assert pipeline.instructions_timeout == 99
    assert (pipeline.HasField("cpu_pin"), pipeline.cpu_pin) == (True, 3)
    assert pipeline.performance_mode is False
    fetched = await service.get_pipeline_by_id(api.GetPipelineByIdRequest(id=pipeline.id))
    assert fetched.pipeline == pipeline


async def test_explicit_zero_values_are_kept_on_create(
    service: PipelinesService, example_config: str
) -> None:
    request = api.CreatePipelineRequest(
        name="p",
        json_config=example_config,
        restart_policy=api.RestartPolicy(always=api.RestartPolicyAlways(max_restarts=0)),
        default_logging_level="STATE",
        cpu_pin=0,
    )
    pipeline = (await service.create_pipeline(request)).pipeline
    assert pipeline.restart_policy.WhichOneof("restart_policy") == "always"
    assert pipeline.default_logging_level == logging_pb2.STATE
    assert (pipeline.HasField("cpu_pin"), pipeline.cpu_pin) == (True, 0)


async def test_a_config_for_a_newer_version_is_refused_at_create(
    service: PipelinesService, example_config: str
) -> None:
    with pytest.raises(InvalidArgument, match="declares version 14, newer than the version 13"):
        await create(service, with_version(example_config, 14))
    assert service.store.all() == []


async def test_an_update_to_a_newer_version_is_stored_as_incompatible(
    service: PipelinesService, example_config: str
) -> None:
    created = await create(service, example_config)
    request = api.UpdatePipelineRequest(
        id=created.id,
        name="p",
        json_config=with_version(example_config, 14),
        instructions_timeout=30,
    )
    pipeline = (await service.update_pipeline(request)).pipeline
    assert pipeline.config_compatability == api.INCOMPATIBLE
    stored = await service.get_pipeline_by_id(api.GetPipelineByIdRequest(id=pipeline.id))
    assert stored.pipeline.config_compatability == api.INCOMPATIBLE
    record = service.store.get(pipeline.id)
    with pytest.raises(NanoPingError, match="newer than the version 13") as raised:
        record.require_compatible()
    assert raised.value.code.name == "FAILED_PRECONDITION"


def broken(config: str) -> str:
    document = json.loads(config)
    sink = document["plumr_config"]["pipeline"]["traffic_sink-1"]["traffic_sink"]
    sink["mtu"] = "large"
    return json.dumps(document)


INVALID_CREATES: list[tuple[dict[str, object], str]] = [
    ({"json_config": '{"version": 13'}, "not valid JSON at line 1, column 15 (character 14)"),
    ({"json_config": "BROKEN"}, "component 'traffic_sink-1', key 'mtu': expected an integer"),
    ({"instructions_timeout": 0}, "instructions_timeout must be a positive number of seconds"),
    ({"instructions_timeout": -1}, "instructions_timeout must be a positive number of seconds"),
    ({"cpu_pin": 4}, "cpu_pin 4 is not a CPU thread of this node: it has 4 thread(s)"),
    ({"default_logging_level": 9}, "default_logging_level 9 is not a log level"),
    (
        {"restart_policy": api.RestartPolicy(always=api.RestartPolicyAlways(max_restarts=-2))},
        "restart_policy.always.max_restarts must be 0 (unlimited) or a positive count, got -2",
    ),
]


@pytest.mark.parametrize(("fields", "message"), INVALID_CREATES)
async def test_invalid_create_is_refused_and_stores_nothing(
    service: PipelinesService, example_config: str, fields: dict[str, object], message: str
) -> None:
    existing = await create(service, example_config)
    stream = service.stream_pipelines(api.StreamPipelinesRequest())
    values: dict[str, object] = {"name": "bad", "json_config": example_config, **fields}
    if values["json_config"] == "BROKEN":
        values["json_config"] = broken(example_config)
    with pytest.raises(InvalidArgument) as raised:
        await service.create_pipeline(api.CreatePipelineRequest(**values))  # type: ignore[arg-type]
    assert message in raised.value.message
    assert await listed(service) == [existing]
    service.close()
    assert [event async for event in stream] == []


# ---- reads --------------------------------------------------------------------------------------


async def test_node_id_may_be_empty_or_this_node(
    service: PipelinesService, example_config: str, node_id: str
) -> None:
    pipeline = await create(service, example_config)
    mine = await service.get_pipelines(api.GetPipelinesRequest(node_id=node_id))
    assert list(mine.pipelines) == [pipeline]
    with pytest.raises(NotFound, match=f"node {OTHER_NODE} is unknown"):
        await service.get_pipelines(api.GetPipelinesRequest(node_id=OTHER_NODE))
    with pytest.raises(NotFound):
        await service.create_pipeline(
            api.CreatePipelineRequest(node_id=OTHER_NODE, json_config=example_config)
        )
    with pytest.raises(NotFound):
        service.stream_pipelines(api.StreamPipelinesRequest(node_id=OTHER_NODE))


async def test_get_by_id_of_unknown_pipeline_is_not_found(service: PipelinesService) -> None:
    with pytest.raises(NotFound, match="no pipeline with id 'missing'"):
        await service.get_pipeline_by_id(api.GetPipelineByIdRequest(id="missing"))


async def test_get_by_name_needs_exactly_one_match(
    service: PipelinesService, example_config: str
) -> None:
    only = await create(service, example_config, name="only")
    first = await create(service, example_config, name="twice")
    second = await create(service, example_config, name="twice")
    got = await service.get_pipeline_by_name(api.GetPipelineByNameRequest(name="only"))
    assert got.pipeline == only
    with pytest.raises(NotFound, match="no pipeline named 'none' on this node"):
        await service.get_pipeline_by_name(api.GetPipelineByNameRequest(name="none"))
    with pytest.raises(NotFound, match="'twice' is ambiguous: 2 pipelines have it") as raised:
        await service.get_pipeline_by_name(api.GetPipelineByNameRequest(name="twice"))
    assert first.id in raised.value.message
    assert second.id in raised.value.message


async def test_get_by_run_id(service: PipelinesService, example_config: str) -> None:
    pipeline = await create(service, example_config)
    with pytest.raises(DeadlineExceeded, match="run 'run-1' is unknown on this node"):
        await service.get_pipeline_by_run_id(api.GetPipelineByRunIdRequest(id="run-1"))
    service.store.record_run(pipeline.id, "run-1")
    got = await service.get_pipeline_by_run_id(api.GetPipelineByRunIdRequest(id="run-1"))
    assert (got.pipeline.id, got.pipeline.started, got.pipeline.current_run) == (
        pipeline.id,
        True,
        "run-1",
    )


async def test_pipelines_persist_across_a_restart(
    make_service: Callable[[], PipelinesService], example_config: str
) -> None:
    before = await create(make_service(), example_config)
    assert await listed(make_service()) == [before]


# ---- update -------------------------------------------------------------------------------------


async def test_update_replaces_every_setting_with_update_defaults(
    service: PipelinesService, example_config: str
) -> None:
    original = (await service.create_pipeline(full_create(example_config))).pipeline
    request = api.UpdatePipelineRequest(
        id=original.id, name="renamed", json_config=compact(example_config), instructions_timeout=5
    )
    updated = (await service.update_pipeline(request)).pipeline
    assert updated.id == original.id
    assert updated.name == "renamed"
    assert updated.json_config == example_config
    assert updated.restart_policy.WhichOneof("restart_policy") == "never"
    assert updated.startup_policy.WhichOneof("startup_policy") == "manual"
    assert updated.default_logging_level == logging_pb2.STATE  # not create's INFO
    assert updated.instructions_timeout == 5
    assert not updated.HasField("cpu_pin")  # unset clears the pin
    assert updated.performance_mode is True
    assert updated.node_reference_id == RELATED_NODE  # unset keeps it
    stored = await service.get_pipeline_by_id(api.GetPipelineByIdRequest(id=original.id))
    assert stored.pipeline == updated


async def test_update_sets_what_it_is_given(service: PipelinesService, example_config: str) -> None:
    original = await create(service, example_config)
    request = api.UpdatePipelineRequest(
        id=original.id,
        name="n",
        json_config=example_config,
        restart_policy=api.RestartPolicy(always=api.RestartPolicyAlways(max_restarts=2)),
        startup_policy=api.StartupPolicy(auto=api.StartupPolicyAuto()),
        default_logging_level="WARNING",
        instructions_timeout=1,
        cpu_pin=2,
        performance_mode=False,
        node_reference_id="",
        force_restart=True,
    )
    updated = (await service.update_pipeline(request)).pipeline
    assert updated.restart_policy.always.max_restarts == 2
    assert updated.startup_policy.WhichOneof("startup_policy") == "auto"
    assert updated.default_logging_level == logging_pb2.WARNING
    assert (updated.cpu_pin, updated.performance_mode) == (2, False)
    assert (updated.HasField("node_reference_id"), updated.node_reference_id) == (True, "")


async def test_update_can_make_a_pipeline_incompatible_and_back(
    service: PipelinesService, example_config: str
) -> None:
    pipeline = await create(service, example_config)

    async def update(config: str) -> api.Pipeline:
        request = api.UpdatePipelineRequest(
            id=pipeline.id, name="p", json_config=config, instructions_timeout=30
        )
        return (await service.update_pipeline(request)).pipeline

    assert (await update(with_version(example_config, 15))).config_compatability == (
        api.INCOMPATIBLE
    )
    assert (await update(example_config)).config_compatability == api.COMPATIBLE


INVALID_UPDATES: list[tuple[dict[str, object], str]] = [
    ({"json_config": "{"}, "not valid JSON at line 1, column 2 (character 1)"),
    ({"json_config": "BROKEN"}, "component 'traffic_sink-1', key 'mtu'"),
    ({"instructions_timeout": 0}, "instructions_timeout must be a positive number of seconds"),
    ({"cpu_pin": 99}, "cpu_pin 99 is not a CPU thread of this node"),
    ({"default_logging_level": 6}, "default_logging_level 6 is not a log level"),
]


@pytest.mark.parametrize(("fields", "message"), INVALID_UPDATES)
async def test_invalid_update_leaves_the_pipeline_intact(
    service: PipelinesService, example_config: str, fields: dict[str, object], message: str
) -> None:
    original = (await service.create_pipeline(full_create(example_config))).pipeline
    stream = service.stream_pipelines(api.StreamPipelinesRequest())
    values: dict[str, object] = {
        "id": original.id,
        "name": "changed",
        "json_config": example_config,
        "instructions_timeout": 10,
        **fields,
    }
    if values["json_config"] == "BROKEN":
        values["json_config"] = broken(example_config)
    with pytest.raises(InvalidArgument) as raised:
        await service.update_pipeline(api.UpdatePipelineRequest(**values))  # type: ignore[arg-type]
    assert message in raised.value.message
    assert await listed(service) == [original]
    service.close()
    assert [event async for event in stream] == []


async def test_update_of_unknown_pipeline_is_not_found(
    service: PipelinesService, example_config: str
) -> None:
    request = api.UpdatePipelineRequest(
        id="missing", name="x", json_config=example_config, instructions_timeout=30
    )
    with pytest.raises(NotFound, match="no pipeline with id 'missing'"):
        await service.update_pipeline(request)


# ---- delete -------------------------------------------------------------------------------------


async def test_delete(service: PipelinesService, example_config: str) -> None:
    pipeline = await create(service, example_config)
    reply = await service.delete_pipeline(api.DeletePipelineRequest(id=pipeline.id))
    assert reply == api.DeletePipelineResponse()
    assert await listed(service) == []
    with pytest.raises(NotFound):
        await service.delete_pipeline(api.DeletePipelineRequest(id=pipeline.id))
    with pytest.raises(NotFound):
        await service.get_pipeline_by_id(api.GetPipelineByIdRequest(id=pipeline.id))


# ---- stream -------------------------------------------------------------------------------------


async def test_stream_reports_each_change_in_order_to_every_stream(
    service: PipelinesService, example_config: str
) -> None:
    # Streams subscribe when called, before they are first read (when headers go out).
    streams = [service.stream_pipelines(api.StreamPipelinesRequest()) for _ in range(2)]
    created = await create(service, example_config)
    update = api.UpdatePipelineRequest(
        id=created.id, name="renamed", json_config=example_config, instructions_timeout=30
    )
    updated = (await service.update_pipeline(update)).pipeline
    running = service.store.record_run(created.id, "run-1")
    service.store.finish_run("run-1", exit_code=0)
    await service.delete_pipeline(api.DeletePipelineRequest(id=created.id))
    service.close()
    for stream in streams:
        events = [event async for event in stream]
        assert [event.WhichOneof("event") for event in events] == [
            "create",
            "update",
            "update",
            "update",
            "delete",
        ]
        assert events[0].create.pipeline == created
        assert events[1].update.pipeline == updated
        assert (events[2].update.pipeline.started, events[2].update.pipeline.current_run) == (
            running.started,
            "run-1",
        )
        assert events[3].update.pipeline.started is False
        assert events[4].delete.pipeline.name == "renamed"  # as it was before deletion


async def test_stream_sends_nothing_on_open(service: PipelinesService, example_config: str) -> None:
    await create(service, example_config)
    stream = service.stream_pipelines(api.StreamPipelinesRequest())
    reader = asyncio.ensure_future(anext(stream))
    for _ in range(3):
        await asyncio.sleep(0)  # let the reader run until it waits
    assert not reader.done()
    await create(service, example_config, name="later")
    event = await asyncio.wait_for(reader, timeout=5)
    assert event.create.pipeline.name == "later"  # the first message is the first change
    await stream.aclose()  # type: ignore[attr-defined]
    assert service.store.feed.subscriber_count == 0


async def test_a_stream_that_falls_behind_ends_with_resource_exhausted(
    database: Database, node_id: str, example_config: str
) -> None:
    service = PipelinesService(
        database=database, node_id=node_id, cpu_threads=4, feed=PipelineFeed(backlog=3)
    )
    stream = service.stream_pipelines(api.StreamPipelinesRequest())
    for _ in range(4):
        await create(service, example_config)
    with pytest.raises(ResourceExhausted, match="fell 3 events behind"):
        await anext(stream)


# ---- binding ------------------------------------------------------------------------------------


def test_method_table_binds_every_method(service: PipelinesService) -> None:
    table = MethodTable.build({SERVICE_NAME: service})
    implemented = {m.name for m in table if m.service == SERVICE_NAME and m.implemented}
    assert implemented == {
        "getPipelines",
        "getPipelineById",
        "getPipelineByName",
        "getPipelineByRunId",
        "createPipeline",
        "updatePipeline",
        "deletePipeline",
        "startPipeline",
        "stopPipeline",
        "streamPipelines",
        "openLogStream",
        "openTelemetryStream",
    }
