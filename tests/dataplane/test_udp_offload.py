"""Batched UDP I/O: GSO sends and GRO reads keep datagram boundaries exact, and fall back cleanly."""

import asyncio
import errno
import random
import socket
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import uvloop
from hypothesis import given
from hypothesis import strategies as st

from nanoping.dataplane import Engine, validate_config
from nanoping.dataplane.components.udp import UdpSocket
from nanoping.dataplane.fakes import config_doc, wire
from nanoping.dataplane.udp_offload import (
    MAX_GSO_BYTES,
    MAX_SEGMENTS,
    NO_OFFLOADS,
    Offloads,
    UdpDevice,
    _run_end,
    probe_offloads,
)


def bound() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
    sock.setblocking(False)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def pair(request: pytest.FixtureRequest) -> Iterator[tuple[UdpDevice, UdpDevice, Any]]:
    offloads: Offloads = request.param
    sender, receiver = UdpDevice(bound(), offloads), UdpDevice(bound(), offloads)
    try:
        yield sender, receiver, receiver._sock.getsockname()
    finally:
        sender.close()
        receiver.close()


def read_all(device: UdpDevice, expected: int) -> list[bytes]:
    out: list[bytes] = []
    for _ in range(1000):  # loopback delivers synchronously: a few empty reads mean all arrived
        got = device.read_batch(expected - len(out))
        out += got
        if len(out) >= expected:
            break
    return out


