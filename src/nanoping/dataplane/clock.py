"""Where the data plane's ``now`` comes from when a run is real."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class Clock(Protocol):
    """Source of the current time in seconds."""

    def now(self) -> float:
        """Current time in seconds."""
        ...


class WallClock:
    """Unix-epoch seconds that never go backwards.

    A monotonic clock shifted once, at creation, to the wall clock: intervals are exact even if
    the system time is changed, and two hosts with synchronised clocks agree closely enough for
    one-way latency measurements.
    """

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._offset = time.time() - monotonic()

    def now(self) -> float:
        """Current time in Unix-epoch seconds."""
        return self._monotonic() + self._offset
