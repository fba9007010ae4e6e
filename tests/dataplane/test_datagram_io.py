"""The shared I/O base on a real descriptor (a UNIX datagram socket pair): batched reads that
pause when the pipeline lags, and writes that wait in a backlog when the kernel is full."""

import asyncio
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import uvloop

from nanoping.dataplane.datagram_io import DatagramComponent, DatagramDevice, WriteResult
from nanoping.dataplane.packet import Packet
from nanoping.dataplane.parameter import param


class PairDevice(DatagramDevice):
    """One end of a socket pair, read and written like any datagram device."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def fileno(self) -> int:
        return self.sock.fileno()

    def read_batch(self, limit: int) -> list[bytes]:
        out: list[bytes] = []
        while len(out) < limit:
            try:
                out.append(self.sock.recv(65536))
            except BlockingIOError:
                break
        return out

    def write_batch(self, payloads: Sequence[bytes], peer: Any) -> WriteResult:
        written = size = 0
        for payload in payloads:
            try:
                size += self.sock.send(payload)
            except BlockingIOError:
                break
            written += 1
        return WriteResult(written, 0, size)

    def close(self) -> None:
        self.sock.close()


@dataclass(frozen=True)
class PairParams:
    input: str | None = param(None, doc="In.", link=True)
    output: str | None = param(None, doc="Out.", link=True)


class PairComponent(DatagramComponent[PairParams]):
    params_type = PairParams

    def __init__(self, sock: socket.socket, receive_queue: int) -> None:
        super().__init__(component_id="pair", params=PairParams(), receive_queue=receive_queue)
        self._sock = sock

    async def open_device(self) -> DatagramDevice:
        return PairDevice(self._sock)


def pair() -> tuple[socket.socket, socket.socket]:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
    for sock in (ours, theirs):
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 64 * 1024)
    return ours, theirs


def test_a_full_kernel_buffer_holds_writes_in_order_until_it_drains() -> None:
    async def scenario() -> tuple[PairComponent, list[bytes], int]:
        ours, theirs = pair()
        component = PairComponent(ours, receive_queue=16)
        wakes: list[int] = []
        await component.open(lambda: wakes.append(1))
        payloads = [i.to_bytes(4, "big") * 250 for i in range(3000)]
        component.push(0, [Packet(p, 0.0) for p in payloads], 0.0)
        assert not component.can_accept()  # the socket took part of it; the rest waits
        assert 0 < component.pending() < 3000
        received: list[bytes] = []
        done = asyncio.Event()

        def drain() -> None:
            while True:
                try:
                    received.append(theirs.recv(65536))
                except BlockingIOError:
                    break
            if len(received) == 3000:
                done.set()

        loop = asyncio.get_running_loop()
        loop.add_reader(theirs.fileno(), drain)
        async with asyncio.timeout(10):
            await done.wait()
        loop.remove_reader(theirs.fileno())
        assert component.can_accept()
        assert component.pending() == 0
        component.close()
        theirs.close()
        assert received == payloads
        return component, received, len(wakes)

    component, received, wakes = uvloop.run(scenario())
    assert component.packets_consumed == len(received) == 3000
    assert component.bytes_sent == 3000 * 1000
    assert wakes >= 1  # the engine hears when it may push again


def test_reading_pauses_when_the_pipeline_lags_and_loses_nothing() -> None:
    async def scenario() -> tuple[PairComponent, list[bytes]]:
        ours, theirs = pair()
        component = PairComponent(ours, receive_queue=10)
        more = asyncio.Event()
        await component.open(more.set)
        sent = [i.to_bytes(4, "big") for i in range(100)]
        for payload in sent:
            theirs.send(payload)
        got: list[bytes] = []
        async with asyncio.timeout(10):
            await more.wait()
        assert len(component.rx_queue) == 10
        assert component.rx_pauses == 1  # stopped reading: the rest waits in the kernel
        while len(got) < 100:
            async with asyncio.timeout(10):
                await more.wait()
            more.clear()
            component.poll(0.0)  # emptying the queue resumes reading
            got += [packet.payload for packet in component.outputs[0].take()]
        component.close()
        theirs.close()
        assert got == sent
        return component, got

    component, _ = uvloop.run(scenario())
    assert component.rx_pauses >= 9
    assert component.packets_produced == 100
