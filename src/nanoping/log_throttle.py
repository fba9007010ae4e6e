"""A log line per kind of event per interval, so a hostile peer cannot flood the log."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable


class LogThrottle:
    """Lets through one line per ``key`` every ``interval`` seconds and counts the rest.

    The next line let through says how many were held back, so nothing goes unnoticed.
    At most ``max_keys`` keys are remembered (the oldest are forgotten first).
    """

    def __init__(
        self,
        logger: logging.Logger,
        *,
        interval: float = 10.0,
        max_keys: int = 256,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._logger = logger
        self._interval = interval
        self._max_keys = max_keys
        self._clock = clock
        self._last: dict[str, tuple[float, int]] = {}

    def warning(self, key: str, message: str, *args: object) -> None:
        """Log ``message % args`` at WARNING unless ``key`` was logged within the interval."""
        now = self._clock()
        last, held = self._last.get(key, (float("-inf"), 0))
        if now - last < self._interval:
            self._last[key] = (last, held + 1)
            return
        self._last.pop(key, None)
        self._last[key] = (now, 0)
        if len(self._last) > self._max_keys:
            del self._last[next(iter(self._last))]
        suffix = f" ({held} more like this were not logged)" if held else ""
        self._logger.warning(message + suffix, *args)
