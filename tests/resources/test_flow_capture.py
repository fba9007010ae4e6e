"""Flow capture on real interfaces: UDP and TCP between two network namespaces show up as flows
with their endpoints and byte counts, and leave once idle or closed. Capture needs root
(CAP_NET_RAW); without the privilege the stream says so."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable

from nanoping.api import resources_pb2
from nanoping.resources.flow_capture import FlowCapture, open_packet_socket
from nanoping.resources.flow_table import FlowTable
from nanoping.resources.watched_feed import WatchedFeed

from .netns import inside, tcp_socket, udp_socket, veth_pair

UDP_DATAGRAMS = 200
UDP_PAYLOAD = 1000
IP_UDP_HEADERS = 28
TCP_BYTES = 300_000
IDLE = 1.5
TOLERANCE = 0.05


def within(measured: int, expected: int) -> bool:
    return abs(measured - expected) <= expected * TOLERANCE


async def snapshots_until(
    stream: AsyncIterator[resources_pb2.FlowsSample],
    done: Callable[[list[resources_pb2.Flow]], bool],
    seconds: float = 20,
) -> list[resources_pb2.Flow]:
    async with asyncio.timeout(seconds):
        async for sample in stream:
            if done(list(sample.flows)):
                return list(sample.flows)
    raise AssertionError("the stream ended")


def send_udp(sender: socket.socket, receiver: socket.socket) -> None:
    for _ in range(UDP_DATAGRAMS):  # one at a time: a burst would overflow the receive buffer
        sender.sendto(b"u" * UDP_PAYLOAD, receiver.getsockname())
        assert len(receiver.recv(2048)) == UDP_PAYLOAD


def send_tcp(client: socket.socket, server: socket.socket) -> None:
    client.connect(server.getsockname())
    peer, _ = server.accept()
    peer.settimeout(10)
    received = 0

    def drain() -> None:
        nonlocal received
        while chunk := peer.recv(65536):
            received += len(chunk)

    reader = threading.Thread(target=drain)
    reader.start()
    client.sendall(b"t" * TCP_BYTES)
    client.shutdown(socket.SHUT_WR)
    reader.join(timeout=20)
    peer.close()
    client.close()
    assert received == TCP_BYTES


async def test_udp_and_tcp_between_namespaces_become_flows_that_expire() -> None:
    with veth_pair() as pair:
        capture = FlowCapture(
            table=lambda: FlowTable(idle_timeout=IDLE, closed_linger=0.5),
            open_socket=lambda: inside(pair.a, open_packet_socket),
            snapshot_interval=0.2,
        )
        udp_a, udp_b = udp_socket(pair.a, pair.a_ip), udp_socket(pair.b, pair.b_ip)
        server = inside(pair.b, lambda: socket.create_server((pair.b_ip, 0)))
        client = tcp_socket(pair.a)
        for sock in (udp_a, udp_b, server, client):
            sock.settimeout(10)
        # Resolve the neighbour first: the kernel drops most of a burst sent before ARP answers.
        udp_b.sendto(b"hello", udp_a.getsockname())
        assert udp_a.recv(64) == b"hello"
        feed: WatchedFeed[resources_pb2.FlowsSample] = WatchedFeed(capture.produce, name="t")
        watcher = feed.subscribe()
        try:
            await anext(watcher)  # the capture runs
            await asyncio.to_thread(send_udp, udp_a, udp_b)
            await asyncio.to_thread(send_tcp, client, server)

            def complete(flows: list[resources_pb2.Flow]) -> bool:
                protocols = {flow.protocol for flow in flows if flow.sent_bytes}
                udp = [f for f in flows if f.protocol == "UDP"]
                return {"UDP", "TCP"} <= protocols and udp[0].sent_packets >= UDP_DATAGRAMS

            flows = await snapshots_until(watcher, complete)
            udp = next(flow for flow in flows if flow.protocol == "UDP")
            tcp = next(flow for flow in flows if flow.protocol == "TCP")
            assert udp.interface == tcp.interface == pair.a_interface
            assert (udp.source_ip, udp.source_port) == udp_a.getsockname()
            assert (udp.destination_ip, udp.destination_port) == udp_b.getsockname()
            assert udp.sent_packets == UDP_DATAGRAMS
            assert within(udp.sent_bytes, UDP_DATAGRAMS * (UDP_PAYLOAD + IP_UDP_HEADERS))
            assert (tcp.destination_ip, tcp.destination_port) == server.getsockname()
            assert tcp.source_ip == pair.a_ip
            assert within(tcp.sent_bytes, TCP_BYTES), tcp.sent_bytes
            assert tcp.received_packets > 0  # the acknowledgements

            await snapshots_until(watcher, lambda flows: not flows)  # idle / closed: gone
            for sock in (udp_a, udp_b, server):
                sock.close()
        finally:
            watcher.close()
            await feed.stopped()
            await feed.close()
    assert not feed.running
    assert capture.captured >= UDP_DATAGRAMS


UNPRIVILEGED_OPEN = """
import pathlib
from nanoping.api import resources_pb2
from nanoping.errors import NanoPingError
from nanoping.resources.sampler import MetricsSampler
from nanoping.service.resources import ResourcesService
sampler = MetricsSampler(data_dir=pathlib.Path("."), runs_alive=lambda: 0)
service = ResourcesService(node_id="n", sampler=sampler)
try:
    service.open_flows_stream(resources_pb2.OpenFlowsStreamRequest())
except NanoPingError as error:
    print(error.code.name, error.message)
"""


def test_without_the_privilege_to_capture_the_stream_says_so() -> None:
    """A process without CAP_NET_RAW (dropped from its bounding set) is refused at once."""
    result = subprocess.run(
        ["setpriv", "--bounding-set=-net_raw", "--inh-caps=-net_raw",
         sys.executable, "-c", UNPRIVILEGED_OPEN],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert result.stdout.startswith("PERMISSION_DENIED capturing packets needs the CAP_NET_RAW")


def test_loopback_packets_are_captured_once() -> None:
    """The socket filter drops the leaving copy of a loopback packet in the kernel."""
    capture = open_packet_socket()
    capture.settimeout(0.3)
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    marker = (
        b"np15-loopback-marker-" + os.urandom(8).hex().encode()
    )  # unique: suites may run side by side
    try:
        sender.sendto(marker, receiver.getsockname())
        copies = []
        while True:
            try:
                data, address = capture.recvfrom(2048)
            except TimeoutError:
                break
            if marker in data:
                copies.append(address[2])
        assert copies == [socket.PACKET_HOST]
    finally:
        for sock in (capture, receiver, sender):
            sock.close()
