"""``log_chatter``: a test and benchmark component that writes lines into its run's log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nanoping.dataplane.component import Component, register
from nanoping.dataplane.metrics import Metric, counter
from nanoping.dataplane.parameter import param

MAX_LINES_PER_POLL = 2000
"""Most lines written per wake-up, so a high rate cannot starve the run's event loop."""


@dataclass(frozen=True)
class LogChatterParams:
    """Parameters of ``log_chatter``."""

    lines_per_second: int = param(
        1000, doc="Log lines written per second.", minimum=1, maximum=1_000_000
    )
    padding: int = param(
        100, doc="Characters of filler in each line (to size the lines).", minimum=0, maximum=4000
    )


@register("log_chatter")
class LogChatter(Component[LogChatterParams]):
    """Writes numbered INFO lines at a steady rate until the run stops; used to test and
    measure log rotation and log streaming. It never finishes on its own."""

    params_type = LogChatterParams

    def __init__(self, *, component_id: str, params: LogChatterParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._started: float | None = None
        self.written = 0

    def start(self, now: float) -> None:
        self._started = now

    def poll(self, now: float) -> None:
        if self._started is None:
            return
        due = int((now - self._started) * self.params.lines_per_second) - self.written
        filler = "x" * self.params.padding
        for _ in range(min(due, MAX_LINES_PER_POLL)):
            self.log("INFO", f"chatter line {self.written} {filler}")
            self.written += 1

    def next_deadline(self) -> float | None:
        if self._started is None:
            return None
        return self._started + (self.written + 1) / self.params.lines_per_second

    def finished(self, now: float, *, inputs_done: bool, outputs_done: bool) -> bool:
        return False

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (counter("lines_written", self.written, "lines", "Log lines written so far."),)
