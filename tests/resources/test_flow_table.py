"""Header parsing from golden bytes, and the flow table on a fake clock."""

from __future__ import annotations

import socket
import struct

import pytest

from nanoping.resources.flow_table import FlowTable
from nanoping.resources.packet_header import (
    ETH_P_IP,
    ETH_P_IPV6,
    TCP_ACK,
    TCP_FIN,
    TCP_RST,
    TCP_SYN,
    PacketHeader,
    parse,
)

A = socket.inet_aton("10.15.0.1")
B = socket.inet_aton("10.15.0.2")


def ipv4(
    protocol: int, transport: bytes, *, fragment_offset: int = 0, options: bytes = b""
) -> bytes:
    header_words = 5 + len(options) // 4
    total = header_words * 4 + len(transport)
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x40 | header_words, 0, total, 1, fragment_offset, 64, protocol, 0, A, B
    )
    return header + options + transport


def udp(source: int, destination: int, payload: bytes = b"") -> bytes:
    return struct.pack("!HHHH", source, destination, 8 + len(payload), 0) + payload


def tcp(source: int, destination: int, flags: int) -> bytes:
    return struct.pack("!HHIIBBHHH", source, destination, 1, 0, 0x50, flags, 65535, 0, 0)


def test_ipv4_udp_golden_bytes() -> None:
    packet = bytes.fromhex("4500001c00010000401100000a0f00010a0f0002d431138800080000")
    assert parse(packet, ETH_P_IP) == PacketHeader(17, A, 54321, B, 5000, 0)


def test_ipv4_tcp_flags_and_options_are_read() -> None:
    packet = ipv4(6, tcp(40000, 443, TCP_SYN), options=b"\x01\x01\x01\x00")
    assert parse(packet, ETH_P_IP) == PacketHeader(6, A, 40000, B, 443, TCP_SYN)


def test_a_later_ipv4_fragment_has_no_ports() -> None:
    packet = ipv4(17, b"\xff" * 16, fragment_offset=185)
    assert parse(packet, ETH_P_IP) == PacketHeader(17, A, 0, B, 0, 0)


def test_ipv6_udp_after_an_extension_header() -> None:
    source = socket.inet_pton(socket.AF_INET6, "fd15::1")
    destination = socket.inet_pton(socket.AF_INET6, "fd15::2")
    hop_by_hop = bytes([17, 0]) + b"\x00" * 6  # next header UDP, length 0 (8 bytes)
    payload = hop_by_hop + udp(1000, 2000)
    header = struct.pack("!IHBB16s16s", 0x60000000, len(payload), 0, 64, source, destination)
    assert parse(header + payload, ETH_P_IPV6) == PacketHeader(
        17, source, 1000, destination, 2000, 0
    )


@pytest.mark.parametrize(
    ("packet", "ethertype"),
    [
        (b"", ETH_P_IP),
        (b"\x45" + b"\x00" * 10, ETH_P_IP),  # cut short
        (b"\x4f" + b"\x00" * 30, ETH_P_IP),  # header longer than the packet
        (b"\x60" + b"\x00" * 20, ETH_P_IPV6),
        (b"\x45" + b"\x00" * 40, 0x0806),  # ARP
        (bytes([0x60, 0, 0, 0, 0, 0, 0, 64]) + b"\x00" * 32, ETH_P_IPV6 + 1),
    ],
)
def test_malformed_or_foreign_packets_give_none(packet: bytes, ethertype: int) -> None:
    assert parse(packet, ethertype) is None


def test_a_truncated_transport_header_gives_zero_ports() -> None:
    assert parse(ipv4(17, b"\x01"), ETH_P_IP) == PacketHeader(17, A, 0, B, 0, 0)


def header(
    source: bytes, sport: int, destination: bytes, dport: int, flags: int = 0, protocol: int = 6
) -> PacketHeader:
    return PacketHeader(protocol, source, sport, destination, dport, flags)


def test_both_directions_count_in_one_flow_with_the_initiator_as_source() -> None:
    table = FlowTable()
    table.observe("veth0", header(B, 443, A, 40000, TCP_SYN | TCP_ACK), 60, now=10.0)
    table.observe("veth0", header(A, 40000, B, 443, TCP_ACK), 1500, now=10.5)
    table.observe("veth0", header(A, 40000, B, 443, TCP_ACK), 1500, now=11.0)
    [flow] = table.snapshot(now=11.0)
    assert (flow.source_ip, flow.source_port) == ("10.15.0.1", 40000)  # SYN-ACK answers A
    assert (flow.destination_ip, flow.destination_port) == ("10.15.0.2", 443)
    assert (flow.sent_bytes, flow.sent_packets) == (3000, 2)
    assert (flow.received_bytes, flow.received_packets) == (60, 1)
    assert flow.protocol == "TCP"
    assert flow.first_seen.ToMicroseconds() == 10_000_000
    assert flow.last_seen.ToMicroseconds() == 11_000_000


def test_rate_is_over_the_interval_between_snapshots() -> None:
    table = FlowTable()
    table.observe("lo", header(A, 1, B, 2, protocol=17), 1000, now=0.0)
    table.snapshot(now=1.0)
    for _ in range(4):
        table.observe("lo", header(A, 1, B, 2, protocol=17), 1000, now=1.5)
    [flow] = table.snapshot(now=3.0)
    assert flow.bits_per_second == 4000 * 8 // 2
    assert flow.protocol == "UDP"


def test_idle_flows_are_dropped_after_the_idle_timeout() -> None:
    table = FlowTable(idle_timeout=5.0)
    table.observe("lo", header(A, 1, B, 2, protocol=17), 100, now=0.0)
    assert len(table.snapshot(now=4.9)) == 1
    assert table.snapshot(now=5.0) == []


@pytest.mark.parametrize("closing", ["rst", "fins"])
def test_closed_tcp_flows_linger_then_go(closing: str) -> None:
    table = FlowTable(closed_linger=2.0)
    table.observe("lo", header(A, 1, B, 2, TCP_SYN), 60, now=0.0)
    if closing == "rst":
        table.observe("lo", header(B, 2, A, 1, TCP_RST), 40, now=1.0)
    else:
        table.observe("lo", header(A, 1, B, 2, TCP_FIN | TCP_ACK), 40, now=0.5)
        assert len(table.snapshot(now=5.0)) == 1  # one FIN does not close it
        table.observe("lo", header(B, 2, A, 1, TCP_FIN | TCP_ACK), 40, now=1.0)
    assert len(table.snapshot(now=2.9)) == 1
    assert table.snapshot(now=3.0) == []


def test_the_table_is_bounded() -> None:
    table = FlowTable(max_flows=3)
    for port in range(5):
        table.observe("lo", header(A, port, B, 9, protocol=17), 100, now=0.0)
    assert len(table.snapshot(now=0.0)) == 3
    assert table.untracked_packets == 2
