"""Two runs joined by raft over two UDP carriers on 127.0.0.1, one carrier losing 10 %:
``source -> raft => (udp, udp) => raft -> sink``, real processes and sockets.

The receiving run binds port 0 and answers whoever sends (the feedback path); the sending run
learns the ports from the receiver's telemetry. The sink must get every packet, and the
telemetry of both raft components must show the lossy carrier and what was recovered.
"""

from __future__ import annotations

from typing import Any

from nanoping.dataplane.config import validate_config
from nanoping.dataplane.fakes import config_doc, wire
from nanoping.testing.cluster import wait_until

from .harness import PipelinesApi
from .test_two_nodes import TelemetryReader

PACKETS = 1500
STREAM = {"stream_handle": 3, "realtime": {"timeout": 2000, "delivery_policy": "on_ordered"}}


def carriers(handles: tuple[int, int] = (41, 42)) -> list[dict[str, Any]]:
    return [
        {
            "input": wire("raft", 1 + i, f"udp{i}", 0),
            "output": wire(f"udp{i}", 0, "raft", 1 + i),
            "carrier_handle": h,
        }
        for i, h in enumerate(handles)
    ]


def receiver_doc() -> dict[str, object]:
    stream = {**STREAM, "output": wire("sink", 0, "raft", 0)}
    udp: dict[str, dict[str, dict[str, object]]] = {
        f"udp{i}": {
            "udp_socket": {
                "input": wire(f"udp{i}", 0, "raft", 1 + i),
                "output": wire("raft", 1 + i, f"udp{i}", 0),
                "bind_address": "127.0.0.1:0",
            }
        }
        for i in range(2)
    }
    return config_doc(
        {
            "raft": {"raft": {"streams": [stream], "carriers": carriers()}},
            **udp,
            "sink": {"traffic_sink": {"input": wire("sink", 0, "raft", 0), "timeout_ms": 120_000}},
        }
    )


def sender_doc(ports: tuple[int, int]) -> dict[str, object]:
    stream = {**STREAM, "input": wire("raft", 0, "source", 0)}
    links = carriers()
    links[0]["output"] = wire("loss", 0, "raft", 1)  # carrier 41 goes through the loss
    loss_flow = {"input": wire("loss", 0, "raft", 1), "output": wire("udp0", 0, "loss", 0)}
    phases = [{"duration": 1000, "loss_probability": 10}]
    source = {"total_packets": PACKETS, "interval": 1, "packet_size": 300}
    return config_doc(
        {
            "source": {
                "uniform_traffic_source": {"output": wire("raft", 0, "source", 0), **source}
            },
            "raft": {"raft": {"streams": [stream], "carriers": links}},
            "loss": {"loss_dynamic": {"flows": [loss_flow], "phases": phases, "seed": 99}},
            "udp0": {
                "udp_socket": {
                    "input": wire("udp0", 0, "loss", 0),
                    "output": wire("raft", 1, "udp0", 0),
                    "remote_address": f"127.0.0.1:{ports[0]}",
                }
            },
            "udp1": {
                "udp_socket": {
                    "input": wire("udp1", 0, "raft", 2),
                    "output": wire("raft", 2, "udp1", 0),
                    "remote_address": f"127.0.0.1:{ports[1]}",
                }
            },
        }
    )


def collection(reader: TelemetryReader, name: str) -> dict[str, float]:
    """Every metric of one component in the latest sample (for failure reports)."""
    for item in reader.samples[-1].metric_collections if reader.samples else ():
        if item.path == f"/components/{name}":
            return {key: reader.metric(name, key) for key in item.metrics}
    return {}


def test_a_lossy_carrier_costs_the_application_no_packet(pipelines: PipelinesApi) -> None:
    receiving_doc = receiver_doc()
    validate_config(receiving_doc)
    receiving = pipelines.create("raft-receiver", receiving_doc)
    receiver = TelemetryReader(pipelines, pipelines.start(receiving.id))
    wait_until(lambda: bool(receiver.samples), what="the first sample of the receiver")
    ports = (
        int(receiver.metric("udp0", "local_port", sample=0)),
        int(receiver.metric("udp1", "local_port", sample=0)),
    )
    sending_doc = sender_doc(ports)
    validate_config(sending_doc)
    sending = pipelines.create("raft-sender", sending_doc)
    sender = TelemetryReader(pipelines, pipelines.start(sending.id))
    try:
        try:
            wait_until(
                lambda: receiver.metric("sink", "packets_unique") == PACKETS,
                timeout=60,
                what=f"the sink to count {PACKETS} packets",
            )
        except AssertionError:
            print("receiver", collection(receiver, "raft"), collection(receiver, "sink"))
            print("sender", collection(sender, "raft"))
            raise
        wait_until(lambda: len(sender.samples) > 1, what="a sample of the sender")
    finally:
        pipelines.call("stopPipeline", id=sending.id)
        pipelines.call("stopPipeline", id=receiving.id)
        sender.join(timeout=30)
        receiver.join(timeout=30)
    assert receiver.metric("sink", "packets_lost") == 0
    assert receiver.metric("raft", "stream_3_delivered") == PACKETS
    recovered = receiver.metric("raft", "stream_3_recovered_fec")
    recovered += receiver.metric("raft", "stream_3_recovered_arq")
    assert recovered > 0
    assert sender.metric("loss", "packets_dropped") > 0
    assert sender.metric("raft", "carrier_41_loss") > 0.02
