"""Per-flow traffic totals from packet headers (sans-IO: headers, lengths and ``now`` in,
``Flow`` snapshots out).

A flow is the traffic between two endpoints (address and port) with one protocol on one
interface, both directions together. Its *source* is the initiator: the sender of a TCP SYN
without ACK when one is seen, else the sender of the first packet seen (the reference says
"best effort": capture may start mid-flow). ``sent`` counts source -> destination, ``received``
the other way, in bytes of IP packets (headers included) and packets.

Dropping (documented in the README):

- a flow with no packet for ``idle_timeout`` seconds (default 30 s) is dropped;
- a TCP flow is *closed* once a RST is seen, or a FIN from each side; it stays in snapshots
  for ``closed_linger`` seconds (default 5 s) so watchers see its final totals, then goes;
- the table holds at most ``max_flows`` flows (default 10 000; a flood of spoofed endpoints
  cannot grow it further); packets of flows that find it full are only counted in
  :attr:`FlowTable.untracked_packets`.

``bits_per_second`` is the flow's combined rate over the interval since the previous snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from google.protobuf.timestamp_pb2 import Timestamp

from nanoping.api import resources_pb2
from nanoping.resources.packet_header import (
    ICMP,
    ICMPV6,
    TCP,
    TCP_ACK,
    TCP_FIN,
    TCP_RST,
    TCP_SYN,
    UDP,
    PacketHeader,
    format_address,
)

DEFAULT_IDLE_TIMEOUT = 30.0
"""Seconds without a packet after which a flow is dropped."""
DEFAULT_CLOSED_LINGER = 5.0
"""Seconds a closed TCP flow stays in snapshots before it is dropped."""
DEFAULT_MAX_FLOWS = 10_000
"""Most flows tracked at once."""
_NAMES = {TCP: "TCP", UDP: "UDP", ICMP: "ICMP", ICMPV6: "ICMP"}

Endpoint = tuple[bytes, int]
FlowKey = tuple[str, int, Endpoint, Endpoint]
"""(interface, protocol, lower endpoint, higher endpoint): both directions share a key."""


@dataclass
class FlowState:
    """Totals of one flow."""

    interface: str
    protocol: int
    source: Endpoint
    destination: Endpoint
    first_seen: float
    last_seen: float
    sent_bytes: int = 0
    sent_packets: int = 0
    received_bytes: int = 0
    received_packets: int = 0
    fins: set[Endpoint] = field(default_factory=set)
    closed_at: float | None = None
    reported_bytes: int = 0
    """Total bytes at the previous snapshot (for the rate)."""

    def count(self, header: PacketHeader, length: int, now: float) -> None:
        """Add one packet of ``length`` bytes seen at ``now``."""
        self.last_seen = now
        if (header.source_ip, header.source_port) == self.source:
            self.sent_bytes += length
            self.sent_packets += 1
        else:
            self.received_bytes += length
            self.received_packets += 1
        if self.protocol == TCP and self.closed_at is None:
            self._track_close(header, now)

    def _track_close(self, header: PacketHeader, now: float) -> None:
        if header.tcp_flags & TCP_RST:
            self.closed_at = now
        elif header.tcp_flags & TCP_FIN:
            self.fins.add((header.source_ip, header.source_port))
            if len(self.fins) == 2:
                self.closed_at = now


class FlowTable:
    """The flows seen on every captured interface."""

    def __init__(
        self,
        *,
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        closed_linger: float = DEFAULT_CLOSED_LINGER,
        max_flows: int = DEFAULT_MAX_FLOWS,
    ) -> None:
        self.idle_timeout = idle_timeout
        self.closed_linger = closed_linger
        self.max_flows = max_flows
        self.flows: dict[FlowKey, FlowState] = {}
        self.untracked_packets = 0
        self._last_snapshot: float | None = None

    def observe(self, interface: str, header: PacketHeader, length: int, now: float) -> None:
        """Count one packet of ``length`` bytes."""
        source = (header.source_ip, header.source_port)
        destination = (header.destination_ip, header.destination_port)
        ends = (source, destination) if source <= destination else (destination, source)
        key = (interface, header.protocol, *ends)
        flow = self.flows.get(key)
        if flow is None:
            if len(self.flows) >= self.max_flows:
                self.untracked_packets += 1
                return
            flow = self._new(interface, header, source, destination, now)
            self.flows[key] = flow
        flow.count(header, length, now)

    def snapshot(self, now: float) -> list[resources_pb2.Flow]:
        """Drop what expired, then every flow with its rate since the previous snapshot."""
        self.expire(now)
        elapsed = now - self._last_snapshot if self._last_snapshot is not None else 0.0
        self._last_snapshot = now
        result = []
        for flow in self.flows.values():
            total = flow.sent_bytes + flow.received_bytes
            rate = (total - flow.reported_bytes) * 8 / elapsed if elapsed > 0 else 0.0
            flow.reported_bytes = total
            result.append(flow_message(flow, bits_per_second=round(rate)))
        return result

    def expire(self, now: float) -> None:
        """Forget idle flows and closed flows past their linger time."""
        for key, flow in list(self.flows.items()):
            idle = now - flow.last_seen >= self.idle_timeout
            closed = flow.closed_at is not None and now - flow.closed_at >= self.closed_linger
            if idle or closed:
                del self.flows[key]

    @staticmethod
    def _new(
        interface: str, header: PacketHeader, source: Endpoint, destination: Endpoint, now: float
    ) -> FlowState:
        if header.protocol == TCP and header.tcp_flags & (TCP_SYN | TCP_ACK) == (TCP_SYN | TCP_ACK):
            source, destination = destination, source  # a SYN-ACK answers the initiator
        return FlowState(
            interface=interface,
            protocol=header.protocol,
            source=source,
            destination=destination,
            first_seen=now,
            last_seen=now,
        )


def flow_message(flow: FlowState, *, bits_per_second: int) -> resources_pb2.Flow:
    """The API's view of one flow (times are Unix seconds)."""
    message = resources_pb2.Flow(
        interface=flow.interface,
        protocol=_NAMES.get(flow.protocol, str(flow.protocol)),
        source_ip=format_address(flow.source[0]),
        source_port=flow.source[1],
        destination_ip=format_address(flow.destination[0]),
        destination_port=flow.destination[1],
        sent_bytes=flow.sent_bytes,
        sent_packets=flow.sent_packets,
        received_bytes=flow.received_bytes,
        received_packets=flow.received_packets,
        bits_per_second=max(0, bits_per_second),
    )
    message.first_seen.CopyFrom(_timestamp(flow.first_seen))
    message.last_seen.CopyFrom(_timestamp(flow.last_seen))
    return message


def _timestamp(seconds: float) -> Timestamp:
    stamp = Timestamp()
    stamp.FromNanoseconds(int(seconds * 1e9))
    return stamp
