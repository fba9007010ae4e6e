"""A subset of Go's text/template, written for blueprints (specified in docs/templates.md).

Usage::

    template = Template.parse("{{ .node.ip }}", name="client")
    template.render({"node": {"ip": "100.65.254.2"}})

Parse errors (:class:`TemplateSyntaxError`) and execution errors (:class:`TemplateExecError`)
carry the line and column where they happened.
"""

from __future__ import annotations

from dataclasses import dataclass

from nanoping.templating import nodes
from nanoping.templating.errors import TemplateError, TemplateExecError, TemplateSyntaxError
from nanoping.templating.execution import MAX_OUTPUT, Execution
from nanoping.templating.functions import NAMES
from nanoping.templating.parser import parse
from nanoping.templating.source import Source

MAX_TEMPLATE = 256 * 1024
"""Characters a template may have."""

__all__ = ["Template", "TemplateError", "TemplateExecError", "TemplateSyntaxError"]


@dataclass(frozen=True)
class Template:
    """A parsed template, ready to render data any number of times."""

    source: Source
    body: tuple[nodes.Node, ...]

    @classmethod
    def parse(cls, text: str, *, name: str = "template") -> Template:
        """Parse ``text``; raises TemplateSyntaxError with the line and column of the fault."""
        source = Source(name, text)
        if len(text) > MAX_TEMPLATE:
            raise TemplateSyntaxError(
                name=name, line=1, column=1, message=f"longer than {MAX_TEMPLATE} characters"
            )
        return cls(source, parse(source, NAMES))

    def render(
        self, data: object, *, missing_key_error: bool = False, max_output: int = MAX_OUTPUT
    ) -> str:
        """The text for ``data``; a missing key prints ``<no value>`` unless it is an error."""
        execution = Execution(
            self.source, missing_key_error=missing_key_error, max_output=max_output
        )
        return execution.run(self.body, data)
