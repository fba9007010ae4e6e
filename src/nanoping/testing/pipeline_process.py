"""Run one pipeline config file in this process until SIGTERM: ``python -m nanoping.testing.pipeline_process FILE``.

A test harness, not the node's run process: it prints ``pipeline ready`` once every I/O
component is open (sockets bound, interfaces configured), runs until the pipeline ends or a
SIGTERM/SIGINT arrives, and prints the outcome and the final telemetry as JSON lines.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path

import uvloop

from nanoping.dataplane import Engine, parse_json_config
from nanoping.testing.netns import READY_LINE


async def serve(text: str) -> int:
    """Run the pipeline config ``text``; return its exit code."""
    graph = parse_json_config(text)
    engine = Engine(graph)
    try:
        await engine.start()
    except Exception as error:  # reported on stdout for the harness that started us
        print(f"start failed: {error}", flush=True)
        return 2
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, engine.stop, "signalled")
    print(READY_LINE, flush=True)
    try:
        outcome = await engine.wait()
    finally:
        snapshot = engine.snapshot()
        engine.close()
    metrics = {
        collection.path: {metric.name: metric.value for metric in collection.metrics}
        for collection in snapshot.collections
    }
    print(json.dumps({"exit_code": outcome.exit_code, "reason": outcome.reason}), flush=True)
    print(json.dumps(metrics), flush=True)
    return outcome.exit_code


def main(argv: list[str] | None = None) -> int:
    """Entry point: one argument, the pipeline's JSON config file."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m nanoping.testing.pipeline_process CONFIG.json", file=sys.stderr)
        return 2
    return uvloop.run(serve(Path(args[0]).read_text()))


if __name__ == "__main__":
    sys.exit(main())
