"""The node's metrics sampler: psutil readings to API samples, once a second while watched."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import psutil

from nanoping.api import resources_pb2
from nanoping.log_throttle import LogThrottle
from nanoping.resources.system_metrics import Readings, collections, read

SAMPLE_INTERVAL = 1.0
"""Seconds between two metrics samples."""
FIRST_RATE_WINDOW = 0.25
"""Seconds over which the first sample's rates are measured."""
_SKIPPED = LogThrottle(logging.getLogger(__name__), interval=60.0)


class MetricsSampler:
    """Samples the machine and the node process with psutil; one sample per call."""

    def __init__(self, *, data_dir: Path, runs_alive: Callable[[], int]) -> None:
        self._data_dir = data_dir
        self._runs_alive = runs_alive
        self._process = psutil.Process()
        self.latest: resources_pb2.MetricsSample | None = None

    def read(self) -> Readings:
        """Readings now."""
        return read(data_dir=self._data_dir, runs_alive=self._runs_alive(), process=self._process)

    def sample(self, previous: Readings | None, current: Readings) -> resources_pb2.MetricsSample:
        """The API sample for ``current``, with rates since ``previous``."""
        result = resources_pb2.MetricsSample(collections=collections(previous, current))
        result.timestamp.GetCurrentTime()
        self.latest = result
        return result

    async def produce(
        self,
        publish: Callable[[resources_pb2.MetricsSample], None],
        watched: Callable[[], bool],
    ) -> None:
        """Publish a sample at once, then one every second while watched.

        A reading that fails (the machine's tables change under psutil: mounts, interfaces,
        processes come and go) is skipped and logged; the next second reads again, with rates
        over the time since the last good reading.
        """
        previous = self._read_or_skip()
        await asyncio.sleep(FIRST_RATE_WINDOW)
        while watched():
            current = self._read_or_skip()
            if current is not None:
                publish(self.sample(previous, current))
                previous = current
            await asyncio.sleep(SAMPLE_INTERVAL)

    def _read_or_skip(self) -> Readings | None:
        try:
            return self.read()
        except (OSError, psutil.Error) as error:
            _SKIPPED.warning("read", "metrics reading skipped: %s: %s", type(error).__name__, error)
            return None
