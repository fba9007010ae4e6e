"""The component base class, its port buffers and the registry of components by config name.

A component is a sans-IO core: the engine hands it packets (:meth:`Component.push`) and the
current time (:meth:`Component.poll`), and reads back what it emitted on its output ports,
the events it raised and its next deadline. Only I/O components (``io = True``) touch
sockets, through :meth:`Component.open` and :meth:`Component.close`.

Every component keeps five standard counters so one contract holds for all of them::

    packets_in + packets_produced == packets_out + packets_consumed + packets_dropped + pending()
"""

from __future__ import annotations

import dataclasses
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, Generic, TypeVar

from nanoping.dataplane.events import ComponentFailed, ComponentLogged
from nanoping.dataplane.metrics import Metric, MetricsCollection, collection_path, counter
from nanoping.dataplane.packet import Batch
from nanoping.dataplane.parameter import describe, link_fields
from nanoping.dataplane.ports import Ports
from nanoping.dataplane.wiring import parse_link

P = TypeVar("P")
DEFAULT_PORT_CAPACITY = 4096
"""Packets a link may hold before its producer is held back."""


class PortBuffer:
    """Bounded FIFO of batches on one output port; the engine's link to the next component."""

    __slots__ = ("batches", "capacity", "count")

    def __init__(self, capacity: int = DEFAULT_PORT_CAPACITY) -> None:
        self.batches: deque[Batch] = deque()
        self.count = 0
        self.capacity = capacity

    def put(self, batch: Batch) -> None:
        """Append a batch (the buffer may go over capacity by one batch)."""
        self.batches.append(batch)
        self.count += len(batch)

    def pop(self) -> Batch:
        """Remove and return the oldest batch."""
        batch = self.batches.popleft()
        self.count -= len(batch)
        return batch

    def take(self) -> Batch:
        """Remove everything, as one batch in order."""
        out: Batch = []
        while self.batches:
            out.extend(self.batches.popleft())
        self.count = 0
        return out

    def drop_oldest(self, count: int) -> int:
        """Discard up to ``count`` packets from the front; return how many went."""
        dropped = 0
        while self.batches and dropped < count:
            head = self.batches[0]
            cut = min(count - dropped, len(head))
            if cut == len(head):
                self.batches.popleft()
            else:
                del head[:cut]
            dropped += cut
        self.count -= dropped
        return dropped

    @property
    def full(self) -> bool:
        """True when the producer should stop emitting into this buffer."""
        return self.count >= self.capacity


