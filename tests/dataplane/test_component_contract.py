"""One contract every registered component must honour (in the spirit of a shared stream test).

Each component is built from its defaults plus the fewest parameters it needs, fed packets
on a fake timeline, and checked for: packet conservation, no output before its deadline,
sane deadlines, a complete metrics collection and a documented parameter catalogue.
"""

from typing import Any

import pytest

from nanoping.dataplane.component import Component, catalogue, component_types
from nanoping.dataplane.header import TrafficHeader
from nanoping.dataplane.packet import Packet
from nanoping.dataplane.parameter import ParamInfo, parse_params

FLOW = {"input": "[c|in:0]-[up|out:0]", "output": "[down|in:0]-[c|out:0]"}
MINIMAL_PARAMS: dict[str, dict[str, Any]] = {
    "delay_constant": {"flows": [FLOW], "jitter": 20, "seed": 1},
    "loss_dynamic": {
        "flows": [FLOW],
        "seed": 1,
        "phases": [{"duration": 30, "loss_probability": 20}],
    },
    "bandwidth_limit_dynamic": {"flows": [FLOW], "max_queue_size": 5},
    "timed_burst_loss": {"interval_ms": 10, "burst_packets": 3},
    "bandwidth_traffic_source": {"bandwidth_mbit": 2, "total_packets": 50},
    "bandwidth_limit_constant": {"flows": [FLOW], "max_queue_size": 5},
    "bandwidth_constrictor": {"bandwidth_limit_mbit": 0.5, "max_queue_size": 20},
    "bandwidth_constrictor_sequencer": {
        "steps": [
            {"duration": 50, "bandwidth_limit_mbit": 0.5},
            {"duration": 50, "bandwidth_limit_mbit": 2, "transition": 20},
        ],
        "max_queue_size": 30,
    },
    "loss_gilbert_elliott": {"flows": [FLOW], "p": 10, "r": 30, "seed": 1},
    "jitter": {"flows": [FLOW], "delay": 5, "spread": 3, "seed": 1},
    "boringssl_encrypt": {"key": "00" * 16},
    "boringssl_decrypt": {"key": "00" * 16},
    "rely_decoder": {"release_in_order": True},
    "raft": {
        "streams": [{**FLOW, "stream_handle": 1}],
        "carriers": [
            {
                "input": "[c|in:1]-[net|out:0]",
                "output": "[net|in:0]-[c|out:1]",
                "carrier_handle": 7,
            }
        ],
    },
    "ip_router": {"flows": [{**FLOW, "destination": "10.0.0.0/8"}]},
}
NAMES = sorted(component_types())
START = 100.0


def build(name: str) -> Component[Any]:
    cls = component_types()[name]
    params = parse_params(cls.params_type, MINIMAL_PARAMS.get(name, {}))
    return cls(component_id="c", params=params)


def packets(first: int, count: int, now: float) -> list[Packet]:
    return [
        Packet(TrafficHeader.pack(seq, now) + bytes(100), now)
        for seq in range(first, first + count)
    ]


def drain(component: Component[Any], kept: list[Packet] | None = None) -> int:
    batches = [buffer.take() for buffer in component.outputs]
    for batch in batches:
        if kept is not None:
            kept += batch
    return sum(map(len, batches))


def exercise(component: Component[Any], kept: list[Packet] | None = None) -> tuple[int, list[str]]:
    """Feed 200 packets over 200 ms of fake time, polling at deadlines; return (emitted, faults).
    Every packet emitted is appended to ``kept`` when given."""
    faults: list[str] = []
    emitted = 0
    component.start(START)
    now = START
    for step in range(200):
        now = START + step * 0.001
        emitted += _poll_due(component, now, faults, kept)
        if component.input_count:
            component.push(0, packets(step, 1, now), now)
            emitted += drain(component, kept)
    for _ in range(10_000):
        deadline = component.next_deadline()
        if deadline is None or deadline > now + 5.0:
            break
        now = max(now, deadline)
        emitted += _poll_due(component, now, faults, kept)
    return emitted, faults


