"""Errors of the template language, each with the line and column where it happened."""

from __future__ import annotations


class TemplateError(Exception):
    """A template that cannot be parsed or executed; ``line`` and ``column`` count from 1."""

    def __init__(self, *, name: str, line: int, column: int, message: str) -> None:
        super().__init__(f"{name}:{line}:{column}: {message}")
        self.name = name
        self.line = line
        self.column = column
        self.message = message


class TemplateSyntaxError(TemplateError):
    """The template text is not valid (found when it is parsed)."""


class TemplateExecError(TemplateError):
    """The template failed while rendering some data (a type error, an output too large...)."""
