"""What this process may do to the network stack, read from its capability set."""

from __future__ import annotations

from pathlib import Path

CAP_NET_ADMIN = 12
"""Capability number (linux/capability.h): create interfaces, set addresses and routes."""


def has_net_admin(status: Path = Path("/proc/self/status")) -> bool:
    """True when the effective capabilities include CAP_NET_ADMIN (root normally has it)."""
    try:
        text = status.read_text()
    except OSError:
        return False
    for line in text.splitlines():
        if line.startswith("CapEff:"):
            return bool(int(line.split()[1], 16) >> CAP_NET_ADMIN & 1)
    return False
