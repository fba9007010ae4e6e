"""The ``raft`` pipeline component: its documented config, ports, telemetry, and two of them
back to back over a lossy in-memory path on a fake clock."""

from __future__ import annotations

import random
from typing import Any

import pytest

from nanoping.dataplane.component import Component, component_types
from nanoping.dataplane.config import validate_config
from nanoping.dataplane.errors import ConfigError, ParamError
from nanoping.dataplane.fakes import config_doc, wire
from nanoping.dataplane.packet import Packet
from nanoping.dataplane.parameter import parse_params

STREAM = {
    "input": wire("raft", 0, "app", 0),
    "output": wire("app", 0, "raft", 0),
    "stream_handle": 5,
    "realtime": {"timeout": 300, "delivery_policy": "on_ordered"},
}
CARRIERS = [
    {
        "input": wire("raft", 1, "net", 0),
        "output": wire("net", 0, "raft", 1),
        "carrier_handle": 77,
        "priority": 2,
    },
    {
        "input": wire("raft", 2, "net", 1),
        "output": wire("net", 1, "raft", 2),
        "carrier_handle": 78,
        "priority": 1,
    },
]


def build(params: dict[str, Any], component_id: str = "raft") -> Component[Any]:
    cls = component_types()["raft"]
    return cls(component_id=component_id, params=parse_params(cls.params_type, params))


def test_ports_follow_the_wiring_of_streams_and_carriers() -> None:
    raft = build({"streams": [STREAM], "carriers": CARRIERS})
    assert raft.input_count == 3
    assert len(raft.outputs) == 3


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"realtime": {"delivery_policy": "whenever"}}, "delivery_policy", "allowed: on_timeout"),
        ({"realtime": {"timeout": 0}}, "timeout", "must be >= 1"),
        ({"realtime": {}, "transit": {}}, "streams[0]", "either realtime or transit"),
        ({"realtime": {"timeout": 50, "jitter_buffer": 80}}, "streams", "jitter_buffer"),
        ({"stream_handle": 2**32}, "stream_handle", "must be <="),
        ({"realtime": {"extension": {"fixed_replication": {"x": 1}}}}, "x", "unknown parameter"),
    ],
)
def test_bad_stream_settings_are_refused_naming_the_key(
    change: dict[str, Any], key: str, words: str
) -> None:
    stream = {**STREAM, **change}
    with pytest.raises(ParamError) as caught:
        build({"streams": [stream], "carriers": CARRIERS})
    assert key in caught.value.key
    assert words in str(caught.value)


def test_duplicate_carrier_handles_are_refused() -> None:
    carriers = [CARRIERS[0], {**CARRIERS[1], "carrier_handle": 77}]
    with pytest.raises(ParamError, match="carrier_handle 77 is used twice"):
        build({"streams": [STREAM], "carriers": carriers})


def test_a_known_carrier_rate_sets_the_first_estimate_and_a_bad_one_is_refused() -> None:
    carriers = [{**CARRIERS[0], "initial_rate_kbps": 50_000}, CARRIERS[1]]
    raft = build({"streams": [STREAM], "carriers": carriers})
    rates = [c.initial_rate_bps for c in raft.params.settings().carriers]
    assert rates == [50e6, 10e6]
    with pytest.raises(ParamError) as caught:
        build({"streams": [STREAM], "carriers": [{**CARRIERS[0], "initial_rate_kbps": 10}]})
    assert "initial_rate_kbps" in caught.value.key
    assert "must be >= 64" in str(caught.value)


