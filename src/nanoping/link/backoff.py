"""Exponential backoff with full jitter, so a hub restart does not bring every node back at once."""

from __future__ import annotations

import random


class Backoff:
    """Delays between reconnection attempts: uniform in [0, min(cap, base * 2**attempt)].

    Full jitter spreads the nodes of a cluster evenly over the whole window instead of
    synchronizing them; the seeded ``rng`` makes the sequence reproducible in tests.
    """

    def __init__(self, *, base: float, cap: float, rng: random.Random) -> None:
        if base <= 0 or cap < base:
            raise ValueError(f"backoff needs 0 < base <= cap, got base={base}, cap={cap}")
        self._base = base
        self._cap = cap
        self._rng = rng
        self._attempt = 0

    @property
    def attempt(self) -> int:
        """Delays handed out since the last reset."""
        return self._attempt

    def ceiling(self) -> float:
        """Upper bound of the next delay."""
        # The exponent is clamped so the power stays a finite float after thousands of
        # failures; the cap takes over long before.
        return min(self._cap, self._base * 2.0 ** min(self._attempt, 64))

    def next_delay(self) -> float:
        """The next delay in seconds; each call widens the window until it reaches the cap."""
        delay = self._rng.uniform(0.0, self.ceiling())
        self._attempt += 1
        return delay

    def reset(self) -> None:
        """Start again from the smallest window (after a stable connection)."""
        self._attempt = 0
