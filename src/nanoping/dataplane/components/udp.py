"""``udp_socket``: where packets enter and leave a node.

The only component here that touches the network. Datagrams received on the socket are
queued by the asyncio protocol and handed to the pipeline on the next engine step; packets
arriving on the component's input are written to the socket at once.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from nanoping.dataplane.component import Component, register
from nanoping.dataplane.metrics import Metric, counter, gauge
from nanoping.dataplane.packet import Batch, Packet
from nanoping.dataplane.parameter import param

Address = tuple[str, int]


def parse_address(text: str) -> Address:
    """Split ``host:port`` or ``[ipv6]:port``; ValueError with a readable message if invalid."""
    host, sep, port_text = text.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise ValueError(f"expected host:port, got {text!r}")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"IPv6 addresses must be written [address]:port, got {text!r}")
    port = int(port_text)
    if port > 65535:
        raise ValueError(f"port must be <= 65535, got {port}")
    return host, port


def _check_address(text: str) -> str | None:
    if text == "":
        return None
    try:
        parse_address(text)
    except ValueError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class UdpSocketParams:
    """Parameters of ``udp_socket``."""

    input: str | None = param(None, doc="Link of the packets to send.", link=True)
    output: str | None = param(None, doc="Link the received datagrams leave on.", link=True)
    bind_address: str = param(
        "",
        doc="Local host:port to bind; port 0 picks a free port; empty binds any address, free port.",
        check=_check_address,
    )
    remote_address: str = param(
        "",
        doc="host:port that packets from the input are sent to; empty answers the sender "
        "of the most recent datagram received.",
        check=_check_address,
    )
    socket_buffer: int = param(
        4 * 1024 * 1024,
        doc="Kernel send and receive buffer size in bytes (capped by the system maximum); "
        "large buffers absorb bursts instead of dropping them.",
        minimum=0,
        maximum=2**31 - 1,
    )
    receive_queue: int = param(
        8192,
        doc="Datagrams held between the socket and the pipeline; more are dropped and counted.",
        minimum=1,
    )


class _Protocol(asyncio.DatagramProtocol):
    """Feeds the component's receive queue; kept tiny because it runs once per datagram."""

    def __init__(self, owner: UdpSocket) -> None:
        self._owner = owner

    def datagram_received(self, data: bytes, addr: Any) -> None:
        owner = self._owner
        if len(owner.rx_queue) >= owner.rx_capacity:
            owner.rx_overflows += 1
            return
        owner.rx_queue.append(data)
        owner.peer = addr
        if not owner.woken:
            owner.woken = True
            owner.wake()

    def error_received(self, exc: Exception) -> None:
        self._owner.socket_errors += 1

    def pause_writing(self) -> None:
        self._owner.paused = True

    def resume_writing(self) -> None:
        self._owner.paused = False
        self._owner.wake()


@register("udp_socket")
class UdpSocket(Component[UdpSocketParams]):
    """A UDP socket: sends its input to ``remote_address``, emits what it receives.

    With only ``bind_address`` it is a receiver (and answers senders when its input is used);
    with ``remote_address`` it sends. It finishes when its input has finished and nobody
    downstream needs its received packets any more.
    """

    params_type = UdpSocketParams
    io = True

    def __init__(self, *, component_id: str, params: UdpSocketParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self.rx_queue: list[bytes] = []
        self.rx_capacity = params.receive_queue
        self.rx_overflows = 0
        self.socket_errors = 0
        self.bytes_sent = 0
        self.bytes_received = 0
        self.peer: Any = None
        self.woken = False
        self.paused = False
        self.wake: Callable[[], None] = _ignore
        self.local_address: Address | None = None
        self._remote: Any = None
        self._transport: asyncio.DatagramTransport | None = None

    async def open(self, wake: Callable[[], None]) -> None:
        """Bind the socket (``local_address`` then holds the real port) and resolve the remote."""
        self.wake = wake
        loop = asyncio.get_running_loop()
        family = int(socket.AF_UNSPEC)
        if self.params.remote_address:
            self._remote, family = await _resolve(loop, self.params.remote_address)
        local = self.params.bind_address or ("[::]:0" if family == socket.AF_INET6 else "0.0.0.0:0")
        bind, bind_family = await _resolve(loop, local)
        sock = _bound_socket(bind, bind_family, self.params.socket_buffer)
        transport, _ = await loop.create_datagram_endpoint(lambda: _Protocol(self), sock=sock)
        self._transport = transport
        sockname = transport.get_extra_info("sockname")
        self.local_address = (str(sockname[0]), int(sockname[1]))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def handle(self, port: int, batch: Batch, now: float) -> None:
        transport = self._transport
        remote = self._remote or self.peer
        if transport is None or remote is None:
            self.packets_dropped += len(batch)
            return
        sendto = transport.sendto
        sent_bytes = 0
        failed = 0
        for packet in batch:
            try:
                sendto(packet.payload, remote)
            except (OSError, ValueError):  # e.g. a datagram too large: drop it, keep running
                failed += 1
                continue
            sent_bytes += len(packet.payload)
        self.socket_errors += failed
        self.bytes_sent += sent_bytes
        self.packets_dropped += failed
        self.packets_consumed += len(batch) - failed

    def poll(self, now: float) -> None:
        self.woken = False
        if not self.rx_queue:
            return
        received, self.rx_queue = self.rx_queue, []
        batch = [Packet(data, now) for data in received]
        self.bytes_received += sum(map(len, received))
        self.packets_produced += len(batch)
        self.emit(0, batch)

    def next_deadline(self) -> float | None:
        # A deadline in the past means "due now": datagrams are waiting.
        return 0.0 if self.rx_queue else None

    def can_accept(self) -> bool:
        return not self.paused

    def finished(self, now: float, *, inputs_done: bool, outputs_done: bool) -> bool:
        return inputs_done and outputs_done

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        port = self.local_address[1] if self.local_address else 0
        return (
            counter(
                "datagrams_sent",
                self.packets_consumed,
                "packets",
                "Datagrams written to the socket.",
            ),
            counter("bytes_sent", self.bytes_sent, "bytes", "Payload bytes written to the socket."),
            counter(
                "datagrams_received",
                self.packets_produced,
                "packets",
                "Datagrams read from the socket.",
            ),
            counter(
                "bytes_received",
                self.bytes_received,
                "bytes",
                "Payload bytes read from the socket.",
            ),
            counter(
                "receive_overflows",
                self.rx_overflows,
                "packets",
                "Datagrams dropped: receive queue full.",
            ),
            counter(
                "socket_errors",
                self.socket_errors,
                "errors",
                "Errors reported by the socket (e.g. ICMP unreachable).",
            ),
            gauge("local_port", port, "port", "UDP port the socket is bound to."),
        )


def _bound_socket(address: Any, family: int, buffer_size: int) -> socket.socket:
    """A non-blocking UDP socket bound to ``address`` with the requested kernel buffers."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if buffer_size:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer_size)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, buffer_size)
        sock.setblocking(False)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


async def _resolve(loop: asyncio.AbstractEventLoop, text: str) -> tuple[Any, int]:
    """Resolve ``host:port`` to a socket address and its family (numeric hosts skip DNS)."""
    host, port = parse_address(text)
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
        family, _, _, _, sockaddr = infos[0]
        return sockaddr, int(family)
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    return (str(ip), port), int(family)


def _ignore() -> None:
    """Wake callback used before the engine opens the component."""
