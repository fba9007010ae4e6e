"""The sans-IO run core on virtual time: completion, failure, back-pressure, telemetry."""

import json
from typing import Any

import pytest

from nanoping.dataplane import RunEnded, validate_config
from nanoping.dataplane.dataflow import Dataflow
from nanoping.dataplane.events import ComponentFailed, ComponentFinished, Event
from nanoping.dataplane.fakes import FakeClock, config_doc, run_virtual, wire

from .test_config import EXAMPLE


def test_documented_example_runs_to_completion_in_virtual_time() -> None:
    events: list[Event] = []
    flow = Dataflow(validate_config(json.loads(EXAMPLE)), on_event=events.append)
    clock = FakeClock(1_000.0)
    outcome = run_virtual(flow, clock)
    assert outcome == RunEnded(0, "all components finished")
    # 5,000 packets every 25 ms: the last leaves 4,999 x 25 ms after the start.
    assert clock.now() == pytest.approx(1_000.0 + 4_999 * 0.025)
    sink = flow.snapshot(clock.now()).collection("traffic_sink-1")
    assert sink.value("packets_received") == 5000
    assert sink.value("bytes_received") == 5000 * 1200
    assert sink.value("packets_lost") == 0
    finished = [e.component_id for e in events if isinstance(e, ComponentFinished)]
    assert finished == ["uniform_traffic_source-1", "traffic_sink-1"]
    assert events[-1] == outcome


def chain(
    *middle: tuple[str, str, dict[str, Any]], total: int = 1000, interval: float = 1.0
) -> dict[str, object]:
    """source → middle components (id, type, extra params, one flow or in/out) → sink."""
    ids = ["src", *(m[0] for m in middle), "sink"]
    links = [wire(ids[i + 1], 0, ids[i], 0) for i in range(len(ids) - 1)]
    pipeline: dict[str, dict[str, dict[str, object]]] = {
        "src": {
            "uniform_traffic_source": {
                "output": links[0],
                "total_packets": total,
                "interval": interval,
            }
        },
        "sink": {"traffic_sink": {"input": links[-1], "timeout_ms": 1000}},
    }
    for i, (cid, type_name, extra) in enumerate(middle):
        if type_name in {"delay_constant", "loss_dynamic", "bandwidth_limit_dynamic"}:
            ports: dict[str, object] = {"flows": [{"input": links[i], "output": links[i + 1]}]}
        else:
            ports = {"input": links[i], "output": links[i + 1]}
        pipeline[cid] = {type_name: {**ports, **extra}}
    return config_doc(pipeline)


def test_impaired_chain_reports_exact_loss_and_delay() -> None:
    doc = chain(
        ("lt", "loss_tracker_sender", {}),
        ("ls", "latency_tracker_sender", {}),
        ("d", "delay_constant", {"delay": 40}),
        ("l", "loss_dynamic", {"seed": 9, "phases": [{"duration": 1000, "loss_probability": 5}]}),
        ("lr", "latency_tracker_receiver", {}),
        ("lo", "loss_tracker_receiver", {}),
        ("tp", "throughput_tracker", {}),
    )
    flow = Dataflow(validate_config(doc))
    clock = FakeClock(50.0)
    assert run_virtual(flow, clock) == RunEnded(0, "all components finished")
    snap = flow.snapshot(clock.now())
    dropped = snap.collection("l").value("packets_dropped")
    assert snap.collection("lo").value("packets_lost") == dropped
    assert snap.collection("sink").value("packets_lost") == dropped
    assert snap.collection("sink").value("packets_received") == 1000 - int(dropped)
    assert round(float(snap.collection("lr").value("latency_avg_ms")), 3) == 40.0
    assert round(float(snap.collection("sink").value("latency_min_ms")), 3) == 40.0


def test_back_pressure_holds_the_source_instead_of_dropping(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flow = Dataflow(validate_config(chain(total=2000, interval=0)), link_capacity=64)
    source, sink = flow.components["src"], flow.components["sink"]
    gate = [False]
    monkeypatch.setattr(sink, "can_accept", lambda: gate[0])
    flow.start(0.0)
    for step in range(100):
        flow.step(step * 0.001)
    held = source.packets_out
    assert 64 <= held < 64 + 256  # one batch may overshoot the link's capacity
    assert flow.next_deadline() is None  # nothing to do until the consumer accepts again
    gate[0] = True
    step = 100
    while flow.step(step * 0.001) is None:
        step += 1
    assert flow.outcome == RunEnded(0, "all components finished")
    assert sink.packets_in == 2000
    assert sink.packets_dropped == source.packets_dropped == 0


def test_bomb_fails_the_run_after_its_delay() -> None:
    events: list[Event] = []
    flow = Dataflow(
        validate_config(config_doc({"b": {"bomb": {"delay": 250, "message": "boom"}}})),
        on_event=events.append,
    )
    clock = FakeClock(10.0)
    assert run_virtual(flow, clock) == RunEnded(1, "component 'b' failed: boom")
    assert clock.now() == 10.25
    assert ComponentFailed("b", "boom") in events


def test_component_exception_fails_the_run_naming_the_component(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    flow = Dataflow(validate_config(chain(("t", "throughput_tracker", {}))))

    def explode(*_: object) -> None:
        raise ValueError("bad packet")

    monkeypatch.setattr(flow.components["t"], "handle", explode)
    assert run_virtual(flow, FakeClock()) == RunEnded(
        1, "component 't' raised ValueError: bad packet"
    )


def test_unconnected_outputs_are_discarded_and_counted() -> None:
    doc = config_doc({"src": {"uniform_traffic_source": {"total_packets": 10}}})
    flow = Dataflow(validate_config(doc))
    clock = FakeClock()
    assert run_virtual(flow, clock) == RunEnded(0, "all components finished")
    kpis = {kpi.id: kpi.value for kpi in flow.snapshot(clock.now()).kpis}
    assert kpis["packets_discarded"] == 10
    assert kpis["components_finished"] == kpis["components_total"] == 1


def test_virtual_runner_refuses_io_components() -> None:
    flow = Dataflow(validate_config(config_doc({"u": {"udp_socket": {}}})))
    with pytest.raises(ValueError, match="I/O"):
        run_virtual(flow, FakeClock())
