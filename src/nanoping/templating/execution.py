"""Runs a parsed template over data: Go's text/template execution rules for this subset.

Bounded against hostile templates and data: the output may not exceed ``max_output``
characters and execution may not take more than ``max_steps`` steps.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nanoping.templating import nodes
from nanoping.templating.errors import TemplateExecError
from nanoping.templating.functions import FUNCTIONS, LAZY, CallError
from nanoping.templating.source import Source
from nanoping.templating.values import MISSING, format_value, is_true, sorted_keys, type_name

MAX_OUTPUT = 1 << 20
"""Characters a rendering may produce."""
MAX_STEPS = 1_000_000
"""Nodes a rendering may evaluate (ranges over large data stop here)."""


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class _Failure(Exception):
    """An error at a node; turned into a TemplateExecError with its line and column."""

    def __init__(self, node: nodes.Node, message: str) -> None:
        super().__init__(message)
        self.node = node
        self.message = message


@dataclass
class Execution:
    """One rendering of a template."""

    source: Source
    missing_key_error: bool = False
    max_output: int = MAX_OUTPUT
    max_steps: int = MAX_STEPS
    out: list[str] = field(default_factory=list)
    size: int = 0
    steps: int = 0
    variables: list[tuple[str, object]] = field(default_factory=list)

    def run(self, body: Sequence[nodes.Node], data: object) -> str:
        self.variables = [("$", data)]
        try:
            self.walk(body, data)
        except _Failure as failure:
            line, column = self.source.line_column(failure.node.position)
            raise TemplateExecError(
                name=self.source.name, line=line, column=column, message=failure.message
            ) from None
        return "".join(self.out)

    # ---- statements ---------------------------------------------------------------------------

    def walk(self, body: Sequence[nodes.Node], dot: object) -> None:
        for node in body:
            self.step(node)
            if isinstance(node, nodes.TextNode):
                self.write(node, node.text)
            elif isinstance(node, nodes.ActionNode):
                value = self.pipe(node.pipe, dot)
                if not node.pipe.declare:
                    self.write(node, format_value(value))
            elif isinstance(node, nodes.Branch):
                self.branch(node, dot)
            elif isinstance(node, nodes.LoopControl):
                raise _Break() if node.keyword == "break" else _Continue()

    def step(self, node: nodes.Node) -> None:
        self.steps += 1
        if self.steps > self.max_steps:
            raise _Failure(node, f"execution stopped after {self.max_steps} steps")

    def write(self, node: nodes.Node, text: str) -> None:
        self.size += len(text)
        if self.size > self.max_output:
            raise _Failure(node, f"output exceeds {self.max_output} characters")
        self.out.append(text)

    def branch(self, node: nodes.Branch, dot: object) -> None:
        scope = len(self.variables)
        try:
            if node.keyword == "range":
                self.range(node, dot)
                return
            value = self.pipe(node.pipe, dot)
            if is_true(value):
                self.walk(node.body, value if node.keyword == "with" else dot)
            else:
                self.walk(node.otherwise, dot)
        finally:
            del self.variables[scope:]

    def range(self, node: nodes.Branch, dot: object) -> None:
        value = self.pipe(node.pipe, dot, declare=False)
        pairs = self.range_pairs(node.pipe.commands[0], value)
        if not pairs:
            self.walk(node.otherwise, dot)
            return
        scope = len(self.variables)
        for key, element in pairs:
            del self.variables[scope:]
            names = node.pipe.declare
            if len(names) == 1:
                self.variables.append((names[0], element))
            elif len(names) == 2:
                self.variables += [(names[0], key), (names[1], element)]
            try:
                self.walk(node.body, element)
            except _Break:
                break
            except _Continue:
                continue

    def range_pairs(self, node: nodes.Node, value: object) -> list[tuple[object, object]]:
        if isinstance(value, Mapping):
            return [(key, _plain(value[key])) for key in sorted_keys(value)]
        if isinstance(value, list | tuple):
            return [(number, _plain(item)) for number, item in enumerate(value)]
        if isinstance(value, int) and not isinstance(value, bool):
            return [(number, number) for number in range(max(value, 0))]
        if value is MISSING:
            return []
        raise _Failure(node, f"range can't iterate over {format_value(value)}")

    # ---- pipelines ----------------------------------------------------------------------------

    def pipe(self, pipe: nodes.Pipe, dot: object, *, declare: bool = True) -> object:
        value: object = MISSING
        for number, command in enumerate(pipe.commands):
            value = self.command(command, dot, final=value if number else None, piped=number > 0)
        if declare:
            for name in pipe.declare:
                self.set_variable(pipe, name, value)
        return value

    def set_variable(self, node: nodes.Node, name: str, value: object) -> None:
        if not isinstance(node, nodes.Pipe) or not node.assign:
            self.variables.append((name, value))
            return
        for number in range(len(self.variables) - 1, -1, -1):
            if self.variables[number][0] == name:
                self.variables[number] = (name, value)
                return
        raise _Failure(node, f"undefined variable: {name}")  # pragma: no cover - parser checks

    def command(self, command: nodes.Command, dot: object, *, final: object, piped: bool) -> object:
        first, args = command.args[0], command.args[1:]
        self.step(first)
        if isinstance(first, nodes.Identifier):
            extra = [final] if piped else []
            return self.call(first, args, dot, extra)
        if args or piped:
            raise _Failure(first, f"can't give argument to non-function {_describe(first)}")
        if isinstance(first, nodes.Literal) and first.value is None:
            raise _Failure(first, "nil is not a command")
        return self.argument(first, dot)

    def call(
        self, node: nodes.Identifier, args: Sequence[nodes.Node], dot: object, extra: list[object]
    ) -> object:
        if node.name in LAZY:
            return self.lazy(node, args, dot, extra)
        values = [self.argument(arg, dot) for arg in args] + extra
        try:
            return FUNCTIONS[node.name](values)
        except CallError as error:
            raise _Failure(node, f"error calling {node.name}: {error}") from None

    def lazy(
        self, node: nodes.Identifier, args: Sequence[nodes.Node], dot: object, extra: list[object]
    ) -> object:
        if len(args) + len(extra) < 1:
            raise _Failure(node, f"wrong number of args for {node.name}: want at least 1 got 0")
        value: object = MISSING
        stop_when = node.name == "or"
        for arg in args:
            value = self.argument(arg, dot)
            if is_true(value) == stop_when:
                return value
        return extra[0] if extra else value

    def argument(self, node: nodes.Node, dot: object) -> object:
        if isinstance(node, nodes.Dot):
            return dot
        if isinstance(node, nodes.Field):
            return self.fields(node, dot, node.names)
        if isinstance(node, nodes.Variable):
            return self.fields(node, self.variable(node), node.names)
        if isinstance(node, nodes.Chain):
            return self.fields(node, self.pipe(node.pipe, dot), node.names)
        if isinstance(node, nodes.Pipe):
            return self.pipe(node, dot)
        if isinstance(node, nodes.Identifier):
            return self.call(node, (), dot, [])
        if isinstance(node, nodes.Literal):
            return MISSING if node.value is None else node.value
        raise _Failure(node, "unexpected node")  # pragma: no cover - the parser builds no other

    def variable(self, node: nodes.Variable) -> object:
        for name, value in reversed(self.variables):
            if name == node.name:
                return value
        raise _Failure(node, f"undefined variable: {node.name}")  # pragma: no cover

    def fields(self, node: nodes.Node, value: object, names: Sequence[str]) -> object:
        for name in names:
            value = self.field(node, value, name)
        return value

    def field(self, node: nodes.Node, value: object, name: str) -> object:
        if isinstance(value, Mapping):
            if name in value:
                return _plain(value[name])
            if self.missing_key_error:
                raise _Failure(node, f"map has no entry for key {name!r}")
            return MISSING
        if value is MISSING:
            if self.missing_key_error:
                raise _Failure(node, f"nil data; no entry for key {name!r}")
            return MISSING
        raise _Failure(node, f"can't evaluate field {name} in type {type_name(value)}")


def _plain(value: object) -> object:
    """A stored null reads as a missing value (Go turns a nil interface into no value)."""
    return MISSING if value is None else value


def _describe(node: nodes.Node) -> str:
    if isinstance(node, nodes.Field):
        return "." + ".".join(node.names)
    if isinstance(node, nodes.Variable):
        return ".".join((node.name, *node.names))
    if isinstance(node, nodes.Literal):
        return repr(node.value)
    return "." if isinstance(node, nodes.Dot) else "(pipeline)"
