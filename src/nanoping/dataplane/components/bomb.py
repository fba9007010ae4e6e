"""``bomb``: a test-only component that fails the run after a delay."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from nanoping.dataplane.component import Component, register
from nanoping.dataplane.metrics import Metric, gauge
from nanoping.dataplane.parameter import UINT32_MAX, param


@dataclass(frozen=True)
class BombParams:
    """Parameters of ``bomb``."""

    delay: int = param(
        1000,
        doc="Milliseconds after the run starts at which the run fails.",
        minimum=0,
        maximum=UINT32_MAX,
    )
    message: str = param("bomb exploded", doc="Reason written into the failed run's outcome.")


@register("bomb")
class Bomb(Component[BombParams]):
    """Fails the run ``delay`` ms after it starts; used to test restart policies.

    It never finishes on its own, so a run containing a bomb always ends failed (or stopped).
    """

    params_type = BombParams

    def __init__(self, *, component_id: str, params: BombParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._deadline: float | None = None
        self.exploded = False

    def start(self, now: float) -> None:
        self._deadline = now + self.params.delay / 1000.0

    def poll(self, now: float) -> None:
        if self._deadline is not None and now >= self._deadline and not self.exploded:
            self.exploded = True
            self.fail(self.params.message)

    def next_deadline(self) -> float | None:
        return None if self.exploded else self._deadline

    def finished(self, now: float, *, inputs_done: bool, outputs_done: bool) -> bool:
        return False

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            gauge("exploded", float(self.exploded), "bool", "1 once the bomb has failed the run."),
        )
