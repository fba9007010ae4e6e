"""Raft against plain UDP on the transport scenarios S1-S10, in virtual time with fixed seeds.

Every contender crosses the same simulated links (same profiles, same seed): plain UDP (no
recovery), raft (adaptive FEC + deadline-aware ARQ + bonding), raft with ARQ only and raft
with FEC only. Figures per scenario:

* residual: share of packets not delivered within the stream budget;
* overhead: forward wire bytes over what plain UDP puts on the wire for the same payloads,
  minus one (Raft headers, repairs, retransmissions and control packets);
* p50 / p99: in-order (on_ordered) delivery latency of the delivered packets;
* CPU: process CPU per offered packet for the whole simulation (both endpoints and the
  links), an upper bound of one endpoint's cost;
* for S7, the share of packets delivered after a higher one (reordering at delivery);
* for S6, how fast raft's repair rate follows each loss step (see :func:`follow_times`).

S10 measures one endpoint pair in process without sockets: a stream over two carriers,
repairs at 10 % and AES-128-GCM sealing/opening every datagram (the encrypt components'
cost), giving the CPU per packet and the packet rate one core sustains.

Run: ``python benchmarks/raft_scenarios.py [--packets N] [--only S1,S3] [--seed N]``
(defaults: 10^5 packets, seed 1; the full run takes several minutes).
"""

from __future__ import annotations

import argparse
import itertools
import os
import time

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nanoping.raft import wire
from nanoping.raft.endpoint import RaftEndpoint
from nanoping.raft.scenarios import SCENARIOS, Scenario, run_plain, run_raft
from nanoping.raft.settings import CarrierSpec, RaftSettings, StreamSpec
from nanoping.raft.simlink import UDP_IP_OVERHEAD, Outcome

FOLLOW_SHARE = 0.75
"""Share of a step in the repair rate after which it counts as followed."""

TARGETS = {
    "S1": "residual <= 1e-5, overhead <= 15 %, p99 <= 150 ms",
    "S2": "residual <= 1e-5, overhead <= 25 %",
    "S3": "residual <= 1e-5, overhead <= 35 %, p99 <= 70 ms",
    "S4": "residual <= 1e-5, overhead <= 25 %",
    "S5": "residual <= 1e-5, overhead <= 30 %",
    "S6": "residual <= 5e-5, overhead <= 12 %",
    "S7a": "goodput >= 95 %, p99 <= 16 ms, < 1 % reordered",
    "S7b": "goodput >= 95 %, p99 <= 45 ms, < 1 % reordered",
    "S7c": "goodput >= 95 %",
    "S8": "residual 0, at most one extra RTT of delay",
    "S9": "queueing delay back under 20 ms within 1 s, residual <= 1e-4",
}
CONTENDERS = ("udp", "raft", "arq-only", "fec-only")


def measure(
    scenario: Scenario,
    contender: str,
    packets: int,
    seed: int,
    rates: list[tuple[float, float]] | None = None,
) -> tuple[Outcome, float, str]:
    """One contender on one scenario: the outcome, CPU seconds spent and an ARQ summary.
    ``rates``, when given, receives the sender's (time, repair rate) after every step."""
    start = time.process_time()
    if contender == "udp":
        return run_plain(scenario, count=packets, seed=seed), time.process_time() - start, ""
    arq = contender != "fec-only"
    fec = contender != "arq-only"
    monitor = None
    if rates is not None:
        sample = rates.append

        def monitor(now: float, a: RaftEndpoint, b: RaftEndpoint) -> None:
            sample((now, a.stream_stats(0)["repair_rate"]))

    outcome, a, b = run_raft(scenario, count=packets, seed=seed, arq=arq, fec=fec, monitor=monitor)
    return outcome, time.process_time() - start, arq_summary(scenario, outcome, a, b) if arq else ""