class Component(Generic[P]):
    """Base class of all pipeline components; subclasses register with :func:`register`."""

    type_name: ClassVar[str] = ""
    """Config name of the component type, set by :func:`register`."""
    params_type: ClassVar[type[Any]]
    """Frozen dataclass declaring the parameters (see ``parameter.py``)."""
    io: ClassVar[bool] = False
    """True for components that own sockets and need :meth:`open`/:meth:`close`."""
    needs_net_admin: ClassVar[bool] = False
    """True for components that create interfaces or routes (root or CAP_NET_ADMIN)."""
    live_parameters: ClassVar[frozenset[str]] = frozenset()
    """Parameters a running instance can take new values of (see :meth:`reconfigure`)."""

    def __init__(self, *, component_id: str, params: P) -> None:
        self.id = component_id
        self.params = params
        self.ports = self.declare_ports(params)
        self.input_count = self.ports.input_count
        self.outputs = [PortBuffer() for _ in range(self.ports.output_count)]
        self.events: list[ComponentFailed | ComponentLogged] = []
        self.packets_in = 0
        self.packets_out = 0
        self.packets_produced = 0
        self.packets_consumed = 0
        self.packets_dropped = 0

    @classmethod
    def declare_ports(cls, params: Any) -> Ports:
        """The ports an instance with these parameters has; override to declare your own.

        The default suits the components whose links are plain fields: one ``flows`` group
        with a port per flow, or an ``input`` and an ``output`` port when those fields exist.
        A transport declares its groups explicitly, e.g.
        ``Ports.of(inputs={"streams": s, "carriers": c}, outputs={"streams": s, "carriers": c})``;
        a group named after a repeated-record parameter (``streams``) must receive exactly
        that parameter's links, which the graph check enforces.
        """
        flows = getattr(params, "flows", None)
        if flows is not None:
            return Ports.of(inputs={"flows": len(flows)}, outputs={"flows": len(flows)})
        names = link_fields(cls.params_type)
        return Ports.of(
            inputs={"input": int("input" in names)}, outputs={"output": int("output" in names)}
        )

    @classmethod
    def port_counts(cls, params: Any) -> tuple[int, int]:
        """Number of (input, output) ports for these parameters, from :meth:`declare_ports`."""
        ports = cls.declare_ports(params)
        return ports.input_count, ports.output_count

    # ---- driven by the engine -------------------------------------------------------------

    def start(self, now: float) -> None:
        """Called once when the run starts, before any packet moves."""

    def push(self, port: int, batch: Batch, now: float) -> None:
        """Hand a batch of packets arriving on input ``port`` to the component."""
        self.packets_in += len(batch)
        self.handle(port, batch, now)

    def handle(self, port: int, batch: Batch, now: float) -> None:
        """Process packets arriving on ``port``; components with inputs override this."""
        raise NotImplementedError(f"{self.type_name} has no input ports")

    def poll(self, now: float) -> None:
        """Do the work that is due at ``now`` (timers, releases, generation)."""

    def next_deadline(self) -> float | None:
        """Earliest clock time at which :meth:`poll` has work, or None when idle."""
        return None

    def pending(self) -> int:
        """Packets held inside the component, not yet emitted or dropped."""
        return 0

    def can_accept(self) -> bool:
        """False while the component cannot take more input (back-pressure)."""
        return True

    def finished(self, now: float, *, inputs_done: bool, outputs_done: bool) -> bool:
        """True when the component has no more work to do in this run.

        ``inputs_done``: every upstream component finished and every input link is empty.
        ``outputs_done``: every downstream component finished (True without outputs).
        By default a component is done when its input has ended and it holds nothing, or
        when it has output ports and nobody downstream needs its packets any more.
        """
        return (inputs_done and self.pending() == 0) or (outputs_done and bool(self.outputs))

    def reconfigure(self, params: P) -> None:
        """Take new parameter values while the run goes on (a live pipeline update).

        Called only when every parameter that differs is in ``live_parameters``; components
        that cache values derived from their parameters override this to refresh them.
        """
        self.params = params

    # ---- I/O components only --------------------------------------------------------------

    async def open(self, wake: Callable[[], None]) -> None:
        """Open sockets; call ``wake`` when new work arrives from outside the engine."""

    def close(self) -> None:
        """Release sockets; safe to call twice."""

    def read_ready(self) -> None:
        """Take in what the sockets already hold, without calling ``wake``.

        The engine calls this on every I/O component before a step when there are several,
        so a step sees the input of every socket, not only of the one whose wake started it.
        """

    # ---- helpers for subclasses -----------------------------------------------------------

    def emit(self, port: int, batch: Batch) -> None:
        """Send a batch out of output ``port``."""
        self.packets_out += len(batch)
        self.outputs[port].put(batch)

    def log(self, level: str, message: str) -> None:
        """Write a line into the run's log (kept off the hot path: no per-packet logging)."""
        self.events.append(ComponentLogged(self.id, level, message))

    def fail(self, reason: str) -> None:
        """Ask the engine to end the run as failed."""
        self.events.append(ComponentFailed(self.id, reason))

    def metrics(self, now: float) -> MetricsCollection:
        """The component's metrics collection at time ``now``."""
        return MetricsCollection(
            collection_path(self.id), (*self._base_metrics(), *self.extra_metrics(now))
        )

    def extra_metrics(self, now: float) -> Iterable[Metric]:
        """Component-specific metrics; override to add some."""
        return ()

    def _base_metrics(self) -> tuple[Metric, ...]:
        return (
            counter(
                "packets_in",
                self.packets_in,
                "packets",
                "Packets received from upstream components.",
            ),
            counter(
                "packets_out", self.packets_out, "packets", "Packets sent to downstream components."
            ),
            counter(
                "packets_produced",
                self.packets_produced,
                "packets",
                "Packets created here or received from outside the pipeline.",
            ),
            counter(
                "packets_consumed",
                self.packets_consumed,
                "packets",
                "Packets that left the pipeline here (sent to a socket or ended at a sink).",
            ),
            counter("packets_dropped", self.packets_dropped, "packets", "Packets discarded here."),
        )


def linked_ports(records: Iterable[Any], *, output: bool) -> list[int | None]:
    """Port number each record's ``input`` (or ``output``) link uses here; None where unset.

    E.g. ``linked_ports(params.carriers, output=True)[j]`` is the output port of carrier j.
    """
    ports: list[int | None] = []
    for record in records:
        text = getattr(record, "output" if output else "input", None)
        if text is None:
            ports.append(None)
            continue
        link = parse_link(text)
        ports.append(link.out_port if output else link.in_port)
    return ports


def flow_routes(flows: Iterable[Any]) -> dict[int, int]:
    """Map each flow's input port to its output port, read from the flows' wiring strings."""
    return {parse_link(flow.input).in_port: parse_link(flow.output).out_port for flow in flows}


_REGISTRY: dict[str, type[Component[Any]]] = {}
C = TypeVar("C", bound=type[Component[Any]])


def register(name: str) -> Callable[[C], C]:
    """Class decorator: make a finished component available under its config name."""

    def decorate(cls: C) -> C:
        if name in _REGISTRY:
            raise ValueError(f"component type {name!r} is already registered")
        if not dataclasses.is_dataclass(cls.params_type):
            raise TypeError(f"{cls.__name__}.params_type must be a dataclass")
        cls.type_name = name
        _REGISTRY[name] = cls
        return cls

    return decorate


def component_types() -> dict[str, type[Component[Any]]]:
    """All registered component classes by config name."""
    import nanoping.dataplane.components  # noqa: F401  (registers the built-in components)

    return dict(_REGISTRY)


def catalogue() -> dict[str, Any]:
    """Parameter catalogue of every registered component, for documentation and clients."""
    return {name: describe(cls.params_type) for name, cls in sorted(component_types().items())}
