"""Stochastic channel models for realistic tests: Gilbert-Elliott burst loss and jitter drawn
from a chosen distribution.

Real cellular and Wi-Fi loss comes in bursts, which independent per-packet loss
(``loss_dynamic``) cannot reproduce; the Gilbert-Elliott chain has a good and a bad state,
each with its own loss rate. Randomness comes from ``random.Random(seed)`` so a seeded run
repeats exactly; time comes only from ``now``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from nanoping.dataplane.component import Component, flow_routes, register
from nanoping.dataplane.components.impairment import DelayingComponent
from nanoping.dataplane.metrics import Metric, counter, gauge
from nanoping.dataplane.packet import Batch
from nanoping.dataplane.parameter import INT32_MAX, UINT32_MAX, Flow, param

_FLOWS_DOC = "Paths through the component; each flow forwards its input to its output."


def _percent(default: float, doc: str) -> float:
    return param(default, doc=doc, minimum=0, maximum=100)  # type: ignore[no-any-return]


def _seed() -> int | None:
    return param(  # type: ignore[no-any-return]
        None,
        doc="Seed of the random generator; unset draws a fresh seed each run.",
        minimum=-INT32_MAX - 1,
        maximum=INT32_MAX,
    )


# ---- loss_gilbert_elliott -------------------------------------------------------------------


@dataclass(frozen=True)
class LossGilbertElliottParams:
    """Parameters of ``loss_gilbert_elliott``."""

    flows: tuple[Flow, ...] = param(doc=_FLOWS_DOC, minimum=1)
    p: float = _percent(1.0, "Chance per packet of moving from the good to the bad state, percent.")
    r: float = _percent(
        25.0, "Chance per packet of moving from the bad back to the good state, percent."
    )
    loss_good: float = _percent(0.0, "Loss probability in the good state, percent.")
    loss_bad: float = _percent(100.0, "Loss probability in the bad state, percent.")
    seed: int | None = _seed()


class GilbertElliott:
    """The two-state Markov chain, one step per packet; ``lost()`` says whether to drop it."""

    def __init__(self, *, p: float, r: float, loss_good: float, loss_bad: float, seed: int | None):
        self.p, self.r = p / 100, r / 100
        self.loss = (loss_good / 100, loss_bad / 100)
        self.bad = False
        self.bursts = 0
        self._draw = random.Random(seed).random

    def lost(self) -> bool:
        """Advance one packet: change state, then decide the packet's fate in the new state."""
        draw = self._draw
        if self.bad:
            self.bad = draw() >= self.r
        elif draw() < self.p:
            self.bad = True
            self.bursts += 1
        return draw() < self.loss[self.bad]

    def stationary_loss(self) -> float:
        """Long-run loss fraction: pi_bad x loss_bad + pi_good x loss_good."""
        if self.p + self.r == 0:
            return self.loss[self.bad]
        bad = self.p / (self.p + self.r)
        return bad * self.loss[1] + (1 - bad) * self.loss[0]


@register("loss_gilbert_elliott")
class LossGilbertElliott(Component[LossGilbertElliottParams]):
    """Drops packets following a Gilbert-Elliott chain shared by all flows.

    Per packet: in the good state move to bad with probability ``p``, in the bad state back
    to good with probability ``r``; then drop with the loss of the state now in force. Mean
    burst length in packets is 1/r, mean gap 1/p; long-run loss is
    (p x loss_bad + r x loss_good) / (p + r).
    """

    params_type = LossGilbertElliottParams

    def __init__(self, *, component_id: str, params: LossGilbertElliottParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._routes = flow_routes(params.flows)
        self.chain = GilbertElliott(
            p=params.p,
            r=params.r,
            loss_good=params.loss_good,
            loss_bad=params.loss_bad,
            seed=params.seed,
        )

    def handle(self, port: int, batch: Batch, now: float) -> None:
        lost = self.chain.lost
        kept = [packet for packet in batch if not lost()]
        self.packets_dropped += len(batch) - len(kept)
        if kept:
            self.emit(self._routes[port], kept)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            gauge(
                "bad_state", float(self.chain.bad), "bool", "1 while the chain is in its bad state."
            ),
            counter("bursts", self.chain.bursts, "bursts", "Entries into the bad state."),
            gauge(
                "expected_loss",
                self.chain.stationary_loss() * 100,
                "%",
                "Long-run loss the parameters give.",
            ),
        )


# ---- jitter ---------------------------------------------------------------------------------


Sampler = Callable[[random.Random, float], float]
"""Draws one deviation (seconds) from a distribution of the given spread (seconds)."""

DISTRIBUTIONS: dict[str, Sampler] = {
    "uniform": lambda rng, spread: rng.uniform(-spread, spread),
    "normal": lambda rng, spread: rng.gauss(0.0, spread),
    "laplace": lambda rng, spread: (1 if rng.random() < 0.5 else -1) * rng.expovariate(1 / spread),
    "exponential": lambda rng, spread: rng.expovariate(1 / spread),
    "pareto": lambda rng, spread: spread * (rng.paretovariate(3.0) - 1) * 2,
}
"""Jitter distributions by name: what ``spread`` means is said in :class:`JitterParams`."""


def _check_distribution(name: str) -> str | None:
    if name in DISTRIBUTIONS:
        return None
    return f"unknown distribution {name!r}; known: {', '.join(sorted(DISTRIBUTIONS))}"


@dataclass(frozen=True)
class JitterParams:
    """Parameters of ``jitter``."""

    flows: tuple[Flow, ...] = param(doc=_FLOWS_DOC, minimum=1)
    delay: float = param(
        0.0, doc="Base delay added to every packet, milliseconds.", minimum=0, maximum=UINT32_MAX
    )
    spread: float = param(
        5.0,
        doc="Size of the variation, milliseconds: half-width (uniform), standard deviation "
        "(normal), mean absolute deviation (laplace), mean (exponential), scale (pareto).",
        minimum=0,
        maximum=UINT32_MAX,
    )
    distribution: str = param(
        "normal",
        doc="Shape of the variation: uniform, normal, laplace, exponential or pareto (heavy tail).",
        check=_check_distribution,
    )
    allow_reordering: bool = param(
        False, doc="Let a packet overtake earlier ones; otherwise it waits for them."
    )
    seed: int | None = _seed()


@register("jitter")
class Jitter(DelayingComponent[JitterParams]):
    """Delays each packet by ``delay`` plus a random deviation from ``distribution``.

    Delays below zero are clipped to zero. Without ``allow_reordering`` a packet never leaves
    before one that arrived earlier on the same flow, which is how a FIFO link with variable
    delay behaves.
    """

    params_type = JitterParams

    def __init__(self, *, component_id: str, params: JitterParams) -> None:
        super().__init__(component_id=component_id, params=params)
        self._routes = flow_routes(params.flows)
        self._rng = random.Random(params.seed)
        self._sample = DISTRIBUTIONS[params.distribution]
        self.max_delay = 0.0

    def handle(self, port: int, batch: Batch, now: float) -> None:
        out = self._routes[port]
        base, spread = self.params.delay / 1000, self.params.spread / 1000
        in_order = not self.params.allow_reordering
        for packet in batch:
            delay = base + (self._sample(self._rng, spread) if spread else 0.0)
            release = self._hold(packet, out, now + max(0.0, delay), in_order=in_order)
            self.max_delay = max(self.max_delay, release - now)

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        return (
            *super().extra_metrics(now),
            gauge("max_delay_ms", self.max_delay * 1000, "ms", "Largest delay given so far."),
        )
