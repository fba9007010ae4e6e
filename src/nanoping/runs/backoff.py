"""How long a pipeline waits before its run is restarted.

The delay starts at ``initial`` and doubles after each restart up to ``maximum``, so a run that
fails at once does not spin the CPU, while one that failed after a long healthy life (at least
``healthy_after`` seconds) is restarted quickly again. No jitter: restarts of one pipeline do
not synchronise with anything.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class BackoffPolicy:
    """Parameters of :class:`RestartBackoff`; the defaults are the node's."""

    initial: float = 0.5
    """Seconds before the first restart."""
    factor: float = 2.0
    """Growth of the delay after each restart."""
    maximum: float = 30.0
    """Longest delay, seconds."""
    healthy_after: float = 10.0
    """A run that lived this many seconds resets the delay to ``initial``."""

    def __post_init__(self) -> None:
        if not 0 < self.initial <= self.maximum or self.factor < 1 or self.healthy_after < 0:
            raise ValueError(
                "backoff needs 0 < initial <= maximum, factor >= 1 and healthy_after >= 0, "
                f"got {self}"
            )


class RestartBackoff:
    """The delays of one started pipeline (sans-IO: lifetimes in, delays out)."""

    def __init__(self, policy: BackoffPolicy) -> None:
        self._policy = policy
        self._next = policy.initial

    def delay_after(self, lifetime: float) -> float:
        """Seconds to wait before restarting a run that lived ``lifetime`` seconds."""
        policy = self._policy
        if lifetime >= policy.healthy_after:
            self._next = policy.initial
        delay = self._next
        self._next = min(policy.maximum, delay * policy.factor)
        return delay