def follow_times(
    scenario: Scenario, rates: list[tuple[float, float]]
) -> list[tuple[float, float, float, float | None, float | None]]:
    """How fast the repair rate followed each loss step of a phased scenario (S6).

    For every step inside the run: (time, loss before, loss after, ms until the rate first
    covered ``FOLLOW_SHARE`` of its way from the level it held before the step to the level
    it settled at in the new phase, ms until it first rose above the new loss (rises only)).
    A level is the median rate over the last half of a phase; None: never within the phase.
    """
    phases = scenario.paths[0][0].loss_phases
    if not phases or not rates:
        return []
    end = rates[-1][0]
    bounds: list[tuple[float, float, float]] = []  # (start, end, loss) of every phase in the run
    t, i = 0.0, 0
    while t < end:
        duration, loss = phases[i % len(phases)]
        bounds.append((t, t + duration, loss))
        t, i = t + duration, i + 1

    def level(start: float, stop: float) -> float | None:
        held = sorted(r for now, r in rates if (start + stop) / 2 <= now < stop)
        return held[len(held) // 2] if held else None

    out: list[tuple[float, float, float, float | None, float | None]] = []
    for (start0, _, loss0), (start, stop, loss) in itertools.pairwise(bounds):
        before, after = level(start0, start), level(start, stop)
        if before is None or after is None or stop > end:
            continue  # a phase the run did not cover whole
        goal = before + FOLLOW_SHARE * (after - before)
        sign = 1.0 if after > before else -1.0
        phase = [(now, r) for now, r in rates if start <= now < stop]
        follow = next((now - start for now, r in phase if sign * (r - goal) >= 0), None)
        above = None
        if loss > loss0:
            above = next((now - start for now, r in phase if r > loss), None)
        ms = [None if v is None else 1e3 * v for v in (follow, above)]
        out.append((start, loss0, loss, ms[0], ms[1]))
    return out


def arq_summary(scenario: Scenario, outcome: Outcome, a: RaftEndpoint, b: RaftEndpoint) -> str:
    """Resends, last-chance copies and the share of the overhead spent on unneeded resends
    (they found the packet already delivered or rebuilt)."""
    sent, got = a.stream_stats(0), b.stream_stats(0)
    plain = outcome.payload_bytes + UDP_IP_OVERHEAD * outcome.sent
    extra = outcome.overhead * plain
    resend_bytes = scenario.size + wire.DATA_OVERHEAD + UDP_IP_OVERHEAD
    waste = 100 * got["resends_unneeded"] * resend_bytes / extra if extra else 0.0
    return (
        f"resent {sent['retransmitted']:.0f} (doubled {sent['resends_doubled']:.0f}),"
        f" unneeded {got['resends_unneeded']:.0f} = {waste:.1f} % of the overhead,"
        f" NACK copies {got['nack_copies']:.0f}"
    )


def follow_summary(steps: list[tuple[float, float, float, float | None, float | None]]) -> str:
    """The follow times of :func:`follow_times`, per kind of step: median and worst."""
    kinds: dict[tuple[float, float], list[tuple[float | None, float | None]]] = {}
    for _, before, after, follow, above in steps:
        kinds.setdefault((before, after), []).append((follow, above))
    parts = []
    for (before, after), times in kinds.items():
        follows = sorted(float("inf") if f is None else f for f, _ in times)
        text = (
            f"{100 * before:g} -> {100 * after:g} %: followed in {follows[len(follows) // 2]:.0f}"
            f" ms (worst {follows[-1]:.0f}, {len(follows)} steps)"
        )
        if after > before:
            aboves = sorted(float("inf") if a is None else a for _, a in times)
            text += f", above the loss in {aboves[len(aboves) // 2]:.0f} (worst {aboves[-1]:.0f})"
        parts.append(text)
    share = f"{100 * FOLLOW_SHARE:.0f} % of each step"
    return f"repair rate follows {share}: " + "; ".join(parts) if parts else "no whole loss step"


def row(name: str, contender: str, outcome: Outcome, cpu: float) -> str:
    """One line of the results table."""
    reordered = outcome.reordered / outcome.sent if outcome.sent else 0.0
    return (
        f"| {name} | {contender} | {outcome.residual:.2e} | {100 * outcome.overhead:6.1f} % "
        f"| {1e3 * outcome.quantile(0.5):6.1f} | {1e3 * outcome.quantile(0.99):6.1f} "
        f"| {100 * reordered:5.2f} % | {1e6 * cpu / outcome.sent:6.1f} |"
    )


def cpu_s10(packets: int) -> tuple[float, float, int]:
    """S10: CPU µs per packet of the sending and of the receiving endpoint (FEC at 10 %,
    AES-128-GCM on every datagram, two carriers, no sockets), and packets not delivered."""
    settings = RaftSettings(
        streams=(StreamSpec(handle=1, timeout=0.2, policy="on_ordered"),),
        carriers=(
            CarrierSpec(handle=1, initial_rate_bps=1e9),
            CarrierSpec(handle=2, initial_rate_bps=1e9),
        ),
    )
    a = RaftEndpoint(settings=settings, session_id=1, now=0.0)
    b = RaftEndpoint(settings=settings, session_id=2, now=0.0)
    key = AESGCM(os.urandom(16))
    spent = {"a": 0.0, "b": 0.0}
    nonces = {"a": 0, "b": 1 << 64}
    now = 0.0

    def carry(src: str, dst: str) -> None:
        ends = {"a": a, "b": b}
        t0 = time.thread_time()
        sealed = []
        for carrier, datagram in ends[src].take_datagrams():
            nonce = nonces[src].to_bytes(12, "big")
            nonces[src] += 1
            sealed.append((carrier, nonce, key.encrypt(nonce, datagram, b"")))
        t1 = time.thread_time()
        for carrier, nonce, blob in sealed:
            ends[dst].receive(carrier, key.decrypt(nonce, blob, b""), now)
        spent[src] += t1 - t0
        spent[dst] += time.thread_time() - t1

    for _ in range(50):  # handshake
        now += 0.01
        a.poll(now)
        b.poll(now)
        carry("a", "b")
        carry("b", "a")
    for stream in a.streams:  # the S10 setting: a fixed 10 % of repairs
        assert stream.repair is not None
        stream.repair.set_rate(0.1, 0.05)
        stream.rate.rate = 0.1
    spent["a"] = spent["b"] = 0.0
    payload = bytes(1200)
    delivered = 0
    for _ in range(packets):
        now += 1 / 30000
        t0 = time.thread_time()
        a.send(0, payload, now)
        spent["a"] += time.thread_time() - t0
        carry("a", "b")
        t0 = time.thread_time()
        delivered += len(b.take_delivered())
        spent["b"] += time.thread_time() - t0
        carry("b", "a")
    now += 0.5
    b.poll(now)
    delivered += len(b.take_delivered())
    return 1e6 * spent["a"] / packets, 1e6 * spent["b"] / packets, packets - delivered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--packets", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    args = parser.parse_args()
    names = [n for n in SCENARIOS if not args.only or n in args.only.split(",")]
    print(f"{args.packets} packets per run, seed {args.seed}\n")
    print(
        "| scenario | contender | residual | overhead | p50 ms | p99 ms | reordered | CPU µs/pkt |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name in names:
        scenario = SCENARIOS[name]
        for contender in CONTENDERS:
            if contender == "udp" and len(scenario.paths) > 1:
                contender_label = "udp (path 1)"
            else:
                contender_label = contender
            phased = contender == "raft" and scenario.paths[0][0].loss_phases
            rates: list[tuple[float, float]] | None = [] if phased else None
            outcome, cpu, summary = measure(scenario, contender, args.packets, args.seed, rates)
            print(row(name, contender_label, outcome, cpu), flush=True)
            if summary:
                print(f"|   | {contender}: {summary} | | | | | | |", flush=True)
            if rates:
                print(f"|   | {follow_summary(follow_times(scenario, rates))} | | | | | | |")
        print(f"|   | target: {TARGETS.get(name, '')} | | | | | | |", flush=True)
    if not args.only or "S10" in args.only:
        sender, receiver, lost = cpu_s10(min(args.packets, 30_000))
        print(
            f"\nS10 (FEC 10 %, AES-128-GCM, two carriers, no sockets): sender {sender:.1f} µs"
            f" per packet ({1e3 / sender:.1f} kpps per core), receiver {receiver:.1f} µs"
            f" ({1e3 / receiver:.1f} kpps per core); {lost} packets not delivered"
        )


if __name__ == "__main__":
    main()
