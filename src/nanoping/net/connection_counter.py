"""How many connections a listener holds, in all and per source address (sans-IO)."""

from __future__ import annotations

from collections import Counter

from nanoping.config import ListenerLimits


class ConnectionCounter:
    """Admits a connection while its listener and its source stay under their limits."""

    def __init__(self, limits: ListenerLimits) -> None:
        self.limits = limits
        self._by_source: Counter[str] = Counter()
        self.total = 0

    def admit(self, source: str) -> str | None:
        """Count a new connection from ``source``; the reason it is refused, or None."""
        if self.total >= self.limits.max_connections:
            return f"the listener holds its limit of {self.limits.max_connections} connections"
        if self._by_source[source] >= self.limits.max_connections_per_source:
            return (
                f"{source} holds its limit of {self.limits.max_connections_per_source} connections"
            )
        self._by_source[source] += 1
        self.total += 1
        return None

    def release(self, source: str) -> None:
        """An admitted connection from ``source`` closed."""
        self.total -= 1
        self._by_source[source] -= 1
        if self._by_source[source] <= 0:
            del self._by_source[source]
