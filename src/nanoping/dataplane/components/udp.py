"""``udp_socket``: where packets enter and leave a node over the network.

Datagrams received on the socket are drained in batches and handed to the pipeline on the
next engine step; packets arriving on the component's input are written to the socket at
once, same-size runs in one GSO call where the kernel supports it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from nanoping.dataplane.component import register
from nanoping.dataplane.datagram_io import DatagramComponent, DatagramDevice
from nanoping.dataplane.metrics import Metric, gauge
from nanoping.dataplane.parameter import param
from nanoping.dataplane.udp_offload import NO_OFFLOADS, UdpDevice, probe_offloads

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
        doc="Kernel send and receive buffer size in bytes (capped by the system maximum unless "
        "the run has CAP_NET_ADMIN); "
        "large buffers absorb bursts instead of dropping them.",
        minimum=0,
        maximum=2**31 - 1,
    )
    receive_queue: int = param(
        8192,
        doc="Datagrams held between the socket and the pipeline; when full, reading pauses "
        "and the kernel buffer holds the rest.",
        minimum=1,
    )
    offload: bool = param(
        True,
        doc="Use UDP segmentation and receive offload (GSO/GRO) where the kernel has them.",
    )


@register("udp_socket")
class UdpSocket(DatagramComponent[UdpSocketParams]):
    """A UDP socket: sends its input to ``remote_address``, emits what it receives.

    With only ``bind_address`` it is a receiver (and answers senders when its input is used);
    with ``remote_address`` it sends. It finishes when its input has finished and nobody
    downstream needs its received packets any more. Reads and writes are batched, with UDP
    GSO and GRO when the kernel has them (see ``udp_offload.py``).
    """

    params_type = UdpSocketParams

    def __init__(self, *, component_id: str, params: UdpSocketParams) -> None:
        super().__init__(
            component_id=component_id, params=params, receive_queue=params.receive_queue
        )
        self.local_address: Address | None = None
        self._remote: Any = None

    async def open_device(self) -> DatagramDevice:
        """Bind the socket (``local_address`` then holds the real port) and resolve the remote."""
        loop = asyncio.get_running_loop()
        family = int(socket.AF_UNSPEC)
        if self.params.remote_address:
            self._remote, family = await _resolve(loop, self.params.remote_address)
        local = self.params.bind_address or ("[::]:0" if family == socket.AF_INET6 else "0.0.0.0:0")
        bind, bind_family = await _resolve(loop, local)
        sock = _bound_socket(bind, bind_family, self.params.socket_buffer)
        offloads = probe_offloads(bind_family) if self.params.offload else NO_OFFLOADS
        device = UdpDevice(sock, offloads)
        sockname = sock.getsockname()
        self.local_address = (str(sockname[0]), int(sockname[1]))
        return device

    def destination(self) -> Any:
        if self._remote is not None:
            return self._remote
        return self.device.last_peer if self.device is not None else None

    def can_send(self) -> bool:
        return self.destination() is not None

    @property
    def peer(self) -> Any:
        """Address of the most recent sender, or None."""
        return self.device.last_peer if self.device is not None else None

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        port = self.local_address[1] if self.local_address else 0
        return (
            *self.io_metrics(),
            gauge("local_port", port, "port", "UDP port the socket is bound to."),
        )


def _bound_socket(address: Any, family: int, buffer_size: int) -> socket.socket:
    """A non-blocking UDP socket bound to ``address`` with the requested kernel buffers."""
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if buffer_size:
            _set_buffer(sock, _SO_RCVBUFFORCE, socket.SO_RCVBUF, buffer_size)
            _set_buffer(sock, _SO_SNDBUFFORCE, socket.SO_SNDBUF, buffer_size)
        sock.setblocking(False)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


_SO_SNDBUFFORCE = 32
_SO_RCVBUFFORCE = 33
"""Linux's options that set a buffer past the system maximum (net.core.*mem_max); the socket
module lacks their names. They need CAP_NET_ADMIN, which runs carrying TUN traffic have."""


def _set_buffer(sock: socket.socket, forced: int, plain: int, size: int) -> None:
    """Ask for ``size`` bytes past the system cap when allowed, else up to the cap."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, forced, size)
    except OSError:  # no CAP_NET_ADMIN (or not Linux): the kernel caps the plain option
        sock.setsockopt(socket.SOL_SOCKET, plain, size)


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
