"""One I/O base for everything that moves whole datagrams through a file descriptor.

UDP sockets, TUN devices (IP packets) and TAP devices (Ethernet frames) differ only in how
one batch is read or written; everything around that is shared here:

- :class:`DatagramDevice` is the raw side: a non-blocking descriptor with a batched
  :meth:`~DatagramDevice.read_batch` and :meth:`~DatagramDevice.write_batch`.
- :class:`DatagramComponent` is the pipeline side: it watches the descriptor with
  ``loop.add_reader``, drains up to ``read_batch`` datagrams per wake-up into a bounded queue
  handed to the pipeline on the next engine step, and writes each input batch at once.

Back-pressure both ways: when the receive queue is full the component stops reading (the
kernel buffer holds what follows, or drops it and counts it there), and when the kernel
refuses a write (EAGAIN) the rest of the batch waits in a backlog, the component refuses
input until the descriptor is writable again.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from nanoping.dataplane.component import Component
from nanoping.dataplane.metrics import Metric, counter, gauge
from nanoping.dataplane.packet import Batch, Packet

P = TypeVar("P")
READ_BATCH = 256
"""Datagrams read per readable event at most, so one busy descriptor cannot starve the loop."""


@dataclass(frozen=True, slots=True)
class WriteResult:
    """Outcome of one :meth:`DatagramDevice.write_batch` call."""

    written: int
    """Datagrams the kernel took."""
    failed: int
    """Datagrams refused for good (too large, unreachable...): dropped and counted."""
    size: int
    """Payload bytes of the datagrams written."""


class DatagramDevice(ABC):
    """A non-blocking descriptor that carries whole datagrams, read and written in batches."""

    errors = 0
    """Errors the kernel reported while reading (e.g. ICMP unreachable on a socket)."""

    @abstractmethod
    def fileno(self) -> int:
        """The descriptor the event loop watches."""

    @abstractmethod
    def read_batch(self, limit: int) -> list[bytes]:
        """Up to ``limit`` datagrams available now, [] when none (never blocks)."""

    @abstractmethod
    def write_batch(self, payloads: Sequence[bytes], peer: Any) -> WriteResult:
        """Write datagrams in order until done or the kernel would block.

        ``written + failed < len(payloads)`` means the kernel's buffer is full: the caller
        retries the rest when the descriptor is writable.
        """

    @abstractmethod
    def close(self) -> None:
        """Release the descriptor; safe to call twice."""

    @property
    def last_peer(self) -> Any:
        """Address of the sender of the most recent datagram read (sockets only)."""
        return None

    def fatal(self, error: OSError) -> str | None:
        """Why the device cannot go on after ``error`` from a read, or None to keep reading."""
        return None

    def describe(self) -> Iterable[Metric]:
        """Device-specific metrics (offloads in use and the like)."""
        return ()


class DatagramComponent(Component[P]):
    """Base of the I/O components: datagrams read from a device leave on output 0, input 0 is written.

    Subclasses implement :meth:`open_device` and, for sockets, :meth:`destination`.
    """

    io = True

    def __init__(self, *, component_id: str, params: P, receive_queue: int) -> None:
        super().__init__(component_id=component_id, params=params)
        self.device: DatagramDevice | None = None
        self.rx_queue: list[bytes] = []
        self.rx_capacity = receive_queue
        self.rx_pauses = 0
        self.socket_errors = 0
        self.bytes_sent = 0
        self.bytes_received = 0
        self.wake: Callable[[], None] = _ignore
        self._loop: asyncio.AbstractEventLoop | None = None
        self._reading = False
        self._backlog: list[bytes] = []
        self._backlog_peer: Any = None

    # ---- for subclasses -------------------------------------------------------------------

    async def open_device(self) -> DatagramDevice:
        """Create the device (socket, interface); raise OSError with a readable message."""
        raise NotImplementedError

    def destination(self) -> Any:
        """Where written datagrams go (a socket address), or None for devices."""
        return None

    def can_send(self) -> bool:
        """False when written datagrams have nowhere to go (they are then dropped)."""
        return True

    # ---- engine side ----------------------------------------------------------------------

    async def open(self, wake: Callable[[], None]) -> None:
        self.wake = wake
        self._loop = asyncio.get_running_loop()
        self.device = await self.open_device()
        self._resume_reading()

    def close(self) -> None:
        device, self.device = self.device, None
        if device is None:
            return
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(device.fileno())
            self._loop.remove_writer(device.fileno())
        device.close()

    def handle(self, port: int, batch: Batch, now: float) -> None:
        if self.device is None or not self.can_send():
            self.packets_dropped += len(batch)
            return
        payloads = [packet.payload for packet in batch]
        if self._backlog:  # keep order behind what already waits
            self._backlog.extend(payloads)
            return
        self._write(payloads, self.destination())

    def poll(self, now: float) -> None:
        if not self.rx_queue:
            return
        received, self.rx_queue = self.rx_queue, []
        if not self._reading:
            self._resume_reading()
        self.bytes_received += sum(map(len, received))
        self.packets_produced += len(received)
        self.emit(0, [Packet(data, now) for data in received])

    def next_deadline(self) -> float | None:
        # A deadline in the past means "due now": datagrams are waiting.
        return 0.0 if self.rx_queue else None

    def pending(self) -> int:
        return len(self._backlog)

    def can_accept(self) -> bool:
        return not self._backlog

    def finished(self, now: float, *, inputs_done: bool, outputs_done: bool) -> bool:
        return inputs_done and outputs_done and not self._backlog

    # ---- descriptor events ----------------------------------------------------------------

    def _write(self, payloads: list[bytes], peer: Any) -> None:
        assert self.device is not None
        try:
            result = self.device.write_batch(payloads, peer)
        except OSError:
            result = WriteResult(0, len(payloads), 0)
        done = result.written + result.failed
        self.socket_errors += result.failed
        self.packets_dropped += result.failed
        self.packets_consumed += result.written
        self.bytes_sent += result.size
        if done < len(payloads):
            self._backlog, self._backlog_peer = payloads[done:], peer
            assert self._loop is not None
            self._loop.add_writer(self.device.fileno(), self._on_writable)

    def _on_writable(self) -> None:
        if self.device is None:
            return
        assert self._loop is not None
        self._loop.remove_writer(self.device.fileno())
        backlog, self._backlog = self._backlog, []
        self._write(backlog, self._backlog_peer)
        if not self._backlog:
            self.wake()

    def read_ready(self) -> None:
        if self._reading:
            self._on_readable(wake=False)

    def _on_readable(self, *, wake: bool = True) -> None:
        device = self.device
        if device is None:
            return
        room = self.rx_capacity - len(self.rx_queue)
        try:
            got = device.read_batch(min(room, READ_BATCH))
        except OSError as error:  # e.g. an ICMP error on a socket: count it, keep reading
            self.socket_errors += 1
            if (reason := device.fatal(error)) is not None:
                self._pause_reading()
                self.fail(reason)
                if wake:
                    self.wake()
            return
        if got:
            was_empty = not self.rx_queue
            self.rx_queue.extend(got)
            if was_empty and wake:
                self.wake()
        if len(self.rx_queue) >= self.rx_capacity:
            self._pause_reading()

    def _pause_reading(self) -> None:
        if self._reading and self._loop is not None and self.device is not None:
            self._loop.remove_reader(self.device.fileno())
            self._reading = False
            self.rx_pauses += 1

    def _resume_reading(self) -> None:
        if not self._reading and self._loop is not None and self.device is not None:
            self._loop.add_reader(self.device.fileno(), self._on_readable)
            self._reading = True

    def io_metrics(self) -> tuple[Metric, ...]:
        """Counters every datagram component reports."""
        device_metrics = tuple(self.device.describe()) if self.device is not None else ()
        errors = self.socket_errors + (self.device.errors if self.device is not None else 0)
        return (
            counter("datagrams_sent", self.packets_consumed, "packets", "Datagrams written."),
            counter("bytes_sent", self.bytes_sent, "bytes", "Payload bytes written."),
            counter("datagrams_received", self.packets_produced, "packets", "Datagrams read."),
            counter("bytes_received", self.bytes_received, "bytes", "Payload bytes read."),
            counter(
                "receive_overflows",
                self.rx_pauses,
                "events",
                "Times the receive queue filled and reading paused until the pipeline caught up.",
            ),
            counter(
                "socket_errors",
                errors,
                "errors",
                "Datagrams refused by the kernel, and errors it reported.",
            ),
            gauge(
                "send_backlog", len(self._backlog), "packets", "Datagrams waiting to be written."
            ),
            *device_metrics,
        )


def _ignore() -> None:
    """Wake callback used before the engine opens the component."""
