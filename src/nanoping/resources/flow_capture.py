"""Capturing packets for openFlowsStream, only while someone watches.

One ``AF_PACKET`` socket sees every interface of the node's network namespace, without the
link-layer header (so loopback, Ethernet and TUN devices look alike). A thread of its own reads
it, so the node's event loop never waits on capture: it reads only the first
:data:`SNAP_LENGTH` bytes of each packet (the kernel still reports the packet's full length),
parses the headers (:mod:`nanoping.resources.packet_header`) and counts them in a
:class:`~nanoping.resources.flow_table.FlowTable`. The event loop takes a snapshot about once a
second. When the last watcher leaves, the thread stops and the socket is closed: nothing is
captured while nobody watches.

On loopback the kernel shows every packet twice (leaving and arriving); a socket filter drops
the leaving copy in the kernel, so it costs no wake-up. Packets the kernel dropped because the capture fell behind are counted
(``PACKET_STATISTICS``) in :attr:`FlowCapture.missed` and logged.

Capturing needs ``CAP_NET_RAW``; without it the stream fails with PERMISSION_DENIED.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import select
import socket
import struct
import threading
import time
from collections.abc import Callable

from nanoping.api import resources_pb2
from nanoping.errors import PermissionDenied
from nanoping.resources.flow_table import FlowTable
from nanoping.resources.packet_header import PacketHeader, parse

log = logging.getLogger(__name__)

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_STATISTICS = 6
PACKET_OUTGOING = 4
ARPHRD_LOOPBACK = 772
SO_RCVBUFFORCE = 33
"""Linux: set the receive buffer past rmem_max (allowed with CAP_NET_ADMIN)."""
SNAP_LENGTH = 128
"""Bytes of each packet read (enough for IPv6 with extension headers and TCP)."""
RECEIVE_BUFFER = 8 * 1024 * 1024
"""Socket receive buffer asked for, so bursts wait in the kernel instead of being dropped."""
POLL_TIMEOUT = 0.2
"""Seconds the capture thread waits for a packet before looking whether to stop."""
BATCH = 256
"""Most packets taken from the socket before they are counted under the table's lock."""
SNAPSHOT_INTERVAL = 1.0
"""Seconds between two snapshots."""
NO_PRIVILEGE = (
    "capturing packets needs the CAP_NET_RAW capability, which this node does not have: "
    "run it as root or grant the capability (e.g. setcap cap_net_raw+ep on the interpreter)"
)

SocketOpener = Callable[[], socket.socket]
"""Opens the packet socket (tests open one inside a network namespace)."""


SO_ATTACH_FILTER = 26
_SKF_AD_PKTTYPE = (-0x1000 + 4) & 0xFFFFFFFF
_SKF_AD_HATYPE = (-0x1000 + 28) & 0xFFFFFFFF
_LOOPBACK_OUTGOING_FILTER = (
    (0x20, 0, 0, _SKF_AD_PKTTYPE),  # A = packet type
    (0x15, 0, 2, PACKET_OUTGOING),  # leaving? look at the device, else accept
    (0x20, 0, 0, _SKF_AD_HATYPE),  # A = device type
    (0x15, 1, 0, ARPHRD_LOOPBACK),  # loopback? drop, else accept
    (0x06, 0, 0, 0x40000),  # accept the whole packet
    (0x06, 0, 0, 0),  # drop
)
"""Classic BPF: drop the copy of a loopback packet seen leaving (it is seen again arriving)."""


def attach_filter(sock: socket.socket) -> None:
    """Attach :data:`_LOOPBACK_OUTGOING_FILTER` (the Python check stays as a fallback)."""
    program = b"".join(
        struct.pack("HBBI", *instruction) for instruction in _LOOPBACK_OUTGOING_FILTER
    )
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = struct.pack("HL", len(_LOOPBACK_OUTGOING_FILTER), ctypes.addressof(buffer))
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
    except OSError as error:
        log.warning("cannot attach the capture filter (loopback costs twice): %s", error)


