"""Child process for the crash test: writes pipelines through the store until it is killed.

Usage: ``python crash_writer.py DATABASE CONFIG_JSON SEED``. Before each change it prints
``begin <op> <pipeline id or -> <generation>`` and after the commit ``ok <op> <id> <generation>``,
so the parent knows which changes were committed and which one was in flight when it struck.
Every pipeline's settings are a pure function of its generation (:func:`settings_for`), so a
reader can tell a whole row from a mixed one.
"""

from __future__ import annotations

import json
import random
import sys
import uuid
from pathlib import Path
from typing import Any

from nanoping.pipelines.feed import PipelineFeed
from nanoping.pipelines.json_config import JsonConfig
from nanoping.pipelines.record import PipelineRecord
from nanoping.pipelines.settings import (
    LogLevel,
    PipelineSettings,
    RestartMode,
    RestartPolicy,
    StartupPolicy,
)
from nanoping.pipelines.store import PipelineStore
from nanoping.storage.database import Database

SOURCE = ("uniform_traffic_source-1", "uniform_traffic_source")


def settings_for(template: dict[str, Any], generation: int) -> PipelineSettings:
    """The settings a pipeline of this generation has; every field depends on it."""
    document = json.loads(json.dumps(template))
    instance, type_name = SOURCE
    document["plumr_config"]["pipeline"][instance][type_name]["total_packets"] = generation
    return PipelineSettings(
        name=f"gen-{generation}",
        config=JsonConfig.parse(json.dumps(document)),
        restart_policy=RestartPolicy(RestartMode.ALWAYS, generation % 1000),
        startup_policy=StartupPolicy.AUTO if generation % 2 else StartupPolicy.MANUAL,
        default_logging_level=LogLevel(generation % 6),
        instructions_timeout=generation % 1000 + 1,
        cpu_pin=generation % 2,
        performance_mode=bool(generation % 2),
        node_reference_id=str(generation),
    )


def generation_of(name: str) -> int:
    """Inverse of the name given by :func:`settings_for`."""
    return int(name.removeprefix("gen-"))


def main(database_path: str, config_path: str, seed: int) -> None:
    store = PipelineStore(Database.open(Path(database_path)), feed=PipelineFeed())
    template = json.loads(Path(config_path).read_text())
    rng = random.Random(seed)
    generation = seed * 1_000_000
    # Kept in memory so that nearly all the time goes into writes, where the kill should land.
    records = {record.id: record for record in store.all()}
    while True:
        generation += 1
        op = rng.choice(["create", "create", "update", "update", "delete", "run"])
        if len(records) < 3 or op == "create":
            print(f"begin create - {generation}", flush=True)
            record = store.create(settings_for(template, generation))
            print(f"ok create {record.id} {generation}", flush=True)
            records[record.id] = record
            continue
        target = records[rng.choice(list(records))]
        print(f"begin {op} {target.id} {generation}", flush=True)
        changed = change(store, target, op, settings_for(template, generation), rng)
        print(f"ok {op} {target.id} {generation}", flush=True)
        if op == "delete":
            del records[target.id]
        elif changed is not None:
            records[target.id] = changed


def change(
    store: PipelineStore,
    target: PipelineRecord,
    op: str,
    settings: PipelineSettings,
    rng: random.Random,
) -> PipelineRecord | None:
    """One committed change of an existing pipeline; returns it as changed."""
    if op == "update":
        return store.update(target.id, lambda current: settings)
    if op == "delete":
        return store.delete(target.id)
    if target.current_run is None:
        return store.record_run(target.id, str(uuid.uuid4()))
    return store.finish_run(target.current_run, exit_code=rng.choice([0, 1]))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
