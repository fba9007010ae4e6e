"""Two network namespaces joined by a veth pair, made with iproute2 and removed in ``finally``,
and sockets created inside them (a socket stays in the namespace it was created in)."""

from __future__ import annotations

import ctypes
import os
import secrets
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")
CLONE_NEWNET = 0x40000000


@dataclass(frozen=True)
class VethPair:
    """Namespaces ``a`` and ``b``; ``a_interface`` (``a_ip``) in a, ``b_ip`` in b."""

    a: str
    b: str
    a_interface: str
    a_ip: str
    b_ip: str


def ip(*arguments: str) -> None:
    subprocess.run(["ip", *arguments], check=True, capture_output=True, text=True, timeout=20)


@contextmanager
def veth_pair() -> Iterator[VethPair]:
    """Create the namespaces and the veth pair; remove them whatever happens."""
    suffix = secrets.token_hex(3)
    pair = VethPair(
        a=f"np15-{suffix}-a",
        b=f"np15-{suffix}-b",
        a_interface=f"np15{suffix}a",
        a_ip="10.15.77.1",
        b_ip="10.15.77.2",
    )
    created: list[str] = []
    try:
        for namespace in (pair.a, pair.b):
            ip("netns", "add", namespace)
            created.append(namespace)
        ip("link", "add", pair.a_interface, "netns", pair.a, "type", "veth",
           "peer", "name", f"np15{suffix}b", "netns", pair.b)  # fmt: skip
        for namespace, interface, address in (
            (pair.a, pair.a_interface, pair.a_ip),
            (pair.b, f"np15{suffix}b", pair.b_ip),
        ):
            ip("-n", namespace, "addr", "add", f"{address}/24", "dev", interface)
            ip("-n", namespace, "link", "set", interface, "up")
            ip("-n", namespace, "link", "set", "lo", "up")
        yield pair
    finally:
        for namespace in created:
            subprocess.run(["ip", "netns", "del", namespace], capture_output=True, timeout=20)


def inside(namespace: str, make: Callable[[], T]) -> T:
    """Run ``make`` in a thread that entered ``namespace`` (the caller's threads stay put)."""
    result: list[T] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fd = os.open(f"/var/run/netns/{namespace}", os.O_RDONLY)
            try:
                libc = ctypes.CDLL(None, use_errno=True)
                if libc.setns(fd, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), f"setns into {namespace} failed")
            finally:
                os.close(fd)
            result.append(make())
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=20)
    if errors:
        raise errors[0]
    return result[0]


def udp_socket(namespace: str, address: str) -> socket.socket:
    """A UDP socket bound to ``address`` (port 0) inside ``namespace``."""

    def make() -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((address, 0))
        return sock

    return inside(namespace, make)


def tcp_socket(namespace: str) -> socket.socket:
    """An unbound TCP socket inside ``namespace``."""
    return inside(namespace, lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM))