def datagrams(seed: int, count: int) -> list[bytes]:
    """Runs of equal sizes with odd ones between, every datagram distinct."""
    rng = random.Random(seed)
    out: list[bytes] = []
    while len(out) < count:
        size = rng.choice([0, 1, 60, 1200, 1200, 1200, 1472, 9000])
        for _ in range(rng.randint(1, 80)):
            out.append((len(out).to_bytes(4, "big") * (size // 4 + 1))[:size])
    return out[:count]


def test_this_kernel_has_both_offloads_and_they_are_probed_once() -> None:
    first = probe_offloads(socket.AF_INET)
    assert first == Offloads(gso=True, gro=True), "UDP GSO/GRO need Linux 5.0 or newer"
    assert probe_offloads(socket.AF_INET) is first


ALL = Offloads(gso=True, gro=True)


@pytest.mark.parametrize("pair", [ALL, NO_OFFLOADS], indirect=True, ids=["offload", "plain"])
def test_batches_arrive_whole_in_order_with_exact_boundaries(
    pair: tuple[UdpDevice, UdpDevice, Any],
) -> None:
    sender, receiver, address = pair
    payloads = datagrams(seed=13, count=600)
    sent = sender.write_batch(payloads, address)
    assert (sent.written, sent.failed) == (600, 0)
    assert sent.size == sum(map(len, payloads))
    assert read_all(receiver, 600) == payloads
    assert receiver.last_peer == sender._sock.getsockname()
    if sender.gso:
        assert 0 < sender.gso_sends < 600 // 2
        assert receiver.gro_reads > 0  # a GSO sender on loopback is coalesced on receive
    else:
        assert sender.gso_sends == receiver.gro_reads == 0


@pytest.mark.parametrize("pair", [ALL], indirect=True)
def test_a_run_is_cut_at_the_kernel_limit_and_after_a_short_segment(
    pair: tuple[UdpDevice, UdpDevice, Any],
) -> None:
    sender, receiver, address = pair
    payloads = [bytes([i % 256]) * 100 for i in range(MAX_SEGMENTS + 10)] + [b"end", b"x" * 100]
    assert sender.write_batch(payloads, address).written == len(payloads)
    assert sender.gso_sends == 2  # 64, then 10 + the short "end"; the last one goes alone
    assert read_all(receiver, len(payloads)) == payloads


class RefusingSocket:
    """Stands in for a socket whose path cannot segment: every GSO send fails."""

    def __init__(self, error: int) -> None:
        self.error = error
        self.sent: list[bytes] = []

    def sendmsg(self, buffers: Sequence[bytes], *_: object) -> int:
        raise OSError(self.error, "refused")

    def sendto(self, data: bytes, address: object) -> int:
        if len(data) > 2000:
            raise OSError(errno.EMSGSIZE, "Message too long")
        self.sent.append(data)
        return len(data)


@pytest.mark.parametrize(("error", "keeps_gso"), [(errno.EIO, False), (errno.EINVAL, True)])
def test_a_refused_gso_send_falls_back_to_single_datagrams(error: int, keeps_gso: bool) -> None:
    fake = RefusingSocket(error)
    device = UdpDevice.__new__(UdpDevice)
    device._sock = fake  # type: ignore[assignment]
    device.gso, device.gro, device.gso_sends = True, False, 0
    payloads = [b"a" * 100] * 5 + [b"b" * 3000] + [b"c" * 10] * 3
    result = device.write_batch(payloads, ("127.0.0.1", 9))
    assert (result.written, result.failed) == (8, 1)  # the 3,000-byte one is refused alone
    assert fake.sent == [p for p in payloads if len(p) < 2000]
    assert device.gso is keeps_gso


def test_engines_carry_bursts_as_gso_sends_and_gro_reads_with_every_datagram_whole() -> None:
    async def scenario() -> dict[str, int]:
        to_sink = wire("sink", 0, "udp", 0)
        receiver = config_doc(
            {
                "udp": {"udp_socket": {"output": to_sink, "bind_address": "127.0.0.1:0"}},
                "sink": {"traffic_sink": {"input": to_sink, "timeout_ms": 500}},
            }
        )
        async with Engine(validate_config(receiver)) as rx:
            rx_udp = rx.component("udp")
            assert isinstance(rx_udp, UdpSocket)
            assert rx_udp.local_address is not None
            to_udp = wire("udp", 0, "src", 0)
            sender = config_doc(
                {
                    "src": {"uniform_traffic_source": {"output": to_udp, "total_packets": 5000,
                                                       "interval": 0, "packet_size": 1200}},
                    "udp": {"udp_socket": {"input": to_udp, "remote_address":
                                           f"127.0.0.1:{rx_udp.local_address[1]}"}},
                }
            )  # fmt: skip
            async with Engine(validate_config(sender)) as tx:
                async with asyncio.timeout(20):
                    await tx.wait()
                    await rx.wait()
                tx_device, rx_device = tx.component("udp").device, rx_udp.device  # type: ignore[attr-defined]
                assert isinstance(tx_device, UdpDevice)
                assert isinstance(rx_device, UdpDevice)
                sink = rx.snapshot().collection("sink")
                return {
                    "sent": tx.component("udp").packets_consumed,
                    "gso_sends": tx_device.gso_sends,
                    "gro_reads": rx_device.gro_reads,
                    "received": int(sink.value("packets_received")),
                    "bytes": int(sink.value("bytes_received")),
                    "lost": int(sink.value("packets_lost")),
                }

    seen = uvloop.run(scenario())
    assert seen["sent"] == 5000
    assert 0 < seen["gso_sends"] < 5000 // 4  # the source's bursts left in few calls
    assert seen["gro_reads"] > 0
    # Loopback with 4 MiB buffers: every datagram arrives whole, none merged or cut.
    assert (seen["received"], seen["bytes"], seen["lost"]) == (5000, 5000 * 1200, 0)


@given(st.lists(st.sampled_from([0, 1, 100, 1200, 1472, 9000, 30_000]), min_size=1, max_size=300))
def test_runs_cover_every_datagram_once_within_the_kernel_limits(sizes: list[int]) -> None:
    payloads = [bytes(size) for size in sizes]
    start = 0
    while start < len(payloads):
        end = _run_end(payloads, start)
        run = sizes[start:end]
        assert end > start
        if len(run) > 1:
            assert len(run) <= MAX_SEGMENTS
            assert sum(run) <= MAX_GSO_BYTES
            assert all(size == run[0] for size in run[:-1])  # equal, only the last may be shorter
            assert 0 < run[-1] <= run[0]
        start = end
