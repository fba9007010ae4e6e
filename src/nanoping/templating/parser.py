"""Builds the parse tree of a template from its tokens, checking names as Go's parser does.

Errors found here (unknown functions, undefined variables, a missing ``{{end}}``...) are
:class:`TemplateSyntaxError` with the line and column of the offending token.
"""

from __future__ import annotations

import ast
from collections.abc import Collection

from nanoping.templating import nodes
from nanoping.templating.errors import TemplateSyntaxError
from nanoping.templating.lexer import Action, Kind, Text, Token, items
from nanoping.templating.source import Source

MAX_DEPTH = 100
"""Deepest nesting of control structures and parentheses accepted."""
UNSUPPORTED = frozenset({"define", "template", "block"})
CONTROL = frozenset({"if", "with", "range"})


def parse(source: Source, functions: Collection[str]) -> tuple[nodes.Node, ...]:
    """The statements of ``source``; ``functions`` are the names a template may call."""
    return _Parser(source, functions).parse()


class _Parser:
    def __init__(self, source: Source, functions: Collection[str]) -> None:
        self.source = source
        self.functions = functions
        self.items = items(source)
        self.index = 0
        self.variables: list[str] = ["$"]
        self.depth = 0
        self.loops = 0

    def error(self, position: int, message: str) -> TemplateSyntaxError:
        line, column = self.source.line_column(position)
        return TemplateSyntaxError(name=self.source.name, line=line, column=column, message=message)

    def parse(self) -> tuple[nodes.Node, ...]:
        body, stop = self.statements()
        if stop is not None:
            raise self.error(stop.position, f"unexpected {{{{{stop.tokens[0].text}}}}}")
        return body

    # ---- statements ---------------------------------------------------------------------------

    def statements(self) -> tuple[tuple[nodes.Node, ...], Action | None]:
        """Statements up to an ``{{else}}`` / ``{{end}}`` (returned) or the end of the text."""
        body: list[nodes.Node] = []
        while self.index < len(self.items):
            item = self.items[self.index]
            self.index += 1
            if isinstance(item, Text):
                body.append(nodes.TextNode(item.position, item.text))
                continue
            if not item.tokens:
                raise self.error(item.position, "missing value for command")
            first = item.tokens[0]
            if first.kind is Kind.IDENTIFIER and first.text in ("else", "end"):
                return tuple(body), item
            body.append(self.statement(item, first))
        return tuple(body), None

    def statement(self, action: Action, first: Token) -> nodes.Node:
        if first.kind is Kind.IDENTIFIER:
            if first.text in CONTROL:
                return self.branch(first.text, action.position, action.tokens[1:])
            if first.text in ("break", "continue"):
                return self.loop_control(action, first)
            if first.text in UNSUPPORTED:
                raise self.error(first.position, f"{{{{{first.text}}}}} is not supported")
        pipe = self.pipe(list(action.tokens), action.position, allow_declare=True)
        return nodes.ActionNode(action.position, pipe)

    def loop_control(self, action: Action, first: Token) -> nodes.Node:
        if len(action.tokens) > 1:
            raise self.error(action.tokens[1].position, f"unexpected token in {{{{{first.text}}}}}")
        if not self.loops:
            raise self.error(first.position, f"{{{{{first.text}}}}} outside {{{{range}}}}")
        return nodes.LoopControl(action.position, first.text)

    def branch(self, keyword: str, position: int, tokens: tuple[Token, ...]) -> nodes.Node:
        if not tokens:
            raise self.error(position, f"missing value for {keyword}")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(position, f"control structures nested deeper than {MAX_DEPTH}")
        scope = len(self.variables)
        pipe = self.pipe(list(tokens), position, allow_declare=True, in_range=keyword == "range")
        self.loops += keyword == "range"
        body, stop = self.statements()
        self.loops -= keyword == "range"
        otherwise = self.otherwise(keyword, position, stop)
        del self.variables[scope:]
        self.depth -= 1
        return nodes.Branch(position, keyword, pipe, body, otherwise)

    def otherwise(self, keyword: str, position: int, stop: Action | None) -> tuple[nodes.Node, ...]:
        if stop is None:
            raise self.error(position, f"unexpected EOF: {{{{{keyword}}}}} has no {{{{end}}}}")
        first, rest = stop.tokens[0], stop.tokens[1:]
        if first.text == "end":
            if rest:
                raise self.error(rest[0].position, "unexpected token in {{end}}")
            return ()
        if rest and rest[0].kind is Kind.IDENTIFIER and rest[0].text in ("if", "with"):
            if rest[0].text != keyword:
                raise self.error(rest[0].position, f"{{{{else {rest[0].text}}}}} inside {keyword}")
            # ``{{else if x}}`` is ``{{else}}{{if x}}...{{end}}`` sharing the outer {{end}}.
            return (self.branch(keyword, stop.position, rest[1:]),)
        if rest:
            raise self.error(rest[0].position, "unexpected token in {{else}}")
        body, end = self.statements()
        if end is None or end.tokens[0].text != "end" or len(end.tokens) > 1:
            where = end.position if end is not None else position
            raise self.error(where, f"expected {{{{end}}}} to close {{{{{keyword}}}}}")
        return body

    # ---- pipelines ----------------------------------------------------------------------------

    def pipe(
        self,
        tokens: list[Token],
        position: int,
        *,
        allow_declare: bool,
        in_range: bool = False,
    ) -> nodes.Pipe:
        declare, assign = self.declarations(tokens, in_range) if allow_declare else ((), False)
        commands: list[nodes.Command] = []
        while True:
            command_position = tokens[0].position if tokens else position
            args = self.command(tokens)
            if not args:
                raise self.error(command_position, "missing value for command")
            commands.append(nodes.Command(command_position, tuple(args)))
            if not tokens:
                break
            bar = tokens.pop(0)
            if bar.kind is not Kind.PIPE:
                raise self.error(bar.position, f"unexpected {bar.text!r} in operand")
        for name in declare:
            if assign and name not in self.variables:
                raise self.error(position, f'undefined variable "{name}"')
        if not assign:
            self.variables.extend(declare)
        return nodes.Pipe(position, tuple(commands), declare, assign)

    def declarations(self, tokens: list[Token], in_range: bool) -> tuple[tuple[str, ...], bool]:
        """``$x :=``, ``$x =`` or, in a range, ``$i, $e :=`` at the start of ``tokens``."""
        plain = [token.kind for token in tokens[:4]]
        if plain[:2] in ([Kind.VARIABLE, Kind.DECLARE], [Kind.VARIABLE, Kind.ASSIGN]):
            names: tuple[str, ...] = (self.plain_variable(tokens[0]),)
            assign = tokens[1].kind is Kind.ASSIGN
            del tokens[:2]
            return names, assign
        if in_range and plain[:4] == [Kind.VARIABLE, Kind.COMMA, Kind.VARIABLE, Kind.DECLARE]:
            names = (self.plain_variable(tokens[0]), self.plain_variable(tokens[2]))
            del tokens[:4]
            return names, False
        return (), False

    def plain_variable(self, token: Token) -> str:
        if "." in token.text:
            raise self.error(token.position, f"cannot declare {token.text!r}: not a variable name")
        return token.text

    def command(self, tokens: list[Token]) -> list[nodes.Node]:
        args: list[nodes.Node] = []
        while tokens and tokens[0].kind not in (Kind.PIPE, Kind.RIGHT_PAREN):
            token = tokens[0]
            if args and not token.spaced:
                raise self.error(token.position, f"missing space before {token.text!r}")
            args.append(self.operand(tokens))
        return args

    def operand(self, tokens: list[Token]) -> nodes.Node:
        token = tokens.pop(0)
        node = self.term(token, tokens)
        if tokens and tokens[0].kind is Kind.FIELD and not tokens[0].spaced:
            chain = tokens.pop(0)
            names = tuple(chain.text.split(".")[1:])
            if isinstance(node, nodes.Pipe):
                return nodes.Chain(token.position, node, names)
            raise self.error(chain.position, f"unexpected {chain.text!r} after {token.text!r}")
        return node

    def term(self, token: Token, tokens: list[Token]) -> nodes.Node:
        kind, text, position = token.kind, token.text, token.position
        if kind is Kind.DOT:
            return nodes.Dot(position)
        if kind is Kind.FIELD:
            return nodes.Field(position, tuple(text.split(".")[1:]))
        if kind is Kind.VARIABLE:
            name, *names = text.split(".")
            if name not in self.variables:
                raise self.error(position, f'undefined variable "{name}"')
            return nodes.Variable(position, name, tuple(names))
        if kind is Kind.LEFT_PAREN:
            return self.parenthesized(token, tokens)
        if kind is Kind.IDENTIFIER:
            return self.identifier(token)
        if kind is Kind.STRING:
            return nodes.Literal(position, self.string(token))
        if kind is Kind.CHAR:
            return nodes.Literal(position, ord(self.string(token)))
        if kind is Kind.NUMBER:
            return nodes.Literal(position, self.number(token))
        raise self.error(position, f"unexpected {text!r} in operand")

    def parenthesized(self, opening: Token, tokens: list[Token]) -> nodes.Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(opening.position, f"parentheses nested deeper than {MAX_DEPTH}")
        inner: list[Token] = []
        level = 1
        while tokens:
            token = tokens.pop(0)
            level += {Kind.LEFT_PAREN: 1, Kind.RIGHT_PAREN: -1}.get(token.kind, 0)
            if level == 0:
                break
            inner.append(token)
        if level:
            raise self.error(opening.position, "unclosed left paren")
        if not inner:
            raise self.error(opening.position, "missing value for parenthesized pipeline")
        pipe = self.pipe(inner, opening.position, allow_declare=False)
        self.depth -= 1
        return pipe

    def identifier(self, token: Token) -> nodes.Node:
        constants: dict[str, object] = {"true": True, "false": False, "nil": None}
        if token.text in constants:
            return nodes.Literal(token.position, constants[token.text])
        if token.text not in self.functions:
            raise self.error(token.position, f'function "{token.text}" not defined')
        return nodes.Identifier(token.position, token.text)

    def string(self, token: Token) -> str:
        if token.text.startswith("`"):
            return token.text[1:-1]
        try:
            value = ast.literal_eval(token.text)
        except (SyntaxError, ValueError):
            raise self.error(token.position, f"invalid syntax in {token.text}") from None
        if not isinstance(value, str) or (token.kind is Kind.CHAR and len(value) != 1):
            raise self.error(token.position, f"malformed character constant: {token.text}")
        return value

    def number(self, token: Token) -> int | float:
        text = token.text.replace("_", "")
        try:
            return int(text, 0)
        except ValueError:
            pass
        try:
            return float(text)
        except ValueError:
            raise self.error(token.position, f"bad number syntax: {token.text!r}") from None
