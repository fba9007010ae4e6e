"""The asyncio driver of a run: steps a Dataflow on the event loop, on uvloop in production.

This and the I/O components are the only asyncio code of the data plane. Interface for the
run process::

    engine = Engine(graph, on_telemetry=send_sample)   # graph from config.validate_config
    await engine.start()        # sockets bound: engine.component("udp-1").local_address
    outcome = await engine.wait()   # RunEnded(exit_code, reason); exit_code 0 = ended
    engine.stop()               # from any callback: ends the run with exit code 0
    engine.snapshot()           # TelemetrySnapshot on demand
    engine.close()              # sockets closed; idempotent

``async with Engine(graph) as engine:`` does start/close (stopping a run still going), or
simply ``outcome = await run(graph, stop_event=event)`` / ``run_on_uvloop(graph)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from typing import Any

import uvloop

from nanoping.dataplane.clock import Clock, WallClock
from nanoping.dataplane.component import DEFAULT_PORT_CAPACITY, Component
from nanoping.dataplane.config import PipelineGraph
from nanoping.dataplane.dataflow import Dataflow
from nanoping.dataplane.events import Event, RunEnded
from nanoping.dataplane.metrics import TelemetrySnapshot

TelemetrySink = Callable[[TelemetrySnapshot], None]


class Engine:
    """Runs one pipeline graph on the running event loop until it ends, fails or is stopped.

    ``clock`` must advance in real time (default :class:`WallClock`); for virtual time drive a
    :class:`Dataflow` with :func:`nanoping.dataplane.fakes.run_virtual` instead.
    """

    def __init__(
        self,
        graph: PipelineGraph,
        *,
        clock: Clock | None = None,
        on_telemetry: TelemetrySink | None = None,
        telemetry_interval: float = 1.0,
        on_event: Callable[[Event], None] | None = None,
        link_capacity: int = DEFAULT_PORT_CAPACITY,
    ) -> None:
        self._clock = clock or WallClock()
        self._flow = Dataflow(graph, link_capacity=link_capacity, on_event=on_event)
        self._on_telemetry = on_telemetry
        self._telemetry_interval = telemetry_interval
        self._loop: asyncio.AbstractEventLoop | None = None
        self._done: asyncio.Future[RunEnded] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._telemetry_timer: asyncio.TimerHandle | None = None
        self._step_queued = False
        self._stepping = False
        self._readers: list[Component[Any]] = []
        """I/O components read before every step, when there are several (see :meth:`_step`)."""

    async def __aenter__(self) -> Engine:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._flow.outcome is None:
            self.stop("engine context exited")
        self.close()

    def component(self, component_id: str) -> Component[Any]:
        """The live component ``component_id`` (e.g. to read a bound UDP port)."""
        return self._flow.components[component_id]

    async def start(self) -> None:
        """Open I/O components (ports are bound when this returns) and begin stepping."""
        loop = self._loop = asyncio.get_running_loop()
        self._done = loop.create_future()
        try:
            for component in self._flow.components.values():
                if component.io:
                    await component.open(self.wake)
        except BaseException:
            self.close()
            raise
        io = [c for c in self._flow.components.values() if c.io]
        self._readers = io if len(io) > 1 else []
        self._flow.start(self._clock.now())
        self._queue_step()
        if self._on_telemetry is not None:
            self._telemetry_timer = loop.call_later(self._telemetry_interval, self._telemetry_tick)

    async def wait(self) -> RunEnded:
        """Wait for the run to end and return its outcome."""
        if self._done is None:
            raise RuntimeError("Engine.start() has not been called")
        return await asyncio.shield(self._done)

    def stop(self, reason: str = "stop requested") -> None:
        """End the run now with exit code 0; packets in flight are abandoned."""
        self._flow.end(RunEnded(0, reason))
        self._finish()

    def snapshot(self) -> TelemetrySnapshot:
        """Telemetry of the run at this instant."""
        return self._flow.snapshot(self._clock.now())

    def close(self) -> None:
        """Cancel timers and close sockets; idempotent."""
        for handle in (self._timer, self._telemetry_timer):
            if handle is not None:
                handle.cancel()
        self._timer = self._telemetry_timer = None
        for component in reversed(self._flow.components.values()):
            if component.io:
                component.close()

    def wake(self) -> None:
        """Step now: I/O components call this on new input, so a packet leaves in the same wake-up.

        Deferring to ``call_soon`` would cost a second loop iteration per packet, and that hop
        (not the Python work) dominated the latency a pipeline adds. From inside a step it only
        queues one, so a step never runs re-entrantly.
        """
        if self._loop is None or self._flow.outcome is not None:
            return
        if self._stepping:
            self._queue_step()
            return
        self._step()

    def _queue_step(self) -> None:
        """Schedule a step on the next loop iteration, letting other callbacks run first."""
        if self._step_queued or self._loop is None or self._flow.outcome is not None:
            return
        self._cancel_timer()
        self._step_queued = True
        self._loop.call_soon(self._queued_step)

    def _queued_step(self) -> None:
        self._step_queued = False
        if self._flow.outcome is None:
            self._step()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _step(self) -> None:
        self._cancel_timer()  # a direct step replaces a pending timed one
        # One socket's wake steps at once (see wake), but the others may hold input too: a
        # step that saw only one of several carriers took the rest for lost (raft NACKed
        # packets still unread in the other socket). Reading costs one syscall per socket.
        for reader in self._readers:
            reader.read_ready()
        now = self._clock.now()
        self._stepping = True
        try:
            outcome = self._flow.step(now)
        finally:
            self._stepping = False
        if outcome is not None:
            self._finish()
            return
        deadline = self._flow.next_deadline()
        if deadline is None:
            return
        if deadline <= now:
            # More work than MAX_PASSES allows: continue after other callbacks had their turn.
            self._queue_step()
            return
        assert self._loop is not None
        # Round up to whole milliseconds: uvloop timers have that resolution, and firing
        # early would only cost an empty step.
        delay = math.ceil((deadline - now) * 1000) / 1000
        self._timer = self._loop.call_later(delay, self._step)

    def _telemetry_tick(self) -> None:
        assert self._loop is not None
        assert self._on_telemetry is not None
        if self._flow.outcome is not None:
            return
        self._on_telemetry(self.snapshot())
        self._telemetry_timer = self._loop.call_later(
            self._telemetry_interval, self._telemetry_tick
        )

    def _finish(self) -> None:
        outcome = self._flow.outcome
        if outcome is None or self._done is None or self._done.done():
            return
        for handle in (self._timer, self._telemetry_timer):
            if handle is not None:
                handle.cancel()
        self._done.set_result(outcome)


async def run(
    graph: PipelineGraph,
    *,
    clock: Clock | None = None,
    stop_event: asyncio.Event | None = None,
    on_telemetry: TelemetrySink | None = None,
    telemetry_interval: float = 1.0,
    on_event: Callable[[Event], None] | None = None,
) -> RunEnded:
    """Run ``graph`` to its end; setting ``stop_event`` stops it (exit code 0)."""
    engine = Engine(
        graph,
        clock=clock,
        on_telemetry=on_telemetry,
        telemetry_interval=telemetry_interval,
        on_event=on_event,
    )
    await engine.start()
    watcher = asyncio.ensure_future(_stop_when_set(engine, stop_event)) if stop_event else None
    try:
        return await engine.wait()
    finally:
        if watcher is not None:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
        engine.close()


async def _stop_when_set(engine: Engine, event: asyncio.Event) -> None:
    await event.wait()
    engine.stop()


def run_on_uvloop(graph: PipelineGraph, **options: Any) -> RunEnded:
    """Blocking form of :func:`run` on a fresh uvloop event loop (the run process's entry)."""
    return uvloop.run(run(graph, **options))
