"""The node's metrics sampler: psutil readings to API samples, once a second while watched."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import psutil

from nanoping.api import resources_pb2
from nanoping.resources.system_metrics import Readings, collections, read

SAMPLE_INTERVAL = 1.0
"""Seconds between two metrics samples."""
FIRST_RATE_WINDOW = 0.25
"""Seconds over which the first sample's rates are measured."""


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
        """Publish a sample at once, then one every second while watched."""
        previous = self.read()
        await asyncio.sleep(FIRST_RATE_WINDOW)
        while watched():
            current = self.read()
            publish(self.sample(previous, current))
            previous = current
            await asyncio.sleep(SAMPLE_INTERVAL)