def test_a_pipeline_with_raft_validates_and_its_links_are_checked() -> None:
    udp: dict[str, object] = {
        "input": wire("udp", 0, "raft", 1),
        "output": wire("raft", 1, "udp", 0),
    }
    stream = {
        "input": wire("raft", 0, "src", 0),
        "output": wire("sink", 0, "raft", 0),
        "stream_handle": 1,
    }
    carrier = {
        "input": wire("raft", 1, "udp", 0),
        "output": wire("udp", 0, "raft", 1),
        "carrier_handle": 9,
    }
    doc = config_doc(
        {
            "src": {
                "uniform_traffic_source": {"output": wire("raft", 0, "src", 0), "total_packets": 5}
            },
            "raft": {"raft": {"streams": [stream], "carriers": [carrier]}},
            "udp": {"udp_socket": udp},
            "sink": {"traffic_sink": {"input": wire("sink", 0, "raft", 0)}},
        }
    )
    validate_config(doc)
    carrier["output"] = wire("udp", 0, "raft", 2)
    with pytest.raises(ConfigError, match="not listed in an input"):
        validate_config(doc)


def test_two_components_back_to_back_deliver_a_lossy_stream_and_report_telemetry() -> None:
    a, b = (
        build({"streams": [STREAM], "carriers": CARRIERS}, "a"),
        build({"streams": [STREAM], "carriers": CARRIERS}, "b"),
    )
    rng = random.Random(7)
    now = 0.0
    a.start(now)
    b.start(now)
    flight: list[tuple[float, Component[Any], int, bytes]] = []
    delivered: list[bytes] = []
    sent = 0
    while now < 4.0:
        if now >= 1.0 and sent < 2000:
            a.push(0, [Packet(b"pkt%05d" % sent + bytes(200), now)], now)
            sent += 1
        for here, there in ((a, b), (b, a)):
            for port in (1, 2):
                for packet in here.outputs[port].take():
                    if port == 2 or rng.random() >= 0.1:  # carrier 77 loses 10 %
                        flight.append((now + 0.02, there, port, packet.payload))
        delivered += [p.payload for p in b.outputs[0].take()]
        a.outputs[0].take()
        due = [f for f in flight if f[0] <= now]
        flight = [f for f in flight if f[0] > now]
        for _, there, port, payload in due:
            there.push(port, [Packet(payload, now)], now)
        for component in (a, b):
            component.poll(now)
        now += 0.001
    assert delivered == [b"pkt%05d" % i + bytes(200) for i in range(2000)]
    metrics = {m.name: m.value for m in b.metrics(now).metrics}
    assert metrics["stream_5_delivered"] == 2000
    assert metrics["stream_5_recovered_fec"] + metrics["stream_5_recovered_arq"] > 0
    sender = {m.name: m.value for m in a.metrics(now).metrics}
    assert sender["carrier_77_loss"] > 0.05
    assert sender["carrier_78_loss"] == 0.0
    assert sender["carrier_77_sent_datagrams"] > sender["carrier_78_sent_datagrams"]
    balance = a.packets_in + a.packets_produced
    assert balance == a.packets_out + a.packets_consumed + a.packets_dropped


def test_repairs_held_to_the_end_of_a_step_do_not_look_lost_to_the_sender() -> None:
    """Each engine step hands every carrier's batch over, then polls what is due: repairs
    the receiver decodes after the sources of the step must not show as gaps in a report."""
    carriers = [{**c, "priority": 0} for c in CARRIERS]
    a, b = (build({"streams": [STREAM], "carriers": carriers}, side) for side in "ab")
    now = 0.0
    a.start(now)
    b.start(now)

    def step(here: Component[Any], there: Component[Any]) -> None:
        for port in (1, 2):
            batch = [Packet(p.payload, now) for p in here.outputs[port].take()]
            if batch:
                there.push(port, batch, now)
        deadline = there.next_deadline()
        if deadline is not None and deadline <= now:  # as the engine's sweep does
            there.poll(now)

    for i in range(3000):
        now += 0.002
        if i >= 100:
            a.push(0, [Packet(b"%d" % (16 * i + k) + bytes(300), now) for k in range(16)], now)
        else:
            a.poll(now)
        step(a, b)
        step(b, a)
        b.outputs[0].take()
    sender = {m.name: m.value for m in a.metrics(now).metrics}
    receiver = {m.name: m.value for m in b.metrics(now).metrics}
    assert receiver["stream_5_delivered"] == 16 * 2900
    assert sender["stream_5_repairs_sent"] > 0
    assert sender["carrier_77_loss"] == sender["carrier_78_loss"] == 0.0