def _poll_due(
    component: Component[Any], now: float, faults: list[str], kept: list[Packet] | None
) -> int:
    deadline = component.next_deadline()
    if deadline is not None and deadline > now:
        component.poll(now)
        if drain(component, kept):
            faults.append(f"emitted at {now} before its deadline {deadline}")
        return 0
    component.poll(now)
    after = component.next_deadline()
    if after is not None and deadline is not None and after < deadline:
        faults.append(f"deadline moved backwards from {deadline} to {after}")
    return drain(component, kept)


def test_every_registered_component_is_covered() -> None:
    expected = {
        "uniform_traffic_source",
        "traffic_sink",
        "udp_socket",
        "tun",
        "tap",
        "bandwidth_traffic_source",
        "bandwidth_tracker",
        "bandwidth_limit_constant",
        "bandwidth_constrictor",
        "bandwidth_constrictor_sequencer",
        "loss_gilbert_elliott",
        "jitter",
        "delay_constant",
        "loss_dynamic",
        "timed_burst_loss",
        "bandwidth_limit_dynamic",
        "ip_router",
        "latency_tracker_sender",
        "latency_tracker_receiver",
        "loss_tracker_sender",
        "loss_tracker_receiver",
        "throughput_tracker",
        "bomb",
        "rely_encoder",
        "rely_decoder",
        "rlnc_encoder",
        "rlnc_decoder",
        "reed_solomon_encoder",
        "reed_solomon_decoder",
        "parity_2d_encoder",
        "parity_2d_decoder",
        "boringssl_encrypt",
        "boringssl_decrypt",
        "raft",
        "log_chatter",
    }
    assert set(NAMES) == expected


@pytest.mark.parametrize("name", NAMES)
def test_accounts_for_every_packet(name: str) -> None:
    component = build(name)
    emitted, _ = exercise(component)
    assert component.packets_out == emitted
    balance = component.packets_in + component.packets_produced
    spent = component.packets_out + component.packets_consumed + component.packets_dropped
    assert balance == spent + component.pending()


@pytest.mark.parametrize("name", NAMES)
def test_hands_each_packet_object_on_once(name: str) -> None:
    # Components may rewrite the payload of the packets they are handed, in place (trackers,
    # encryption, FEC): safe only while no component passes one Packet object on twice or on
    # two ports, since an output port feeds exactly one input. A tee must copy (derive).
    emitted: list[Packet] = []
    exercise(build(name), emitted)
    assert len({id(packet) for packet in emitted}) == len(emitted)


@pytest.mark.parametrize("name", NAMES)
def test_never_emits_before_its_deadline_and_deadlines_move_forward(name: str) -> None:
    _, faults = exercise(build(name))
    assert faults == []


@pytest.mark.parametrize("name", NAMES)
def test_is_idle_after_draining(name: str) -> None:
    component = build(name)
    exercise(component)
    deadline = component.next_deadline()
    assert component.pending() == 0 or deadline is not None
    assert deadline is None or deadline >= START


@pytest.mark.parametrize("name", NAMES)
def test_metrics_collection(name: str) -> None:
    component = build(name)
    exercise(component)
    collection = component.metrics(START + 1)
    names = [metric.name for metric in collection.metrics]
    assert collection.path == "/components/c"
    assert len(names) == len(set(names))
    assert {"packets_in", "packets_out", "packets_dropped"} <= set(names)
    assert len(names) > 5
    for metric in collection.metrics:
        assert metric.description
        assert metric.unit
        assert not isinstance(metric.value, int | float) or metric.value == metric.value  # no NaN


@pytest.mark.parametrize("name", NAMES)
def test_parameters_are_documented(name: str) -> None:
    def check(infos: tuple[ParamInfo, ...]) -> None:
        for info in infos:
            assert info.doc.endswith("."), info.name
            assert info.type_name in {"integer", "number", "boolean", "string", "array", "object"}
            check(info.fields)

    check(catalogue()[name])


@pytest.mark.parametrize("name", NAMES)
def test_does_not_finish_while_holding_packets_someone_needs(name: str) -> None:
    component = build(name)
    component.start(START)
    if component.input_count:
        component.push(0, packets(0, 5, START), START)
    if component.pending():
        assert not component.finished(START, inputs_done=True, outputs_done=False)
