"""The asyncio engine on a real uvloop loop: completion, stop, failure, telemetry."""

import asyncio
import json
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

import uvloop

from nanoping.dataplane import (
    Engine,
    RunEnded,
    TelemetrySnapshot,
    run,
    run_on_uvloop,
    validate_config,
)
from nanoping.dataplane.engine import TelemetrySink
from nanoping.dataplane.fakes import config_doc, wire

from .test_config import EXAMPLE

T = TypeVar("T")
LINK = wire("sink", 0, "src", 0)


def on_uvloop(coro: Coroutine[Any, Any, T]) -> T:
    return uvloop.run(coro)


def signal_when(
    event: asyncio.Event, component_id: str, metric: str, at_least: int
) -> TelemetrySink:
    """Telemetry callback that sets ``event`` once a component's metric reaches ``at_least``."""

    def check(sample: TelemetrySnapshot) -> None:
        if int(sample.collection(component_id).value(metric)) >= at_least:
            event.set()

    return check


def source_to_sink_pipeline(total: int, interval: float) -> dict[str, dict[str, dict[str, object]]]:
    params = {"output": LINK, "total_packets": total, "interval": interval}
    return {
        "src": {"uniform_traffic_source": params},
        "sink": {"traffic_sink": {"input": LINK}},
    }


def source_to_sink(total: int, interval: float) -> dict[str, object]:
    return config_doc(source_to_sink_pipeline(total, interval))


def test_source_to_sink_completes_on_a_real_loop() -> None:
    async def scenario() -> tuple[RunEnded, TelemetrySnapshot]:
        async with (
            Engine(validate_config(source_to_sink(5000, 0.02))) as engine,
            asyncio.timeout(10),
        ):
            outcome = await engine.wait()
        return outcome, engine.snapshot()

    started = time.monotonic()
    outcome, snapshot = on_uvloop(scenario())
    assert outcome == RunEnded(0, "all components finished")
    assert snapshot.collection("sink").value("packets_received") == 5000
    assert time.monotonic() - started < 5


def test_documented_example_shortened_runs_for_real() -> None:
    doc = json.loads(EXAMPLE)
    doc["plumr_config"]["pipeline"]["uniform_traffic_source-1"]["uniform_traffic_source"][
        "interval"
    ] = 0.01
    assert run_on_uvloop(validate_config(doc)) == RunEnded(0, "all components finished")


def test_stop_ends_an_endless_run_with_exit_code_zero() -> None:
    async def scenario() -> tuple[RunEnded, int]:
        reached = asyncio.Event()
        check = signal_when(reached, "sink", "packets_in", 50)
        graph = validate_config(source_to_sink(0, 0.1))
        async with Engine(graph, on_telemetry=check, telemetry_interval=0.005) as engine:
            sink = engine.component("sink")
            async with asyncio.timeout(5):
                await reached.wait()
            engine.stop()
            outcome = await engine.wait()
        return outcome, sink.packets_in

    outcome, received = on_uvloop(scenario())
    assert outcome == RunEnded(0, "stop requested")
    assert received >= 50


def test_stop_event_and_periodic_telemetry() -> None:
    samples: list[TelemetrySnapshot] = []

    async def scenario() -> RunEnded:
        stop = asyncio.Event()

        def collect(sample: TelemetrySnapshot) -> None:
            samples.append(sample)
            if len(samples) == 3:
                stop.set()

        async with asyncio.timeout(5):
            return await run(
                validate_config(source_to_sink(0, 1.0)),
                stop_event=stop,
                on_telemetry=collect,
                telemetry_interval=0.02,
            )

    assert on_uvloop(scenario()) == RunEnded(0, "stop requested")
    assert len(samples) == 3
    assert [s.timestamp for s in samples] == sorted(s.timestamp for s in samples)
    assert {c.path for c in samples[-1].collections} == {"/components/src", "/components/sink"}
    assert {k.id for k in samples[-1].kpis} >= {"elapsed_seconds", "components_finished"}


def test_bomb_fails_the_run_with_a_non_zero_exit_code() -> None:
    doc = config_doc({"b": {"bomb": {"delay": 30}}, **source_to_sink_pipeline(0, 1.0)})
    started = time.monotonic()
    outcome = run_on_uvloop(validate_config(doc))
    assert outcome == RunEnded(1, "component 'b' failed: bomb exploded")
    assert 0.025 <= time.monotonic() - started < 2