def open_packet_socket() -> socket.socket:
    """A packet socket on every interface of this network namespace, headers without link layer."""
    try:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
    except PermissionError:
        raise PermissionDenied(NO_PRIVILEGE) from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    attach_filter(sock)
    return sock


class FlowCapture:
    """Runs the capture while watched and publishes flow snapshots (a WatchedFeed producer)."""

    def __init__(
        self,
        *,
        table: Callable[[], FlowTable] = FlowTable,
        open_socket: SocketOpener = open_packet_socket,
        clock: Callable[[], float] = time.time,
        snapshot_interval: float = SNAPSHOT_INTERVAL,
    ) -> None:
        self._new_table = table
        self._open_socket = open_socket
        self._clock = clock
        self._interval = snapshot_interval
        self.captured = 0
        """Packets counted since the node started (over every capture)."""
        self.missed = 0
        """Packets the kernel dropped because the capture fell behind."""

    def check_privilege(self) -> None:
        """PERMISSION_DENIED now if capturing is not allowed (so the caller learns at once)."""
        self._open_socket().close()

    async def produce(
        self,
        publish: Callable[[resources_pb2.FlowsSample], None],
        watched: Callable[[], bool],
    ) -> None:
        """Capture and publish a snapshot at once, then about every second, while watched."""
        table = self._new_table()
        lock = threading.Lock()
        stop = threading.Event()
        sock = self._open_socket()
        reader = threading.Thread(
            target=self._capture, args=(sock, table, lock, stop), name="flow capture", daemon=True
        )
        reader.start()
        log.info("flow capture started")
        try:
            while True:
                with lock:
                    flows = table.snapshot(self._clock())
                publish(_sample(flows))
                await asyncio.sleep(self._interval)
                if not watched():
                    return
        finally:
            stop.set()
            await asyncio.to_thread(reader.join)
            self._count_missed(sock)
            sock.close()
            log.info("flow capture stopped (%d packets missed so far)", self.missed)

    def _capture(
        self, sock: socket.socket, table: FlowTable, lock: threading.Lock, stop: threading.Event
    ) -> None:
        sock.setblocking(False)
        waiter = select.poll()
        waiter.register(sock, select.POLLIN)
        while not stop.is_set():
            try:
                if not waiter.poll(POLL_TIMEOUT * 1000):
                    continue
                batch = _read_batch(sock)
            except OSError as error:
                log.warning("flow capture failed: %s", error)
                return
            if not batch:
                continue
            with lock:
                now = self._clock()
                for interface, header, length in batch:
                    table.observe(interface, header, length, now)
            self.captured += len(batch)

    def _count_missed(self, sock: socket.socket) -> None:
        try:
            raw = sock.getsockopt(SOL_PACKET, PACKET_STATISTICS, 8)
        except OSError:
            return
        _, drops = struct.unpack("II", raw)
        self.missed += drops


def _read_batch(sock: socket.socket) -> list[tuple[str, PacketHeader, int]]:
    """Take what is queued on the (non-blocking) socket, up to BATCH packets.

    One lock and one clock reading per batch instead of per packet.
    """
    buffer = bytearray(SNAP_LENGTH)
    view = memoryview(buffer)
    batch: list[tuple[str, PacketHeader, int]] = []
    for _ in range(BATCH):
        try:
            length, address = sock.recvfrom_into(buffer, SNAP_LENGTH, socket.MSG_TRUNC)
        except BlockingIOError:
            break
        interface, ethertype, packet_type, hardware_type = address[:4]
        if packet_type == PACKET_OUTGOING and hardware_type == ARPHRD_LOOPBACK:
            continue  # the filter drops these; kept in case it could not be attached
        header = parse(bytes(view[: min(length, SNAP_LENGTH)]), ethertype)
        if header is not None:
            batch.append((interface, header, length))
    return batch


def _sample(flows: list[resources_pb2.Flow]) -> resources_pb2.FlowsSample:
    sample = resources_pb2.FlowsSample(flows=flows)
    sample.timestamp.GetCurrentTime()
    return sample
