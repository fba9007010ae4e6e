"""Integration: engines exchanging UDP on 127.0.0.1 (port 0), with impairments and trackers."""

import asyncio
import os
import select
import socket
from pathlib import Path
from typing import Any

import pytest
import uvloop

from nanoping.dataplane import Engine, RunEnded, validate_config
from nanoping.dataplane.components import udp as udp_module
from nanoping.dataplane.components.udp import UdpSocket, parse_address
from nanoping.dataplane.fakes import config_doc, wire
from nanoping.dataplane.packet import Packet

from .test_engine import signal_when

PACKETS = 1000


def receiver_doc() -> dict[str, object]:
    a, b, c = wire("lat", 0, "udp", 0), wire("loss", 0, "lat", 0), wire("sink", 0, "loss", 0)
    return config_doc(
        {
            "udp": {"udp_socket": {"output": a, "bind_address": "127.0.0.1:0"}},
            "lat": {"latency_tracker_receiver": {"input": a, "output": b}},
            "loss": {"loss_tracker_receiver": {"input": b, "output": c}},
            "sink": {"traffic_sink": {"input": c, "timeout_ms": 300}},
        }
    )


def sender_doc(port: int) -> dict[str, object]:
    ids = ["src", "seq", "stamp", "delay", "drop", "udp"]
    links = [wire(ids[i + 1], 0, ids[i], 0) for i in range(5)]
    flow = [{"input": links[3], "output": links[4]}]
    return config_doc(
        {
            "src": {
                "uniform_traffic_source": {
                    "output": links[0],
                    "total_packets": PACKETS,
                    "interval": 0.5,
                }
            },
            "seq": {"loss_tracker_sender": {"input": links[0], "output": links[1]}},
            "stamp": {"latency_tracker_sender": {"input": links[1], "output": links[2]}},
            "delay": {
                "delay_constant": {"flows": [{"input": links[2], "output": links[3]}], "delay": 30}
            },
            "drop": {
                "loss_dynamic": {
                    "flows": flow,
                    "seed": 11,
                    "phases": [{"duration": 1000, "loss_probability": 10}],
                }
            },
            "udp": {"udp_socket": {"input": links[4], "remote_address": f"127.0.0.1:{port}"}},
        }
    )


def test_two_engines_measure_configured_delay_and_loss_over_udp() -> None:
    async def scenario() -> tuple[RunEnded, RunEnded, dict[str, Any]]:
        async with Engine(validate_config(receiver_doc())) as receiver:
            udp = receiver.component("udp")
            assert isinstance(udp, UdpSocket)
            assert udp.local_address is not None
            async with Engine(validate_config(sender_doc(udp.local_address[1]))) as sender:
                async with asyncio.timeout(15):
                    sent = await sender.wait()
                    received = await receiver.wait()
        rx, tx = receiver.snapshot(), sender.snapshot()
        return (
            sent,
            received,
            {
                "dropped": tx.collection("drop").value("packets_dropped"),
                "sent": tx.collection("udp").value("datagrams_sent"),
                "lost": rx.collection("loss").value("packets_lost"),
                "latency": rx.collection("lat").value("latency_avg_ms"),
                "sink_lost": rx.collection("sink").value("packets_lost"),
                "received": rx.collection("sink").value("packets_received"),
            },
        )

    sent, received, m = uvloop.run(scenario())
    assert sent == received == RunEnded(0, "all components finished")
    assert m["sent"] == PACKETS - m["dropped"]
    assert 60 <= m["dropped"] <= 140  # 10 % of 1,000, seeded
    # Loopback with 4 MiB buffers loses nothing at 2 kpps: the trackers see the emulated loss.
    assert m["lost"] == pytest.approx(m["dropped"], abs=3)
    assert m["received"] == m["sent"] - (m["lost"] - m["dropped"])
    assert 30.0 <= float(m["latency"]) <= 45.0


def test_socket_without_remote_answers_the_last_sender() -> None:
    echo_link = wire("echo", 0, "echo", 0)
    to_udp, to_sink = wire("udp", 0, "src", 0), wire("sink", 0, "udp", 0)

    async def scenario() -> int:
        echo_doc = config_doc(
            {
                "echo": {
                    "udp_socket": {
                        "input": echo_link,
                        "output": echo_link,
                        "bind_address": "127.0.0.1:0",
                    }
                }
            }
        )
        async with Engine(validate_config(echo_doc)) as echo:
            echo_socket = echo.component("echo")
            assert isinstance(echo_socket, UdpSocket)
            assert echo_socket.local_address is not None
            client_doc = config_doc(
                {
                    "src": {
                        "uniform_traffic_source": {
                            "output": to_udp,
                            "total_packets": 200,
                            "interval": 0.2,
                        }
                    },
                    "udp": {
                        "udp_socket": {
                            "input": to_udp,
                            "output": to_sink,
                            "remote_address": f"127.0.0.1:{echo_socket.local_address[1]}",
                        }
                    },
                    "sink": {"traffic_sink": {"input": to_sink, "timeout_ms": 200}},
                }
            )
            echoed = asyncio.Event()
            check = signal_when(echoed, "sink", "packets_in", 200)
            graph = validate_config(client_doc)
            async with Engine(graph, on_telemetry=check, telemetry_interval=0.005) as client:
                sink = client.component("sink")
                async with asyncio.timeout(5):
                    await echoed.wait()
                    outcome = await client.wait()
        assert outcome == RunEnded(0, "all components finished")
        return sink.packets_in

    assert uvloop.run(scenario()) == 200


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1:0", ("127.0.0.1", 0)),
        ("[::1]:9", ("::1", 9)),
        ("example.org:53", ("example.org", 53)),
    ],
)
def test_parse_address(text: str, address: tuple[str, int]) -> None:
    assert parse_address(text) == address


