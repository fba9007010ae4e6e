"""``tun`` and ``tap``: a virtual interface whose traffic enters and leaves the pipeline.

``tun`` carries IP packets, ``tap`` Ethernet frames. The interface is created when the run
starts and configured through netlink (pyroute2): MTU, address, link up, and optionally the
default route. It is never made persistent, so the kernel removes it as soon as the
descriptor closes — at the end of the run, and also when the run process dies in any way
(kill -9 included); run processes die with their node, so a killed node leaves none behind.

With ``generic_offload`` (tun only) the descriptor carries a virtio-net header before each
packet and the interface exchanges TCP super-packets (up to :data:`SUPER_PACKET` bytes) with
the kernel, which segments and checksums them: the pipeline moves one packet per 40-odd TCP
segments. The header travels inside the payload, so both ends must use the option.

Creating an interface needs root or CAP_NET_ADMIN; without it the run fails at start saying
so (and ``createPipeline`` logs a warning, see
:func:`nanoping.dataplane.privileges.privilege_warnings`).
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import ipaddress
import os
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from nanoping.dataplane.component import register
from nanoping.dataplane.datagram_io import DatagramComponent, DatagramDevice, WriteResult
from nanoping.dataplane.metrics import Metric, gauge
from nanoping.dataplane.parameter import param

TUN_DEVICE = "/dev/net/tun"
TUNSETIFF = 0x400454CA
"""ioctl attaching a descriptor to a new (or existing) interface (linux/if_tun.h)."""
IFF_TUN = 0x0001
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
"""No packet-information prefix: reads and writes are bare packets or frames."""
IFF_PERSIST = 0x0800
"""Set on interfaces that outlive their descriptor (never by us)."""
TUNGETIFF = 0x800454D2
IFF_VNET_HDR = 0x4000
"""Every packet read or written starts with a virtio-net header (GSO and checksum facts)."""
TUNSETOFFLOAD = 0x400454D0
TUN_F_CSUM, TUN_F_TSO4, TUN_F_TSO6, TUN_F_TSO_ECN = 0x01, 0x02, 0x04, 0x08
VNET_HEADER = 10
"""Bytes of the virtio-net header (struct virtio_net_hdr) in front of each packet."""
SUPER_PACKET = 60_000
"""Largest super-packet asked of the kernel (gso_max_size), so that header and packet still
fit one UDP datagram (65,507 bytes)."""
IFNAMSIZ = 16
_IFREQ = struct.Struct("16sH22x")
ETHERNET_HEADER = 18
"""Bytes a TAP frame adds to the MTU (header and a VLAN tag)."""


def _check_name(name: str) -> str | None:
    if not name or len(name.encode()) >= IFNAMSIZ:
        return f"interface names have 1 to {IFNAMSIZ - 1} bytes, got {name!r}"
    if any(c in name for c in "/ \t\n:%") or name in {".", ".."}:
        return f"{name!r} is not a valid interface name (no '/', ':', '%' or spaces)"
    return None


def _check_ip(text: str) -> str | None:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return f"expected an IPv4 or IPv6 address, got {text!r}"
    return None


def _check_netmask(text: str) -> str | None:
    if text.isdigit() and int(text) <= 128:
        return None  # a prefix length; checked against the address family at start
    try:
        ipaddress.IPv4Network(f"0.0.0.0/{text}")
    except ValueError:
        return f"expected a netmask such as 255.255.255.0 (or a prefix length), got {text!r}"
    return None


@dataclass(frozen=True)
class InterfaceParams:
    """Parameters shared by ``tun`` and ``tap``."""

    input: str | None = param(
        None, doc="Link of the packets written to the interface (to the kernel).", link=True
    )
    output: str | None = param(
        None, doc="Link the packets read from the interface leave on.", link=True
    )
    interface_name: str = param(
        "tun0", doc="Name of the interface created for the run.", check=_check_name
    )
    ip: str = param("10.0.0.1", doc="Address given to the interface.", check=_check_ip)
    netmask: str = param(
        "255.255.255.0",
        doc="Netmask of an IPv4 address, or a prefix length.",
        check=_check_netmask,
    )
    is_default_route: bool = param(
        False, doc="Make the interface the default route while the run lasts."
    )
    mtu: int = param(1280, doc="MTU of the interface, bytes.", minimum=68, maximum=65535)
    receive_queue: int = param(
        8192,
        doc="Packets held between the interface and the pipeline; when full, reading "
        "pauses and the kernel queue holds the rest.",
        minimum=1,
    )


@dataclass(frozen=True)
class TunParams(InterfaceParams):
    """Parameters of ``tun``."""

    generic_offload: bool = param(
        False,
        doc="Exchange TCP/UDP super-packets (up to 64 KB, with a virtio-net header in front) "
        "with the kernel instead of MTU-size packets; both ends of a tunnel must set it.",
    )


@dataclass(frozen=True)
class TapParams(InterfaceParams):
    """Parameters of ``tap``."""

    interface_name: str = param(
        "tap0", doc="Name of the interface created for the run.", check=_check_name
    )


class TunDevice(DatagramDevice):
    """An open TUN/TAP descriptor: one read or write per packet, drained in batches."""

    def __init__(self, fd: int, *, name: str, read_size: int) -> None:
        self._fd = fd
        self.name = name
        self._read_size = read_size

    def fileno(self) -> int:
        return self._fd

    def read_batch(self, limit: int) -> list[bytes]:
        out: list[bytes] = []
        read, fd, size = os.read, self._fd, self._read_size
        while len(out) < limit:
            try:
                out.append(read(fd, size))
            except BlockingIOError:
                break
        return out

    def fatal(self, error: OSError) -> str | None:
        # Any other read error means the interface is gone (deleted, or its namespace was).
        return f"interface '{self.name}' stopped working: {error.strerror or error}"

    def write_batch(self, payloads: Sequence[bytes], peer: Any) -> WriteResult:
        written = failed = size = 0
        write, fd = os.write, self._fd
        for payload in payloads:
            try:
                size += write(fd, payload)
            except BlockingIOError:
                break
            except OSError:  # not a packet the kernel takes (malformed, too large)
                failed += 1
                continue
            written += 1
        return WriteResult(written, failed, size)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # the interface is not persistent: the kernel removes it now
            self._fd = -1


def open_interface(name: str, *, tap: bool, offload: bool = False) -> int:
    """Create interface ``name`` and return its non-blocking descriptor; OSError says why not.

    With ``offload`` the descriptor carries a virtio-net header before every packet and the
    interface takes and gives TCP super-packets (checksum and segmentation offload).
    """
    kind = "tap" if tap else "tun"
    try:
        fd = os.open(TUN_DEVICE, os.O_RDWR | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError:
        raise OSError(
            errno.ENODEV, f"cannot create {kind} '{name}': {TUN_DEVICE} is missing (no tun module)"
        ) from None
    try:
        flags = (IFF_TAP if tap else IFF_TUN) | IFF_NO_PI | (IFF_VNET_HDR if offload else 0)
        fcntl.ioctl(fd, TUNSETIFF, _IFREQ.pack(name.encode(), flags))
        _refuse_persistent(fd, kind, name)
        if offload:
            features = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN
            fcntl.ioctl(fd, TUNSETOFFLOAD, features)
    except OSError as error:
        os.close(fd)
        message = str(error.strerror) if error.errno == errno.EEXIST else None
        raise OSError(error.errno, message or _refusal(kind, name, error)) from None
    return fd


def _refuse_persistent(fd: int, kind: str, name: str) -> None:
    """Refuse an interface someone made persistent: it would outlive the run."""
    answer = fcntl.ioctl(fd, TUNGETIFF, bytes(_IFREQ.size))
    _, flags = _IFREQ.unpack(answer)
    if flags & IFF_PERSIST:
        raise OSError(
            errno.EEXIST,
            f"cannot create {kind} '{name}': a persistent interface of that name exists "
            "(made outside NanoPing); remove it or choose another interface_name",
        )


def _refusal(kind: str, name: str, error: OSError) -> str:
    if error.errno == errno.EPERM:
        return (
            f"cannot create {kind} '{name}': creating an interface needs root or CAP_NET_ADMIN, "
            "which this node does not have"
        )
    if error.errno in (errno.EBUSY, errno.EINVAL):
        return f"cannot create {kind} '{name}': an interface of that name exists and is in use"
    return f"cannot create {kind} '{name}': {error.strerror}"


def configure_interface(
    name: str, *, ip: str, netmask: str, mtu: int, default_route: bool, super_packets: bool = False
) -> None:
    """Set MTU and address, bring the link up and optionally route everything through it."""
    from pyroute2 import IPRoute  # type: ignore[import-untyped]  # only interface runs pay for it

    address = ipaddress.ip_address(ip)
    prefix = prefix_length(address, netmask)
    with IPRoute() as ipr:
        index = ipr.link_lookup(ifname=name)[0]
        ipr.link("set", index=index, mtu=mtu)
        if super_packets:
            ipr.link("set", index=index, gso_max_size=SUPER_PACKET)
        ipr.addr("add", index=index, address=str(address), prefixlen=prefix)
        ipr.link("set", index=index, state="up")
        if default_route:
            ipr.route("replace", dst="::/0" if address.version == 6 else "0.0.0.0/0", oif=index)


def prefix_length(address: ipaddress.IPv4Address | ipaddress.IPv6Address, netmask: str) -> int:
    """Prefix length for ``address`` from a netmask or a length; ValueError when it cannot fit.

    An IPv6 address with a dotted netmask (the IPv4 default) gets a /128 of its own.
    """
    if netmask.isdigit():
        length = int(netmask)
        if length > address.max_prefixlen:
            raise ValueError(f"prefix length {length} is too long for {address}")
        return length
    if address.version == 6:
        return address.max_prefixlen
    return ipaddress.IPv4Network(f"0.0.0.0/{netmask}").prefixlen


class _Interface(DatagramComponent[InterfaceParams]):
    """A TUN or TAP interface: what the kernel routes to it leaves on output 0, input 0 is injected."""

    tap: ClassVar[bool] = False
    needs_net_admin: ClassVar[bool] = True

    def __init__(self, *, component_id: str, params: InterfaceParams) -> None:
        super().__init__(
            component_id=component_id, params=params, receive_queue=params.receive_queue
        )

    async def open_device(self) -> DatagramDevice:
        p = self.params
        offload = bool(getattr(p, "generic_offload", False))
        fd = open_interface(p.interface_name, tap=self.tap, offload=offload)
        try:
            # pyroute2 runs its own event loop; in a thread it cannot clash with the run's.
            await asyncio.to_thread(
                configure_interface,
                p.interface_name,
                ip=p.ip,
                netmask=p.netmask,
                mtu=p.mtu,
                default_route=p.is_default_route,
                super_packets=offload,
            )
        except Exception as error:
            os.close(fd)
            raise OSError(
                errno.EIO, f"cannot configure interface '{p.interface_name}': {error}"
            ) from None
        if offload:
            return TunDevice(fd, name=p.interface_name, read_size=VNET_HEADER + 65_535)
        extra = ETHERNET_HEADER if self.tap else 0
        return TunDevice(fd, name=p.interface_name, read_size=p.mtu + extra)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            *self.io_metrics(),
            gauge("mtu", self.params.mtu, "bytes", "MTU of the interface."),
        )


@register("tun")
class Tun(_Interface):
    """A TUN interface carrying IP packets between the kernel and the pipeline."""

    params_type = TunParams


@register("tap")
class Tap(_Interface):
    """A TAP interface carrying Ethernet frames between the kernel and the pipeline."""

    params_type = TapParams
    tap = True
