"""The sans-IO heart of a run: components wired by links, stepped with ``now``.

:class:`Dataflow` moves batches along bounded links, polls components whose deadline has
come, decides when the run has ended and builds telemetry snapshots. It never sleeps or
touches a socket: the asyncio :class:`~nanoping.dataplane.engine.Engine` drives it on a real
loop, and :func:`~nanoping.dataplane.fakes.run_virtual` drives it on a fake clock.

Back-pressure: a component is *blocked* while it refuses input (``can_accept``) or any of its
connected forward output links holds ``capacity`` packets or more. A blocked component is
neither pushed to nor polled, so a full link stops its producer and, in turn, that producer's
producers.

Cycles (a carrier's output feeding a receiver whose feedback returns to the sender) are
allowed. The components are ordered producers-first; where a cycle makes that impossible the
cycle is cut before the component that comes first in the configuration, and each link that
runs against the order is a *feedback* link. Semantics:

- A sweep visits components in order, so a packet crosses any number of forward links in one
  sweep and a feedback link by the next sweep (up to :data:`MAX_PASSES` per step).
- Feedback links never block their producer (that is what makes a cycle unable to deadlock):
  a feedback link over its capacity drops its *oldest* packets, counted in the
  ``feedback_dropped`` KPI, because on a feedback path the newest report is the useful one.
- A component's input counts as ended when its producers have finished and its input links
  are empty. For the components of one cycle this is judged together: their input ends when
  the producers feeding the cycle from outside have finished, every I/O component on the
  cycle (a socket brings packets from outside too) has finished, every link into any of them
  is empty and none of them holds a packet, so the cycle drains before it finishes. A relay
  ``udp → impairments → udp → impairments → udp`` therefore runs until it is stopped.
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

    __slots__ = (
        "component",
        "cycle",
        "done",
        "downstream",
        "feedback",
        "inputs",
        "outputs",
        "unconnected",
        "upstream",
    )

    def __init__(self, component: Component[Any]) -> None:
        self.component = component
        self.inputs: list[tuple[int, PortBuffer]] = []
        self.outputs: list[PortBuffer] = []
        """Forward output links: these hold the component back when full."""
        self.feedback: list[PortBuffer] = []
        """Feedback output links: bounded by dropping their oldest packets, never blocking."""
        self.unconnected: list[PortBuffer] = list(component.outputs)
        self.upstream: list[_Node] = []
        """Producers of forward links (the ones whose end ends this component's input)."""
        self.downstream: list[_Node] = []
        self.cycle: list[_Node] = [self]
        """The nodes on a cycle with this one (its strongly connected part), itself included."""
        self.done = False

    def quiet(self) -> bool:
        """True when, as a member of a cycle, this node will bring no more packets into it.

        An I/O component brings packets from outside the pipeline until it has finished.
        """
        component = self.component
        return not component.pending() and (self.done or not component.io)

    def inputs_held(self) -> int:
        return sum(buffer.count for _, buffer in self.inputs)

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
        edges = [(link.producer, link.consumer) for link in graph.links]
        order = _ordered(list(self._nodes), edges)
        self._position = {cid: index for index, cid in enumerate(order)}
        self._order = [self._nodes[cid] for cid in order]
        self._io = [node for node in self._order if node.component.io]
        self._wire(graph, link_capacity)
        _find_cycles(self._order)
        self._on_event = on_event
        self._started_at = 0.0
        self._current = ""
        self.outcome: RunEnded | None = None
        self.packets_discarded = 0
        self.feedback_dropped = 0

    def _wire(self, graph: PipelineGraph, capacity: int) -> None:
        for link in graph.links:
            producer, consumer = self._nodes[link.producer], self._nodes[link.consumer]
            buffer = producer.component.outputs[link.out_port]
            buffer.capacity = capacity
            producer.unconnected.remove(buffer)
            producer.downstream.append(consumer)
            consumer.inputs.append((link.in_port, buffer))
            if self.is_feedback(link.producer, link.consumer):
                producer.feedback.append(buffer)
            else:
                producer.outputs.append(buffer)
                consumer.upstream.append(producer)

    def is_feedback(self, producer: str, consumer: str) -> bool:
        """True when the link from ``producer`` to ``consumer`` runs against the sweep order."""
        return self._position[producer] >= self._position[consumer]

    @property
    def order(self) -> list[str]:
        """Component ids in the order a sweep visits them."""
        return [node.component.id for node in self._order]

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
            self._take_outside_input(now)
            for _ in range(MAX_PASSES):
                if not self._sweep(now):
                    break
            self._collect_events()
            if self.outcome is None:
                self._check_finished(now)
        except Exception as exc:  # a component bug ends the run as failed, with its id
            self.end(RunEnded(1, f"component '{self._current}' raised {type(exc).__name__}: {exc}"))
        return self.outcome

    def _take_outside_input(self, now: float) -> None:
        """Let the I/O components hand on what arrived before any other component's timers run.

        A component on a cycle with its sockets (raft and its carriers) comes first in the sweep,
        so its timers would judge by the previous step's input: NACK packets already read, or
        take a carrier whose answers wait in its socket component for dark.
        """
        for node in self._io:
            component = node.component
            self._current = component.id
            deadline = component.next_deadline()
            if deadline is not None and deadline <= now and not node.blocked():
                component.poll(now)

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
            for buffer in node.feedback:
                if buffer.count > buffer.capacity:
                    self.feedback_dropped += buffer.drop_oldest(buffer.count - buffer.capacity)
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
        inputs_done = all(up.done for up in node.upstream if up not in node.cycle) and all(
            not member.inputs_held() and (member is node or member.quiet()) for member in node.cycle
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
            Kpi(id="feedback_dropped", field="value", value=self.feedback_dropped),
        )
        return TelemetrySnapshot(timestamp=now, collections=collections, kpis=kpis)


def _ordered(ids: list[str], edges: list[tuple[str, str]]) -> list[str]:
    """Producers before consumers; a cycle is cut where the placed part of the graph enters it.

    Kahn's algorithm over the configuration order. When only cycles remain, the next
    component is the first (in configuration order) that an already placed component feeds,
    or simply the first left; the links into it from components not yet placed become
    feedback links.
    """
    upstream: dict[str, set[str]] = {cid: set() for cid in ids}
    for producer, consumer in edges:
        upstream[consumer].add(producer)
    placed: dict[str, None] = {}
    while len(placed) < len(ids):
        left = [cid for cid in ids if cid not in placed]
        ready = [cid for cid in left if upstream[cid] <= placed.keys()]
        fed = [cid for cid in left if upstream[cid] & placed.keys()]
        placed[(ready or fed or left)[0]] = None
    return list(placed)


def _find_cycles(nodes: list[_Node]) -> None:
    """Set each node's ``cycle``: the nodes it can reach that can also reach it."""
    reach = {id(node): _reachable(node) for node in nodes}
    for node in nodes:
        node.cycle = [node] + [
            other
            for other in nodes
            if other is not node and id(node) in reach[id(other)] and id(other) in reach[id(node)]
        ]


def _reachable(start: _Node) -> set[int]:
    seen: set[int] = set()
    stack = list(start.downstream)
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen.add(id(node))
            stack.extend(node.downstream)
    return seen
