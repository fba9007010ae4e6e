"""The ports a component declares: named groups of numbered inputs and outputs.

A component's ports are numbered from 0 on each side; a declaration splits those numbers
into named groups in order, e.g. a transport with two streams and three carriers has inputs
``streams 0-1, carriers 2-4``. The graph check reads the counts to reject links to ports that
do not exist, and names the groups in its message; a component reads :meth:`Ports.role` to
know what a port number stands for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PortGroup:
    """A run of consecutive ports that play the same role (``streams``, ``carriers``, ...)."""

    name: str
    """Role of the ports, used in messages and by :meth:`Ports.role`."""
    count: int
    """How many ports the group has; 0 is allowed (an unused role)."""

    def __post_init__(self) -> None:
        if not self.name:
            raise ValueError("a port group needs a name")
        if self.count < 0:
            raise ValueError(f"port group {self.name!r} has a negative count {self.count}")


def _groups(spec: Mapping[str, int]) -> tuple[PortGroup, ...]:
    return tuple(PortGroup(name, count) for name, count in spec.items())


@dataclass(frozen=True, slots=True)
class Ports:
    """Input and output ports of one component instance, as declared by its type."""

    inputs: tuple[PortGroup, ...] = ()
    """Input groups, in port-number order."""
    outputs: tuple[PortGroup, ...] = ()
    """Output groups, in port-number order."""

    @classmethod
    def of(cls, *, inputs: Mapping[str, int], outputs: Mapping[str, int]) -> Ports:
        """Declare ports from ``{group name: count}`` maps, in order."""
        return cls(inputs=_groups(inputs), outputs=_groups(outputs))

    @property
    def input_count(self) -> int:
        """Number of input ports."""
        return sum(group.count for group in self.inputs)

    @property
    def output_count(self) -> int:
        """Number of output ports."""
        return sum(group.count for group in self.outputs)

    def first(self, group_name: str, *, output: bool) -> int:
        """Port number of the first port of ``group_name``; KeyError when undeclared."""
        number = 0
        for group in self.outputs if output else self.inputs:
            if group.name == group_name:
                return number
            number += group.count
        raise KeyError(group_name)

    def role(self, port: int, *, output: bool) -> tuple[str, int]:
        """(group name, index inside the group) of a port number; IndexError when out of range."""
        offset = port
        for group in self.outputs if output else self.inputs:
            if 0 <= offset < group.count:
                return group.name, offset
            offset -= group.count
        side = "output" if output else "input"
        raise IndexError(f"no {side} port {port}")

    def describe(self, *, output: bool) -> str:
        """Human form of one side, e.g. ``streams 0-1, carriers 2-4``."""
        parts = []
        number = 0
        for group in self.outputs if output else self.inputs:
            if group.count == 1:
                parts.append(f"{group.name} {number}")
            elif group.count > 1:
                parts.append(f"{group.name} {number}-{number + group.count - 1}")
            number += group.count
        return ", ".join(parts) or "none"
