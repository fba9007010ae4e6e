"""Round-trip time estimation per carrier, the RFC 9002 (QUIC) way."""

from __future__ import annotations

INITIAL_RTT = 0.1
"""Assumed RTT (s) before the first sample; lower than QUIC's 333 ms because budgets are short."""


class RttEstimator:
    """Smoothed RTT, RTT variation and minimum RTT from samples (seconds)."""

    __slots__ = ("latest", "min_rtt", "rttvar", "samples", "smoothed")

    def __init__(self) -> None:
        self.smoothed = INITIAL_RTT
        self.rttvar = INITIAL_RTT / 2
        self.min_rtt = INITIAL_RTT
        self.latest = INITIAL_RTT
        self.samples = 0

    def add(self, sample: float) -> None:
        """Take one RTT sample; the first one replaces the initial guess."""
        sample = max(sample, 1e-6)
        self.latest = sample
        if self.samples == 0:
            self.smoothed, self.rttvar, self.min_rtt = sample, sample / 2, sample
        else:
            self.min_rtt = min(self.min_rtt, sample)
            self.rttvar = 0.75 * self.rttvar + 0.25 * abs(self.smoothed - sample)
            self.smoothed = 0.875 * self.smoothed + 0.125 * sample
        self.samples += 1

    @property
    def one_way(self) -> float:
        """Estimated one-way delay: half the smoothed RTT (paths are taken as symmetric)."""
        return self.smoothed / 2
