"""The pipeline store: every setting persists, changes are whole, and each one is published."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from nanoping.errors import AlreadyExists, FailedPrecondition, InvalidArgument, NotFound
from nanoping.pipelines.events import (
    PipelineCreated,
    PipelineDeleted,
    PipelineEvent,
    PipelineUpdated,
)
from nanoping.pipelines.feed import PipelineFeed, Subscription
from nanoping.pipelines.json_config import ConfigCompatibility, JsonConfig
from nanoping.pipelines.record import PipelineRecord, RunRecord
from nanoping.pipelines.settings import (
    LogLevel,
    PipelineSettings,
    RestartMode,
    RestartPolicy,
    StartupPolicy,
)
from nanoping.pipelines.store import PipelineStore
from nanoping.storage.database import Database


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(database: Database, clock: Clock) -> PipelineStore:
    return PipelineStore(database, feed=PipelineFeed(), clock=clock)


@pytest.fixture
def events(store: PipelineStore) -> Iterator[Subscription]:
    with store.feed.subscribe() as subscription:
        yield subscription


def published(subscription: Subscription) -> list[PipelineEvent]:
    """Everything queued so far (reading never waits: only queued events are taken)."""

    async def take() -> list[PipelineEvent]:
        return [await anext(subscription) for _ in range(subscription.pending)]

    return asyncio.run(take())


@pytest.fixture
def settings(example_config: str) -> PipelineSettings:
    return PipelineSettings(name="UDP tunnel", config=JsonConfig.parse(example_config))


@pytest.fixture
def everything_set(example_config: str) -> PipelineSettings:
    """Settings with no field at its default."""
    return PipelineSettings(
        name="Relay client",
        config=JsonConfig.parse(example_config),
        restart_policy=RestartPolicy(RestartMode.ON_FAILURE, 7),
        startup_policy=StartupPolicy.AUTO,
        default_logging_level=LogLevel.FATAL,
        instructions_timeout=99,
        cpu_pin=0,
        performance_mode=False,
        node_reference_id="0b8e7a34-1111-4d2c-9c59-5fbd1e0c3a77",
    )


def test_every_setting_survives_reopening_the_database(
    database_path: Path, store: PipelineStore, everything_set: PipelineSettings, clock: Clock
) -> None:
    created = store.create(everything_set)
    reopened = Database.open(database_path)
    again = PipelineStore(reopened, feed=PipelineFeed(), clock=clock).get(created.id)
    reopened.close()
    assert again == created
    assert again == PipelineRecord(created.id, everything_set, False, None, 1)


def test_incompatible_verdict_is_stored(store: PipelineStore, example_config: str) -> None:
    newer = json.loads(example_config) | {"version": 14}
    config = JsonConfig.parse(json.dumps(newer))
    record = store.create(PipelineSettings(name="future", config=config))
    assert store.get(record.id).settings.config.compatibility is ConfigCompatibility.INCOMPATIBLE


def test_reads(store: PipelineStore, settings: PipelineSettings) -> None:
    first = store.create(settings)
    second = store.create(replace(settings, name="other"))
    third = store.create(settings)
    assert store.all() == [first, second, third]
    assert store.named("UDP tunnel") == [first, third]
    assert store.named("udp tunnel") == []
    assert store.find("nope") is None
    with pytest.raises(NotFound, match="no pipeline with id 'nope' on this node"):
        store.get("nope")


def test_update_replaces_settings_and_keeps_run_state(
    store: PipelineStore, settings: PipelineSettings, everything_set: PipelineSettings
) -> None:
    created = store.create(settings)
    store.record_run(created.id, "run-1")
    updated = store.update(created.id, lambda current: everything_set)
    assert updated == PipelineRecord(created.id, everything_set, True, "run-1", 3)
    assert store.get(created.id) == updated


def test_failed_change_writes_nothing(
    store: PipelineStore, settings: PipelineSettings, events: Subscription
) -> None:
    created = store.create(settings)

    def refuse(current: PipelineRecord) -> PipelineSettings:
        raise InvalidArgument("no")

    with pytest.raises(InvalidArgument):
        store.update(created.id, refuse)
    with pytest.raises(NotFound):
        store.update("missing", lambda current: settings)
    assert store.get(created.id) == created
    assert published(events) == [PipelineCreated(created)]


def test_last_writer_wins_whole_and_both_writes_are_reported(
    store: PipelineStore, settings: PipelineSettings, events: Subscription
) -> None:
    created = store.create(settings)
    first = store.update(created.id, lambda current: replace(current.settings, name="a", cpu_pin=1))
    second = store.update(created.id, lambda current: replace(settings, name="b"))
    assert store.get(created.id) == second
    assert second.settings.cpu_pin is None  # nothing of the first write leaks into the second
    assert [event.pipeline.revision for event in published(events)] == [1, 2, 3]
    assert first.revision == 2


def test_delete_returns_the_pipeline_and_forgets_its_runs(
    store: PipelineStore, settings: PipelineSettings, events: Subscription
) -> None:
    created = store.create(settings)
    running = store.record_run(created.id, "run-1")
    assert store.delete(created.id) == running
    assert store.find(created.id) is None
    assert store.by_run("run-1") is None
    assert store.run("run-1") is None
    with pytest.raises(NotFound):
        store.delete(created.id)
    assert published(events)[-1] == PipelineDeleted(running)


def test_runs_mark_the_pipeline_started_and_stay_findable(
    store: PipelineStore, settings: PipelineSettings, clock: Clock
) -> None:
    created = store.create(settings)
    clock.now = 2000.0
    started = store.record_run(created.id, "run-1")
    assert (started.started, started.current_run) == (True, "run-1")
    assert store.by_run("run-1") == started
    clock.now = 2010.0
    stopped = store.finish_run("run-1", exit_code=3)
    assert stopped is not None
    assert (stopped.started, stopped.current_run) == (False, None)
    assert store.by_run("run-1") == stopped  # an ended run still names its pipeline
    assert store.runs(created.id) == [RunRecord("run-1", created.id, 2000.0, 2010.0, 3)]


def test_restart_keeps_the_pipeline_started_between_runs(
    store: PipelineStore, settings: PipelineSettings
) -> None:
    created = store.create(settings)
    store.record_run(created.id, "run-1")
    waiting = store.finish_run("run-1", exit_code=1, keep_started=True)
    assert waiting is not None
    assert (waiting.started, waiting.current_run) == (True, None)
    again = store.record_run(created.id, "run-2")
    assert (again.started, again.current_run) == (True, "run-2")
    assert [run.id for run in store.runs(created.id)] == ["run-1", "run-2"]
    given_up = store.mark_stopped(created.id)
    assert (given_up.started, given_up.current_run) == (False, None)
    assert store.mark_stopped(created.id) == given_up  # already stopped: no change


def test_run_bookkeeping_refusals(
    store: PipelineStore, settings: PipelineSettings, example_config: str
) -> None:
    created = store.create(settings)
    store.record_run(created.id, "run-1")
    with pytest.raises(FailedPrecondition, match="already running as run run-1"):
        store.record_run(created.id, "run-2")
    store.finish_run("run-1", exit_code=0)
    with pytest.raises(AlreadyExists, match="run id run-1 is already recorded"):
        store.record_run(created.id, "run-1")
    with pytest.raises(NotFound):
        store.record_run("missing", "run-3")
    assert store.finish_run("run-1", exit_code=0) is None  # already finished
    assert store.finish_run("never-started", exit_code=0) is None
    assert store.get(created.id).current_run is None


def test_an_incompatible_pipeline_cannot_get_a_run(
    store: PipelineStore, example_config: str
) -> None:
    newer = JsonConfig.parse(json.dumps(json.loads(example_config) | {"version": 20}))
    record = store.create(PipelineSettings(name="future", config=newer))
    with pytest.raises(FailedPrecondition, match="declares version 20, newer than the version 13"):
        record.require_compatible()
    with pytest.raises(FailedPrecondition, match="cannot run on this node"):
        store.record_run(record.id, "run-1")
    assert store.get(record.id) == record
    assert store.runs(record.id) == []


def test_reset_runs_stops_everything_left_started(
    store: PipelineStore, settings: PipelineSettings, clock: Clock
) -> None:
    idle = store.create(settings)
    busy = store.create(settings)
    store.record_run(busy.id, "run-1")
    clock.now = 5000.0
    (reset,) = store.reset_runs()
    assert (reset.id, reset.started, reset.current_run) == (busy.id, False, None)
    assert store.get(idle.id) == idle
    (run,) = store.runs(busy.id)
    assert (run.ended_at, run.exit_code) == (5000.0, None)
    assert store.reset_runs() == []


def test_every_change_is_published_in_commit_order(
    store: PipelineStore, settings: PipelineSettings, events: Subscription
) -> None:
    created = store.create(settings)
    updated = store.update(created.id, lambda current: replace(settings, name="x"))
    running = store.record_run(created.id, "run-1")
    ended = store.finish_run("run-1", exit_code=0)
    nudged = store.publish_update(created.id)
    deleted = store.delete(created.id)
    assert ended is not None
    assert published(events) == [
        PipelineCreated(created),
        PipelineUpdated(updated),
        PipelineUpdated(running),
        PipelineUpdated(ended),
        PipelineUpdated(nudged),
        PipelineDeleted(deleted),
    ]
