"""Splits template text into text pieces and actions, and actions into tokens.

Delimiters are ``{{`` and ``}}``. ``{{- `` (a dash then a space, tab or newline) trims every
whitespace character before the action; `` -}}`` trims every one after it. ``{{/* ... */}}``
is a comment (also with trim markers), which must start and end at the delimiters.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass

from nanoping.templating.errors import TemplateSyntaxError
from nanoping.templating.source import Source

SPACE = " \t\r\n"
LEFT = "{{"
RIGHT = "}}"


class Kind(enum.Enum):
    """What a token is."""

    DOT = "."
    FIELD = "field"
    VARIABLE = "variable"
    IDENTIFIER = "identifier"
    STRING = "string"
    NUMBER = "number"
    CHAR = "character"
    LEFT_PAREN = "("
    RIGHT_PAREN = ")"
    PIPE = "|"
    DECLARE = ":="
    ASSIGN = "="
    COMMA = ","


@dataclass(frozen=True)
class Token:
    """One token of an action."""

    kind: Kind
    text: str
    """The token as written (a field or variable includes its ``.name`` chain)."""
    position: int
    """Offset in the template text."""
    spaced: bool
    """Whitespace comes right before it (``(x).a`` chains, ``(x) .a`` is a new argument)."""


@dataclass(frozen=True)
class Text:
    """Literal text, already trimmed by neighbouring trim markers."""

    text: str
    position: int


@dataclass(frozen=True)
class Action:
    """The tokens between one ``{{`` and its ``}}``."""

    tokens: tuple[Token, ...]
    position: int
    """Offset of the ``{{``."""


Item = Text | Action


def items(source: Source) -> list[Item]:
    """Text pieces and actions, in order; comments are dropped."""
    return list(_Scanner(source).scan())


class _Scanner:
    def __init__(self, source: Source) -> None:
        self.source = source
        self.text = source.text

    def error(self, position: int, message: str) -> TemplateSyntaxError:
        line, column = self.source.line_column(position)
        return TemplateSyntaxError(name=self.source.name, line=line, column=column, message=message)

    def scan(self) -> Iterator[Item]:
        position = 0
        trim_next = False
        while True:
            start = self.text.find(LEFT, position)
            end = len(self.text) if start < 0 else start
            piece = self.text[position:end]
            if trim_next:
                piece = piece.lstrip(SPACE)
            inner = start + len(LEFT)
            trim_before = start >= 0 and _trim_marker_left(self.text, inner)
            if trim_before:
                piece = piece.rstrip(SPACE)
            if piece:
                yield Text(piece, position)
            if start < 0:
                return
            if trim_before:
                inner += 2
            if self.text.startswith("/*", inner):
                position, trim_next = self._comment(start, inner)
                continue
            tokens, position, trim_next = self._action(start, inner)
            yield Action(tuple(tokens), start)

    def _comment(self, start: int, inner: int) -> tuple[int, bool]:
        close = self.text.find("*/", inner + 2)
        if close < 0:
            raise self.error(start, "unclosed comment")
        after = close + 2
        found = _right_delimiter(self.text, after)
        if found is None:
            raise self.error(start, "comment ends before closing delimiter")
        return found

    def _action(self, start: int, position: int) -> tuple[list[Token], int, bool]:
        tokens: list[Token] = []
        spaced = True
        while True:
            found = _right_delimiter(self.text, position)
            if found is not None:
                return tokens, found[0], found[1]
            if position >= len(self.text):
                raise self.error(start, "unclosed action")
            char = self.text[position]
            if char in SPACE:
                position += 1
                spaced = True
                continue
            token = self._token(position, spaced)
            tokens.append(token)
            position = token.position + len(token.text)
            spaced = False

    def _token(self, position: int, spaced: bool) -> Token:
        text = self.text
        char = text[position]
        for symbol, kind in ((":=", Kind.DECLARE), ("=", Kind.ASSIGN), (",", Kind.COMMA)):
            if text.startswith(symbol, position):
                return Token(kind, symbol, position, spaced)
        simple = {"(": Kind.LEFT_PAREN, ")": Kind.RIGHT_PAREN, "|": Kind.PIPE}
        if char in simple:
            return Token(simple[char], char, position, spaced)
        if char == '"':
            return Token(Kind.STRING, self._quoted(position, '"'), position, spaced)
        if char == "`":
            return Token(Kind.STRING, self._raw(position), position, spaced)
        if char == "'":
            return Token(Kind.CHAR, self._quoted(position, "'"), position, spaced)
        if char == "$":
            return Token(Kind.VARIABLE, self._chain(position + 1, "$"), position, spaced)
        if char == ".":
            if position + 1 < len(text) and text[position + 1].isdigit():
                return Token(Kind.NUMBER, self._number(position), position, spaced)
            chain = self._chain(position, "")
            return Token(Kind.DOT if chain == "." else Kind.FIELD, chain, position, spaced)
        if char.isdigit() or (char in "+-" and _digit_at(text, position + 1)):
            return Token(Kind.NUMBER, self._number(position), position, spaced)
        if char.isalpha() or char == "_":
            return Token(Kind.IDENTIFIER, self._word(position), position, spaced)
        raise self.error(position, f"unexpected {char!r} in command")

    def _word(self, position: int) -> str:
        end = position
        while end < len(self.text) and (self.text[end].isalnum() or self.text[end] == "_"):
            end += 1
        return self.text[position:end]

    def _chain(self, position: int, prefix: str) -> str:
        """``$name.a.b`` / ``.a.b`` / ``.``: a head then ``.name`` parts."""
        end = position
        if prefix:
            end += len(self._word(end))
        while end < len(self.text) and self.text[end] == ".":
            word = self._word(end + 1)
            if not word and end > position:
                raise self.error(end, "bad character after '.'")
            end += 1 + len(word)
            if not word:
                break
        return prefix + self.text[position:end]

    def _number(self, position: int) -> str:
        end = position + 1
        while end < len(self.text) and (self.text[end].isalnum() or self.text[end] in "._+-"):
            if self.text[end] in "+-" and self.text[end - 1] not in "eEpP":
                break
            end += 1
        return self.text[position:end]

    def _quoted(self, position: int, quote: str) -> str:
        end = position + 1
        while end < len(self.text):
            char = self.text[end]
            if char == "\\":
                end += 2
                continue
            if char == "\n":
                break
            if char == quote:
                return self.text[position : end + 1]
            end += 1
        what = "quoted string" if quote == '"' else "character constant"
        raise self.error(position, f"unterminated {what}")

    def _raw(self, position: int) -> str:
        close = self.text.find("`", position + 1)
        if close < 0:
            raise self.error(position, "unterminated raw quoted string")
        return self.text[position : close + 1]


def _trim_marker_left(text: str, inner: int) -> bool:
    return text.startswith("-", inner) and inner + 1 < len(text) and text[inner + 1] in SPACE


def _right_delimiter(text: str, position: int) -> tuple[int, bool] | None:
    """(offset after the delimiter, trims what follows) when one starts at ``position``."""
    if text.startswith(RIGHT, position):
        return position + len(RIGHT), False
    if (
        position < len(text)
        and text[position] in SPACE
        and text.startswith("-" + RIGHT, position + 1)
    ):
        return position + 1 + 1 + len(RIGHT), True
    return None


def _digit_at(text: str, position: int) -> bool:
    return position < len(text) and text[position].isdigit()
