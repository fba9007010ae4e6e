"""The Go walkthrough (grpc-go, the guide's language) on fresh and on restarted nodes.

    python benchmarks/go_walkthrough.py [--runs 20]

Builds examples/go/walkthrough once, then for each run: starts a fresh controller and a fresh
client (real processes) and runs the program, whose approver goroutine opens at the same moment
as the join ("together") or one second after it ("approver 1 s late"); then restarts both nodes
at the same moment and runs it again on the restarted pair. A run passes when the program exits 0
within its 45 s deadline and prints what the guide promises (checked line by line).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from nanoping.testing.cluster import controller_config, free_port, start_together
from nanoping.testing.go_walkthrough import build_go_walkthrough, run_go_walkthrough
from nanoping.testing.node_process import NodeProcess
from nanoping.testing.walkthrough import WalkthroughMismatch, check_output

ORDERS = {"together": 0.0, "approver 1 s late": 1.0}


def nodes(root: Path, config: Path) -> tuple[NodeProcess, NodeProcess]:
    controller = NodeProcess(
        data_dir=root / "controller", global_args=["-c", str(config)], up_args=()
    )
    return controller, NodeProcess(data_dir=root / "client")


def passes(
    binary: Path, pair: tuple[NodeProcess, NodeProcess], delay: float, **check: bool
) -> float | None:
    """Seconds the program took when its output was right, else None (and why, printed)."""
    controller, client = pair
    started = time.monotonic()
    result = run_go_walkthrough(binary, controller, client, approver_delay=delay)
    took = time.monotonic() - started
    try:
        if result.returncode != 0:
            raise WalkthroughMismatch(f"exit {result.returncode}: {result.stderr.strip()}")
        check_output(result.stdout.splitlines(), client.node_id, **check)
    except WalkthroughMismatch as problem:
        print(f"  failed after {took:.2f} s: {str(problem).splitlines()[0]}", flush=True)
        return None
    return took


def one_run(binary: Path, root: Path, delay: float) -> tuple[float | None, float | None]:
    config = controller_config(root, http_port=free_port())
    pair = nodes(root, config)
    start_together(*pair)
    try:
        fresh = passes(binary, pair, delay, first_run=True)
    finally:
        for node in reversed(pair):
            node.stop()
    pair = nodes(root, config)
    start_together(*pair)
    try:
        restarted = passes(binary, pair, delay, first_run=False, just_restarted=True)
    finally:
        for node in reversed(pair):
            node.stop()
    return fresh, restarted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="runs per order (default 20)")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="np-go-build-") as build:
        binary = build_go_walkthrough(Path(build))
        for order, delay in ORDERS.items():
            fresh: list[float] = []
            restarted: list[float] = []
            for _ in range(arguments.runs):
                with tempfile.TemporaryDirectory(prefix="np-go-walkthrough-") as directory:
                    first, again = one_run(binary, Path(directory), delay)
                fresh += [first] if first is not None else []
                restarted += [again] if again is not None else []
            slowest = max(fresh + restarted, default=0.0)
            print(
                f"{order:>18}: fresh {len(fresh)}/{arguments.runs}, "
                f"restarted {len(restarted)}/{arguments.runs}; slowest run {slowest:.2f} s",
                flush=True,
            )


if __name__ == "__main__":
    main()
