"""The sans-IO heart of a run: components wired by links, stepped with ``now``.

:class:`Dataflow` moves batches along bounded links, polls components whose deadline has
come, decides when the run has ended and builds telemetry snapshots. It never sleeps or
touches a socket: the asyncio :class:`~nanoping.dataplane.engine.Engine` drives it on a real
loop, and :func:`~nanoping.dataplane.fakes.run_virtual` drives it on a fake clock.

Back-pressure: a component is *blocked* while it refuses input (``can_accept``) or any of its
connected output links holds ``capacity`` packets or more. A blocked component is neither
pushed to nor polled, so a full link stops its producer and, in turn, that producer's
producers.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from nanoping.dataplane.component import (
    DEFAULT_PORT_CAPACITY,
    Component,
    PortBuffer,
    component_types,
)
from nanoping.dataplane.config import PipelineGraph
from nanoping.dataplane.events import ComponentFinished, ComponentLogged, Event, RunEnded
from nanoping.dataplane.metrics import Kpi, TelemetrySnapshot

MAX_PASSES = 4
"""Sweeps over the graph per step; more work waits for the next step so the loop stays responsive."""


class _Node:
    """A component plus its place in the graph."""

    __slots__ = ("component", "done", "downstream", "inputs", "outputs", "unconnected", "upstream")

    def __init__(self, component: Component[Any]) -> None:
        self.component = component
        self.inputs: list[tuple[int, PortBuffer]] = []
        self.outputs: list[PortBuffer] = []
        self.unconnected: list[PortBuffer] = list(component.outputs)
        self.upstream: list[_Node] = []
        self.downstream: list[_Node] = []
        self.done = False

    def blocked(self) -> bool:
        if not self.component.can_accept():
            return True
        return any(buf.count >= buf.capacity for buf in self.outputs)


class Dataflow:
    """A pipeline graph instantiated as components and links, advanced by :meth:`step`."""

    def __init__(
        self,
        graph: PipelineGraph,
        *,
        link_capacity: int = DEFAULT_PORT_CAPACITY,
        on_event: Callable[[Event], None] | None = None,
    ) -> None:
        types = component_types()
        self._nodes = {
            spec.id: _Node(types[spec.type_name](component_id=spec.id, params=spec.params))
            for spec in graph.components
        }
        self._wire(graph, link_capacity)
        self._order = _topological(list(self._nodes.values()))
        self._on_event = on_event
        self._started_at = 0.0
        self._current = ""
        self.outcome: RunEnded | None = None
        self.packets_discarded = 0

    def _wire(self, graph: PipelineGraph, capacity: int) -> None:
        for link in graph.links:
            producer, consumer = self._nodes[link.producer], self._nodes[link.consumer]
            buffer = producer.component.outputs[link.out_port]
            buffer.capacity = capacity
            producer.outputs.append(buffer)
            producer.unconnected.remove(buffer)
            producer.downstream.append(consumer)
            consumer.inputs.append((link.in_port, buffer))
            consumer.upstream.append(producer)

    @property
    def components(self) -> dict[str, Component[Any]]:
        """Component instances by id, in configuration order."""
        return {cid: node.component for cid, node in self._nodes.items()}

    def start(self, now: float) -> None:
        """Start every component; call once before the first step."""
        self._started_at = now
        for node in self._order:
            self._current = node.component.id
            node.component.start(now)

    def step(self, now: float) -> RunEnded | None:
        """Do all work due at ``now``; return the outcome once the run has ended."""
        if self.outcome is not None:
            return self.outcome
        try:
            for _ in range(MAX_PASSES):
                if not self._sweep(now):
                    break
            self._collect_events()
            if self.outcome is None:
                self._check_finished(now)
        except Exception as exc:  # a component bug ends the run as failed, with its id
            self.end(RunEnded(1, f"component '{self._current}' raised {type(exc).__name__}: {exc}"))
        return self.outcome

    def _sweep(self, now: float) -> bool:
        """One pass in topological order; True if any batch was delivered."""
        delivered = False
        for node in self._order:
            component = node.component
            self._current = component.id
            if node.blocked():
                continue
            for port, buffer in node.inputs:
                while buffer.batches and not node.blocked():
                    component.push(port, buffer.pop(), now)
                    delivered = True
            deadline = component.next_deadline()
            if deadline is not None and deadline <= now and not node.blocked():
                component.poll(now)
            for buffer in node.unconnected:
                if buffer.count:
                    self.packets_discarded += buffer.count
                    buffer.batches.clear()
                    buffer.count = 0
        return delivered

    def next_deadline(self) -> float | None:
        """When :meth:`step` next has work: -inf for "now", None when only outside input can help."""
        best: float | None = None
        for node in self._order:
            if node.blocked():
                continue
            if any(buffer.count for _, buffer in node.inputs):
                return -math.inf
            deadline = node.component.next_deadline()
            if deadline is not None and (best is None or deadline < best):
                best = deadline
        return best

    def _collect_events(self) -> None:
        for node in self._order:
            events = node.component.events
            if not events:
                continue
            node.component.events = []
            for event in events:
                self._emit(event)
                if isinstance(event, ComponentLogged):
                    continue
                if self.outcome is None:
                    self.end(
                        RunEnded(1, f"component '{event.component_id}' failed: {event.reason}")
                    )

    def _check_finished(self, now: float) -> None:
        changed = True
        while changed:
            changed = False
            for node in self._order:
                if not node.done and self._finished(node, now):
                    node.done = changed = True
                    self._emit(ComponentFinished(node.component.id, now))
        if all(node.done for node in self._order):
            self.end(RunEnded(0, "all components finished"))

    def _finished(self, node: _Node, now: float) -> bool:
        self._current = node.component.id
        inputs_done = all(up.done for up in node.upstream) and not any(
            b.count for _, b in node.inputs
        )
        outputs_done = all(down.done for down in node.downstream)
        return node.component.finished(now, inputs_done=inputs_done, outputs_done=outputs_done)

    def end(self, outcome: RunEnded) -> None:
        """End the run with ``outcome`` (first call wins)."""
        if self.outcome is None:
            self.outcome = outcome
            self._emit(outcome)

    def _emit(self, event: Event) -> None:
        if self._on_event is not None:
            self._on_event(event)

    def snapshot(self, now: float) -> TelemetrySnapshot:
        """Metrics of every component and the run's KPIs at ``now``."""
        collections = tuple(node.component.metrics(now) for node in self._nodes.values())
        finished = sum(node.done for node in self._nodes.values())
        kpis = (
            Kpi(id="elapsed_seconds", field="value", value=now - self._started_at),
            Kpi(id="components_total", field="value", value=len(self._nodes)),
            Kpi(id="components_finished", field="value", value=finished),
            Kpi(id="packets_discarded", field="value", value=self.packets_discarded),
        )
        return TelemetrySnapshot(timestamp=now, collections=collections, kpis=kpis)


def _topological(nodes: list[_Node]) -> list[_Node]:
    """Producers before consumers; nodes on cycles keep their configuration order at the end."""
    indegree = {id(node): len(node.upstream) for node in nodes}
    ready = [node for node in nodes if indegree[id(node)] == 0]
    order: list[_Node] = []
    while ready:
        node = ready.pop(0)
        order.append(node)
        for down in node.downstream:
            indegree[id(down)] -= 1
            if indegree[id(down)] == 0:
                ready.append(down)
    placed = {id(node) for node in order}
    return order + [node for node in nodes if id(node) not in placed]
