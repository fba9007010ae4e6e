"""The application at either end of the raft namespace test: ``send`` or ``receive`` UDP.

``send PORT COUNT INTERVAL_MS`` sends COUNT numbered datagrams to 127.0.0.1:PORT, each
carrying its number and the sending time (CLOCK_MONOTONIC, which every network namespace
shares), then exits. ``receive PORT COUNT IDLE_S`` prints ``ready``, collects datagrams until
COUNT distinct numbers arrived or none came for IDLE_S seconds, and prints one JSON object:
``latency_ms`` per number (first copy) and ``copies``, the datagrams received in all.
"""

from __future__ import annotations

import json
import socket
import struct
import sys
import time

TAG = struct.Struct(">Iq")
"""Payload head: sequence number, send time in ns; the rest is padding."""
SIZE = 200


def send(port: int, count: int, interval_ms: float) -> None:
    """Send ``count`` datagrams, paced on the clock (a late wake-up does not stretch the run)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        start = time.monotonic()
        print("sending", flush=True)
        for seq in range(count):
            due = start + seq * interval_ms / 1e3
            if (wait := due - time.monotonic()) > 0:
                time.sleep(wait)
            payload = TAG.pack(seq, time.monotonic_ns()).ljust(SIZE, b".")
            sock.sendto(payload, ("127.0.0.1", port))


def receive(port: int, count: int, idle: float) -> None:
    """Collect datagrams and print what arrived, when, as JSON."""
    latency: dict[int, float] = {}
    copies = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", port))
        sock.settimeout(idle)
        print("ready", flush=True)
        while len(latency) < count:
            try:
                data = sock.recv(65535)
            except TimeoutError:
                break
            now = time.monotonic_ns()
            seq, sent = TAG.unpack_from(data)
            copies += 1
            latency.setdefault(seq, (now - sent) / 1e6)
    print(json.dumps({"latency_ms": latency, "copies": copies}), flush=True)


def main(argv: list[str]) -> int:
    """Dispatch on the first argument."""
    role, port, count, extra = argv[0], int(argv[1]), int(argv[2]), float(argv[3])
    if role == "send":
        send(port, count, extra)
    else:
        receive(port, count, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
