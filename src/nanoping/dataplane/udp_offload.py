"""Batched UDP I/O with the kernel's segmentation (GSO) and receive (GRO) offloads.

One ``send`` costs about 3 µs per datagram in Python; one ``sendmsg`` carrying a run of
same-size datagrams with ``UDP_SEGMENT`` costs the kernel's segmentation instead, and a
socket with ``UDP_GRO`` on hands back a run of datagrams from one sender in one
``recvmsg``, with the segment size in a control message. Python's ``socket`` module lacks
the option names, so the numbers come from ``linux/udp.h``.

Datagram boundaries stay exact both ways: a GSO send carries segments of one size (the last
may be shorter) and the kernel sends each as its own datagram; a GRO read is cut back into
segments of the size the kernel reports.
"""

from __future__ import annotations

import errno
import socket
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from nanoping.dataplane.datagram_io import DatagramDevice, WriteResult
from nanoping.dataplane.metrics import Metric, counter, gauge

SOL_UDP = 17
"""Socket level of the UDP options (IPPROTO_UDP)."""
UDP_SEGMENT = 103
"""Send option: segment size of a GSO send (linux/udp.h)."""
UDP_GRO = 104
"""Receive option: coalesce datagrams of one flow; the segment size comes as a cmsg."""
MAX_SEGMENTS = 64
"""Segments the kernel accepts in one GSO send (UDP_MAX_SEGMENTS)."""
MAX_GSO_BYTES = 65_000
"""Bytes of one GSO send, kept under the 64 KiB an IP datagram may carry with its headers."""
RECEIVE_BUFFER = 65_536
"""Bytes read per call: the largest datagram, or a run of coalesced ones."""
_GRO_SPACE = socket.CMSG_SPACE(4)
_SEGMENT = struct.Struct("=H")
_GRO_SIZE = struct.Struct("=i")
_GIVE_UP_GSO = {errno.EIO, errno.EOPNOTSUPP, errno.ENOPROTOOPT}
"""Errors of a GSO send meaning the path cannot segment (e.g. no checksum offload)."""


@dataclass(frozen=True, slots=True)
class Offloads:
    """Which UDP offloads a socket may use."""

    gso: bool
    """Send runs of same-size datagrams in one call."""
    gro: bool
    """Receive coalesced runs in one call."""


NO_OFFLOADS = Offloads(gso=False, gro=False)
_probed: dict[int, Offloads] = {}


def probe_offloads(family: int) -> Offloads:
    """What this kernel supports for ``family`` sockets; asked once per process and family."""
    known = _probed.get(family)
    if known is None:
        known = _probed[family] = _probe(family)
    return known


def _probe(family: int) -> Offloads:
    try:
        sock = socket.socket(family, socket.SOCK_DGRAM)
    except OSError:
        return NO_OFFLOADS
    with sock:
        return Offloads(gso=_try(sock.getsockopt, UDP_SEGMENT), gro=_try(sock.setsockopt, UDP_GRO))


def _try(call: Any, option: int) -> bool:
    try:
        if option == UDP_GRO:
            call(SOL_UDP, option, 1)
        else:
            call(SOL_UDP, option)
    except OSError:
        return False
    return True


class UdpDevice(DatagramDevice):
    """A bound non-blocking UDP socket read and written in batches, offloads when available."""

    def __init__(self, sock: socket.socket, offloads: Offloads) -> None:
        self._sock = sock
        self.gso = offloads.gso
        self.gro = offloads.gro and _try(sock.setsockopt, UDP_GRO)
        self._buffer = bytearray(RECEIVE_BUFFER)
        self._view = memoryview(self._buffer)
        self._peer: Any = None
        self.gso_sends = 0
        self.gro_reads = 0

    def fileno(self) -> int:
        return self._sock.fileno()

    @property
    def last_peer(self) -> Any:
        return self._peer

    def close(self) -> None:
        self._view.release()
        self._sock.close()

    def read_batch(self, limit: int) -> list[bytes]:
        out: list[bytes] = []
        receive, buffers, view = self._sock.recvmsg_into, [self._buffer], self._view
        space = _GRO_SPACE if self.gro else 0
        while len(out) < limit:
            try:
                size, ancillary, _, peer = receive(buffers, space)
            except BlockingIOError:
                break
            except OSError:
                self.errors += 1
                break
            self._peer = peer
            segment = _segment_size(ancillary) if ancillary else 0
            if segment and size > segment:
                self.gro_reads += 1
                out.extend(bytes(view[i : min(i + segment, size)]) for i in range(0, size, segment))
            else:
                out.append(bytes(view[:size]))
        return out

    def write_batch(self, payloads: Sequence[bytes], peer: Any) -> WriteResult:
        written = failed = size = 0
        index, count = 0, len(payloads)
        single_until = 0  # after a refused GSO send, its datagrams go one by one
        while index < count:
            end = index + 1
            if self.gso and index >= single_until:
                end = _run_end(payloads, index)
            try:
                if end - index > 1:
                    run = payloads[index:end]
                    self._send_run(run, peer)
                    size += sum(map(len, run))
                else:
                    size += self._sock.sendto(payloads[index], peer)
            except BlockingIOError:
                break
            except OSError as error:
                if end - index > 1:
                    self.gso = error.errno not in _GIVE_UP_GSO
                    single_until = end
                    continue
                failed += 1
                index += 1
                continue
            written += end - index
            index = end
        return WriteResult(written, failed, size)

    def _send_run(self, run: Sequence[bytes], peer: Any) -> None:
        option = [(SOL_UDP, UDP_SEGMENT, _SEGMENT.pack(len(run[0])))]
        self._sock.sendmsg([b"".join(run)], option, 0, peer)
        self.gso_sends += 1

    def describe(self) -> Iterable[Metric]:
        return (
            gauge("gso", float(self.gso), "bool", "1 while sends use UDP segmentation offload."),
            gauge("gro", float(self.gro), "bool", "1 when reads use UDP receive offload."),
            counter("gso_sends", self.gso_sends, "calls", "Sends that carried several datagrams."),
            counter("gro_reads", self.gro_reads, "calls", "Reads that returned several datagrams."),
        )


def _run_end(payloads: Sequence[bytes], start: int) -> int:
    """End of the run of datagrams from ``start`` that one GSO send can carry."""
    segment = len(payloads[start])
    if segment == 0:
        return start + 1
    total, end, limit = 0, start, min(len(payloads), start + MAX_SEGMENTS)
    while end < limit and total + segment <= MAX_GSO_BYTES:
        length = len(payloads[end])
        if length > segment or length == 0:  # an empty datagram cannot ride in a GSO send
            break
        total += length
        end += 1
        if length < segment:  # only the last segment may be shorter
            break
    return end


def _segment_size(ancillary: list[tuple[int, int, bytes]]) -> int:
    for level, kind, data in ancillary:
        if level == SOL_UDP and kind == UDP_GRO and len(data) >= 4:
            return int(_GRO_SIZE.unpack_from(data)[0])
    return 0
