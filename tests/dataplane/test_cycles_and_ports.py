"""Declared ports, packet metadata, and graphs with cycles (feedback links) on virtual time."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from nanoping.dataplane import ConfigError, RunEnded, validate_config
from nanoping.dataplane.component import _REGISTRY, Component, linked_ports, register
from nanoping.dataplane.dataflow import Dataflow
from nanoping.dataplane.datagram_io import DatagramComponent
from nanoping.dataplane.fakes import FakeClock, config_doc, run_virtual, wire
from nanoping.dataplane.packet import Batch, Packet, PacketMeta
from nanoping.dataplane.parameter import Flow, param
from nanoping.dataplane.ports import PortGroup, Ports


@dataclass(frozen=True)
class _TransportParams:
    streams: tuple[Flow, ...] = param(doc="Streams.", minimum=1)
    carriers: tuple[Flow, ...] = param(doc="Carriers.", minimum=1)


class _Transport(Component[_TransportParams]):
    """Stream packets go out on carrier 0 labelled; carrier packets come back to their stream."""

    params_type = _TransportParams

    @classmethod
    def declare_ports(cls, params: Any) -> Ports:
        counts = {"streams": len(params.streams), "carriers": len(params.carriers)}
        return Ports.of(inputs=counts, outputs=counts)

    def handle(self, port: int, batch: Batch, now: float) -> None:
        role, index = self.ports.role(port, output=False)
        if role == "streams":
            for packet in batch:
                packet.info.stream = index
            self.emit(self.ports.first("carriers", output=True), batch)
        else:
            by_stream: dict[int, Batch] = {}
            for packet in batch:
                assert packet.meta is not None
                assert packet.meta.stream is not None
                by_stream.setdefault(packet.meta.stream, []).append(packet)
            for stream, packets in by_stream.items():
                self.emit(stream, packets)


@pytest.fixture
def transport() -> Iterator[str]:
    name = "test_transport_i13"
    register(name)(_Transport)
    try:
        yield name
    finally:
        _REGISTRY.pop(name)


def test_ports_name_their_groups_and_roles() -> None:
    ports = Ports.of(inputs={"streams": 2, "carriers": 3}, outputs={"streams": 2, "carriers": 0})
    assert (ports.input_count, ports.output_count) == (5, 2)
    assert ports.role(1, output=False) == ("streams", 1)
    assert ports.role(4, output=False) == ("carriers", 2)
    assert ports.first("carriers", output=False) == 2
    assert ports.describe(output=False) == "streams 0-1, carriers 2-4"
    with pytest.raises(IndexError, match="no output port 2"):
        ports.role(2, output=True)
    with pytest.raises(ValueError, match="negative"):
        PortGroup("streams", -1)


def test_default_declaration_matches_the_field_names() -> None:
    doc = config_doc(
        {
            "src": {"uniform_traffic_source": {"output": wire("d", 0, "src", 0)}},
            "d": {
                "delay_constant": {
                    "flows": [{"input": wire("d", 0, "src", 0), "output": wire("s", 0, "d", 0)}]
                }
            },
            "s": {"traffic_sink": {"input": wire("s", 0, "d", 0)}},
        }
    )
    components = Dataflow(validate_config(doc)).components
    assert components["src"].ports == Ports.of(inputs={"input": 0}, outputs={"output": 1})
    assert components["d"].ports == Ports.of(inputs={"flows": 1}, outputs={"flows": 1})
    assert components["s"].port_counts(components["s"].params) == (1, 0)


def transport_doc(name: str, *, carrier_port: int = 1) -> dict[str, object]:
    """src → transport stream 0 → carrier 0 → delay → back into carrier 0 → stream 0 → sink."""
    to_t, from_t = wire("t", 0, "src", 0), wire("sink", 0, "t", 0)
    t_to_d, d_to_t = wire("d", 0, "t", 1), wire("t", carrier_port, "d", 0)
    return config_doc(
        {
            "src": {"uniform_traffic_source": {"output": to_t, "total_packets": 50, "interval": 2}},
            "t": {
                name: {
                    "streams": [{"input": to_t, "output": from_t}],
                    "carriers": [{"input": d_to_t, "output": t_to_d}],
                }
            },
            "d": {"delay_constant": {"flows": [{"input": t_to_d, "output": d_to_t}], "delay": 7}},
            "sink": {"traffic_sink": {"input": from_t}},
        }
    )


def test_a_declared_transport_loops_packets_through_its_carrier(transport: str) -> None:
    flow = Dataflow(validate_config(transport_doc(transport)))
    assert flow.order == ["src", "t", "d", "sink"]
    assert flow.is_feedback("d", "t")
    assert not flow.is_feedback("t", "d")
    clock = FakeClock(5.0)
    assert run_virtual(flow, clock) == RunEnded(0, "all components finished")
    sink = flow.snapshot(clock.now()).collection("sink")
    assert sink.value("packets_received") == 50
    assert sink.value("packets_lost") == 0
    assert round(float(sink.value("latency_min_ms")), 3) == 7.0


def test_a_link_outside_the_declared_groups_is_refused_naming_them(transport: str) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_config(transport_doc(transport, carrier_port=2))
    assert "port in:2 is out of range; 'test_transport_i13' has 2 input port(s) here" in str(
        caught.value
    )
    assert "(streams 0, carriers 1)" in str(caught.value)


def test_a_full_feedback_link_drops_its_oldest_packets_instead_of_deadlocking(
    transport: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = transport_doc(transport)
    doc["plumr_config"]["pipeline"]["src"]["uniform_traffic_source"].update(  # type: ignore[index]
        total_packets=400, interval=0
    )
    flow = Dataflow(validate_config(doc), link_capacity=16)
    source, sink = flow.components["src"], flow.components["sink"]
    gate = [False]
    monkeypatch.setattr(sink, "can_accept", lambda: gate[0])
    flow.start(0.0)
    for step in range(200):
        flow.step(step * 0.001)
    assert flow.feedback_dropped > 0  # the cycle kept moving while its exit was shut
    gate[0] = True
    step = 200
    while flow.step(step * 0.001) is None and step < 10_000:
        step += 1
    assert flow.outcome == RunEnded(0, "all components finished")
    assert source.packets_dropped == 0  # forward links held the source back
    assert sink.packets_in + flow.feedback_dropped == 400
    kpis = {kpi.id: kpi.value for kpi in flow.snapshot(step * 0.001).kpis}
    assert kpis["feedback_dropped"] == flow.feedback_dropped


def test_a_cycle_of_plain_components_is_cut_where_the_graph_enters_it() -> None:
    a_to_b, b_to_a = wire("b", 0, "a", 1), wire("a", 1, "b", 0)
    src_to_a, a_to_sink = wire("a", 0, "src", 0), wire("sink", 0, "a", 0)
    doc = config_doc(
        {
            "b": {"delay_constant": {"flows": [{"input": a_to_b, "output": b_to_a}], "delay": 3}},
            "sink": {"traffic_sink": {"input": a_to_sink}},
            "a": {
                "loss_dynamic": {
                    "flows": [
                        {"input": src_to_a, "output": a_to_b},
                        {"input": b_to_a, "output": a_to_sink},
                    ],
                    "phases": [{"loss_probability": 0}],
                }
            },
            "src": {"uniform_traffic_source": {"output": src_to_a, "total_packets": 20}},
        }
    )
    flow = Dataflow(validate_config(doc))
    assert flow.order == ["src", "a", "b", "sink"]
    assert flow.is_feedback("b", "a")
    clock = FakeClock()
    assert run_virtual(flow, clock) == RunEnded(0, "all components finished")
    assert flow.components["sink"].packets_in == 20


def test_metadata_rides_beside_the_bytes_and_derived_packets_share_them() -> None:
    payload = bytes(range(200))
    packet = Packet(payload, 1.0)
    assert packet.meta is None
    packet.info.sequence = 7
    packet.info.timestamps["sent"] = 1.5
    copy = packet.derive()
    copy.info.carrier = 2
    copy.info.timestamps["sent"] = 9.0
    assert copy.payload is payload
    assert packet.info == PacketMeta(sequence=7, timestamps={"sent": 1.5})
    assert copy.info == PacketMeta(carrier=2, sequence=7, timestamps={"sent": 9.0})
    assert Packet(b"x", 0.0).derive(b"yz").payload == b"yz"


def test_a_relay_cycle_through_sockets_keeps_running_until_stopped() -> None:
    a_out, b_in = wire("d", 0, "ua", 0), wire("ub", 0, "d", 0)
    b_out, a_in = wire("e", 0, "ub", 0), wire("ua", 0, "e", 0)
    doc = config_doc(
        {
            "ua": {"udp_socket": {"output": a_out, "input": a_in}},
            "d": {"delay_constant": {"flows": [{"input": a_out, "output": b_in}], "delay": 1}},
            "ub": {"udp_socket": {"output": b_out, "input": b_in}},
            "e": {"delay_constant": {"flows": [{"input": b_out, "output": a_in}], "delay": 1}},
        }
    )
    flow = Dataflow(validate_config(doc))
    flow.start(0.0)
    for step in range(10):
        assert flow.step(step * 0.01) is None  # sockets bring traffic from outside: no end
    flow.end(RunEnded(0, "stopped"))
    assert flow.outcome == RunEnded(0, "stopped")


def test_a_record_wired_to_another_groups_port_is_refused(transport: str) -> None:
    doc = transport_doc(transport)
    body = doc["plumr_config"]["pipeline"]["t"][transport]  # type: ignore[index]
    stream, carrier = body["streams"][0], body["carriers"][0]
    # Swap the two input ports: the stream's link now lands on the carrier port and back.
    to_t, d_to_t = wire("t", 1, "src", 0), wire("t", 0, "d", 0)
    stream["input"], carrier["input"] = to_t, d_to_t
    doc["plumr_config"]["pipeline"]["src"]["uniform_traffic_source"]["output"] = to_t  # type: ignore[index]
    doc["plumr_config"]["pipeline"]["d"]["delay_constant"]["flows"][0]["output"] = d_to_t  # type: ignore[index]
    with pytest.raises(ConfigError) as caught:
        validate_config(doc)
    assert str(caught.value) == (
        "component 't', key 'streams[0].input': port in:1 is not one of the 'streams' input "
        "ports (streams 0, carriers 1)"
    )


def test_linked_ports_say_which_port_each_record_uses() -> None:
    records = (
        Flow(input=wire("t", 2, "a", 0), output=wire("b", 0, "t", 3)),
        Flow(input=wire("t", 0, "c", 1), output=wire("d", 0, "t", 1)),
    )
    assert linked_ports(records, output=False) == [2, 0]
    assert linked_ports(records, output=True) == [3, 1]


@dataclass(frozen=True)
class _TimedParams:
    input: str | None = param(None, doc="In.", link=True)
    output: str | None = param(None, doc="Out.", link=True)


class _Timed(Component[_TimedParams]):
    """Has a timer due at every step and notes, each time it fires, how much input it had."""

    params_type = _TimedParams

    def __init__(self, *, component_id: str, params: _TimedParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self.received = 0
        self.seen_by_timer: list[int] = []

    def handle(self, port: int, batch: Batch, now: float) -> None:
        self.received += len(batch)

    def poll(self, now: float) -> None:
        self.seen_by_timer.append(self.received)

    def next_deadline(self) -> float | None:
        return 0.0


def test_timers_run_after_the_sockets_handed_on_what_they_read() -> None:
    """A component swept before the socket it shares a cycle with (raft and its carriers)
    must not judge by the previous step's input: that NACKed packets already read."""
    name = "test_timed_i14"
    register(name)(_Timed)
    try:
        net_to_timed, timed_to_net = wire("timed", 0, "net", 0), wire("net", 0, "timed", 0)
        doc = config_doc(
            {
                "timed": {name: {"input": net_to_timed, "output": timed_to_net}},
                "net": {
                    "udp_socket": {
                        "input": timed_to_net,
                        "output": net_to_timed,
                        "bind_address": "127.0.0.1:0",
                        "remote_address": "127.0.0.1:9",
                    }
                },
            }
        )
        flow = Dataflow(validate_config(doc))
        assert flow.order == ["timed", "net"]
        net, timed = flow.components["net"], flow.components["timed"]
        assert isinstance(net, DatagramComponent)
        assert isinstance(timed, _Timed)
        flow.start(0.0)
        net.rx_queue.append(b"read from the socket")  # what a readable callback leaves
        flow.step(0.001)
        assert timed.seen_by_timer[0] == 1
    finally:
        _REGISTRY.pop(name)
