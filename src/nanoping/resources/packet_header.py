"""The few header fields flow tracking needs, read from an IP packet (sans-IO).

Input is a packet as a link-layer-less packet socket delivers it: the IPv4 or IPv6 header
first, with the EtherType saying which. Output: protocol, endpoints and, for TCP, the flags.
Anything malformed or cut short gives None (a hostile or broken packet never raises). A
fragment other than the first has no transport header: its ports are 0.
"""

from __future__ import annotations

import socket
import struct
from typing import NamedTuple

ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
TCP = 6
UDP = 17
ICMP = 1
ICMPV6 = 58
_IPV6_EXTENSIONS = frozenset({0, 43, 60})  # hop-by-hop, routing, destination options
_IPV6_FRAGMENT = 44
_PORTS = struct.Struct("!HH")

TCP_FIN = 0x01
TCP_SYN = 0x02
TCP_RST = 0x04
TCP_ACK = 0x10


class PacketHeader(NamedTuple):
    """What one packet says about its flow."""

    protocol: int
    """IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, ...)."""
    source_ip: bytes
    """Packed address: 4 bytes for IPv4, 16 for IPv6 (formatted only when reported)."""
    source_port: int
    destination_ip: bytes
    destination_port: int
    tcp_flags: int
    """TCP flags byte; 0 for other protocols."""


def parse(packet: bytes, ethertype: int) -> PacketHeader | None:
    """The header fields of an IPv4/IPv6 packet; None for other or malformed packets."""
    if (
        ethertype == ETH_P_IP
        and len(packet) >= 24
        and packet[0] == 0x45  # the common case, read inline: IPv4 without options
        and packet[9] in (TCP, UDP)
        and not (packet[6] & 0x1F or packet[7])  # and not a later fragment
    ):
        source_port, destination_port = _PORTS.unpack_from(packet, 20)
        flags = packet[33] if packet[9] == TCP and len(packet) >= 34 else 0
        return PacketHeader(
            packet[9], packet[12:16], source_port, packet[16:20], destination_port, flags
        )
    if ethertype == ETH_P_IP:
        return _ipv4(packet)
    if ethertype == ETH_P_IPV6:
        return _ipv6(packet)
    return None


def _ipv4(packet: bytes) -> PacketHeader | None:
    if len(packet) < 20 or packet[0] >> 4 != 4:
        return None
    header_length = (packet[0] & 0x0F) * 4
    if header_length < 20 or len(packet) < header_length:
        return None
    protocol = packet[9]
    fragment_offset = int.from_bytes(packet[6:8], "big") & 0x1FFF
    source, destination = packet[12:16], packet[16:20]
    transport = packet[header_length:] if fragment_offset == 0 else b""
    return _with_ports(protocol, source, destination, transport)


def _ipv6(packet: bytes) -> PacketHeader | None:
    if len(packet) < 40 or packet[0] >> 4 != 6:
        return None
    source, destination = packet[8:24], packet[24:40]
    protocol = packet[6]
    offset = 40
    for _ in range(8):  # a bounded walk over extension headers
        if protocol in _IPV6_EXTENSIONS:
            if len(packet) < offset + 2:
                return None
            protocol, offset = packet[offset], offset + (packet[offset + 1] + 1) * 8
        elif protocol == _IPV6_FRAGMENT:
            if len(packet) < offset + 8:
                return None
            later_fragment = int.from_bytes(packet[offset + 2 : offset + 4], "big") >> 3 != 0
            protocol, offset = packet[offset], offset + 8
            if later_fragment:
                return _with_ports(protocol, source, destination, b"")
        else:
            break
    return _with_ports(protocol, source, destination, packet[offset:])


def _with_ports(protocol: int, source: bytes, destination: bytes, transport: bytes) -> PacketHeader:
    source_port = destination_port = flags = 0
    if protocol in (TCP, UDP) and len(transport) >= 4:
        source_port, destination_port = _PORTS.unpack_from(transport)
        if protocol == TCP and len(transport) >= 14:
            flags = transport[13]
    return PacketHeader(protocol, source, source_port, destination, destination_port, flags)


def format_address(packed: bytes) -> str:
    """A packed IPv4 or IPv6 address as text."""
    family = socket.AF_INET if len(packed) == 4 else socket.AF_INET6
    return socket.inet_ntop(family, packed)
