"""The parse tree of a template: what the parser builds and the executor walks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Node:
    """Any node; ``position`` is its offset in the template text."""

    position: int


# ---- arguments --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dot(Node):
    """``.``: the current data."""


@dataclass(frozen=True)
class Field(Node):
    """``.a.b``: keys looked up from the current data."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Variable(Node):
    """``$name.a.b``: a variable and keys looked up from its value."""

    name: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class Chain(Node):
    """``(pipeline).a.b``: keys looked up from a parenthesized pipeline's value."""

    pipe: Pipe
    names: tuple[str, ...]


@dataclass(frozen=True)
class Identifier(Node):
    """A function name."""

    name: str


@dataclass(frozen=True)
class Literal(Node):
    """A string, number, boolean or ``nil`` (value None) written in the template."""

    value: object


@dataclass(frozen=True)
class Command(Node):
    """One step of a pipeline: a function and its arguments, or a single value."""

    args: tuple[Node, ...]


@dataclass(frozen=True)
class Pipe(Node):
    """Commands joined by ``|``, each receiving the previous result as its last argument."""

    commands: tuple[Command, ...]
    declare: tuple[str, ...] = ()
    """Variables declared (``:=``) or assigned (``=``) with the result."""
    assign: bool = False
    """True for ``=`` (assign existing variables), False for ``:=``."""


# ---- statements -------------------------------------------------------------------------------


@dataclass(frozen=True)
class TextNode(Node):
    """Literal text."""

    text: str


@dataclass(frozen=True)
class ActionNode(Node):
    """``{{pipeline}}``: prints the pipeline's value unless it declares variables."""

    pipe: Pipe


@dataclass(frozen=True)
class Branch(Node):
    """``if`` / ``with`` / ``range`` with their body and the ``else`` part."""

    keyword: str
    pipe: Pipe
    body: tuple[Node, ...]
    otherwise: tuple[Node, ...]


@dataclass(frozen=True)
class LoopControl(Node):
    """``{{break}}`` or ``{{continue}}`` inside a ``range``."""

    keyword: str
