"""File descriptors: raise the soft limit, and keep HTTP listeners from using them all.

Each connection costs a descriptor. If the HTTP listeners could hold as many connections as
the process has descriptors, a flood of idle connections would leave none for the gRPC server,
the database or run processes; so their limits are cut to fit, leaving :data:`RESERVED`.
"""

from __future__ import annotations

import logging
import resource

from nanoping.config import ListenerLimits

log = logging.getLogger(__name__)

RESERVED = 512
"""Descriptors kept out of the HTTP listeners' reach (gRPC, database, runs, logs)."""


def raise_open_files_limit() -> int:
    """Raise the soft RLIMIT_NOFILE to the hard limit; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == resource.RLIM_INFINITY:
        return soft if soft != resource.RLIM_INFINITY else 1 << 20
    if soft < hard:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError) as error:
            log.warning("cannot raise the open files limit from %d to %d: %s", soft, hard, error)
    return soft


def fitted(limits: list[ListenerLimits], descriptors: int) -> list[ListenerLimits]:
    """``limits`` with their connection limits cut in proportion to fit ``descriptors``."""
    budget = max(len(limits), descriptors - RESERVED)
    total = sum(limit.max_connections for limit in limits)
    if total <= budget:
        return limits
    log.warning(
        "the HTTP listeners may hold %d connections but the process has %d file descriptors; "
        "holding at most %d (raise the open files limit, ulimit -n)",
        total,
        descriptors,
        budget,
    )
    return [_cut(limit, max(1, limit.max_connections * budget // total)) for limit in limits]


def _cut(limits: ListenerLimits, max_connections: int) -> ListenerLimits:
    return ListenerLimits(
        max_connections=max_connections,
        max_connections_per_source=min(limits.max_connections_per_source, max_connections),
        header_timeout=limits.header_timeout,
    )