@pytest.mark.parametrize("text", ["", "1.2.3.4", ":5", "host:", "host:x", "host:70000", "::1:5"])
def test_parse_address_rejects(text: str) -> None:
    with pytest.raises(ValueError, match=r"expected host:port|IPv6|port must be"):
        parse_address(text)


def test_a_datagram_the_socket_refuses_is_dropped_not_fatal() -> None:
    async def scenario() -> UdpSocket:
        link = wire("u", 0, "src", 0)
        doc = config_doc(
            {
                "src": {"uniform_traffic_source": {"output": link, "total_packets": 1}},
                "u": {"udp_socket": {"input": link, "remote_address": "127.0.0.1:9"}},
            }
        )
        async with Engine(validate_config(doc)) as engine:
            udp = engine.component("u")
            assert isinstance(udp, UdpSocket)
            udp.push(0, [Packet(bytes(70_000), 0.0), Packet(b"ok", 0.0)], 0.0)
            async with asyncio.timeout(5):
                assert await engine.wait() == RunEnded(0, "all components finished")
        return udp

    udp = uvloop.run(scenario())
    # The kernel's refusal arrives asynchronously (error_received), so it is counted as a
    # socket error rather than attributed to the packet.
    assert udp.socket_errors >= 1
    assert udp.packets_in == udp.packets_consumed + udp.packets_dropped == 3


def test_socket_buffers_pass_the_system_cap_when_the_run_may() -> None:
    # A receiver stalled for a moment must not lose what its buffer was asked to hold: with
    # CAP_NET_ADMIN (root here) the requested size wins over net.core.rmem_max.
    size = 4 * 1024 * 1024
    cap = int(Path("/proc/sys/net/core/rmem_max").read_text())
    sock = udp_module._bound_socket(("127.0.0.1", 0), socket.AF_INET, size)
    try:
        granted = sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF)
    finally:
        sock.close()
    if os.geteuid() == 0:
        assert granted >= size  # Linux reports twice what was set
    else:
        assert granted <= 2 * max(cap, size)


def test_a_datagram_is_forwarded_in_the_wake_up_that_read_it() -> None:
    """The readable callback steps the run at once: no extra loop iteration per packet.

    The test blocks the event loop while it waits, so the relayed datagram can only arrive
    if reading it already wrote it on (deferring the step would leave it unsent).
    """
    link = wire("out", 0, "in", 0)

    async def scenario() -> bytes:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as target:
            target.bind(("127.0.0.1", 0))
            port = target.getsockname()[1]
            doc = config_doc(
                {
                    "in": {"udp_socket": {"output": link, "bind_address": "127.0.0.1:0"}},
                    "out": {"udp_socket": {"input": link, "remote_address": f"127.0.0.1:{port}"}},
                }
            )
            async with Engine(validate_config(doc)) as engine:
                await asyncio.sleep(0)  # the first (queued) step
                relay = engine.component("in")
                assert isinstance(relay, UdpSocket)
                assert relay.local_address is not None
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                    sender.sendto(b"hop", relay.local_address)
                assert select.select([relay.device], [], [], 5.0)[0], "datagram never arrived"
                relay._on_readable()  # what the loop calls when the socket is readable
                assert select.select([target], [], [], 5.0)[0], "the read did not write it on"
                return target.recv(100)

    assert uvloop.run(scenario()) == b"hop"


def test_a_step_takes_in_what_every_socket_holds_not_only_the_one_that_woke_it() -> None:
    """Two sockets both readable: the first one's wake steps at once, and that step relays the
    second socket's datagram too (a step that saw only one carrier took the other's for lost).
    """
    links = [wire(f"out{i}", 0, f"in{i}", 0) for i in range(2)]

    async def scenario() -> list[bytes]:
        targets = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(2)]
        components: dict[str, Any] = {}
        for i, target in enumerate(targets):
            target.bind(("127.0.0.1", 0))
            port = target.getsockname()[1]
            components[f"in{i}"] = {
                "udp_socket": {"output": links[i], "bind_address": "127.0.0.1:0"}
            }
            components[f"out{i}"] = {
                "udp_socket": {"input": links[i], "remote_address": f"127.0.0.1:{port}"}
            }
        try:
            async with Engine(validate_config(config_doc(components))) as engine:
                await asyncio.sleep(0)  # the first (queued) step
                relays = [engine.component(f"in{i}") for i in range(2)]
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
                    for i, relay in enumerate(relays):
                        assert isinstance(relay, UdpSocket)
                        assert relay.local_address is not None
                        sender.sendto(b"hop%d" % i, relay.local_address)
                        assert select.select([relay.device], [], [], 5.0)[0], "never arrived"
                first = relays[0]
                assert isinstance(first, UdpSocket)
                first._on_readable()  # the loop calls the first socket's callback first
                got = []
                for target in targets:
                    assert select.select([target], [], [], 5.0)[0], "the step left it unread"
                    got.append(target.recv(100))
                return got
        finally:
            for target in targets:
                target.close()

    assert uvloop.run(scenario()) == [b"hop0", b"hop1"]
