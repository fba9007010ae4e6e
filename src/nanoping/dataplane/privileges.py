"""What this process may do to the network stack, read from its capability set."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from nanoping.dataplane.config import PipelineGraph

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


def privilege_warnings(graph: PipelineGraph, *, net_admin: bool | None = None) -> list[str]:
    """One line per component that cannot start without privileges this process lacks.

    ``net_admin`` overrides what :func:`has_net_admin` would say (for tests).
    """
    from nanoping.dataplane.component import component_types

    allowed = has_net_admin() if net_admin is None else net_admin
    if allowed:
        return []
    types = component_types()
    return [
        f"component '{spec.id}' ({spec.type_name}) creates a network interface, which needs "
        "root or CAP_NET_ADMIN; this node has neither, so its runs will fail at start"
        for spec in graph.components
        if types[spec.type_name].needs_net_admin
    ]
