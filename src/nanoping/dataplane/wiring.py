"""Wiring strings: the text form of one link between two component ports.

A link reads ``[consumer-id|in:N]-[producer-id|out:M]``: packets leave port ``out:M`` of the
producer and enter port ``in:N`` of the consumer. The same string is written in the producer's
output field and in the consumer's input field, which is how the two ends agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_SHAPE = re.compile(r"\[([^\[\]|]*)\|([^\[\]|]*)\]-\[([^\[\]|]*)\|([^\[\]|]*)\]")
_IN_PORT = re.compile(r"in:(0|[1-9][0-9]{0,8})")
_OUT_PORT = re.compile(r"out:(0|[1-9][0-9]{0,8})")
EXPECTED_FORM = "[consumer-id|in:N]-[producer-id|out:M]"


class WiringError(ValueError):
    """A wiring string does not follow the link grammar; the text says what is wrong."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """One directed connection from a producer's output port to a consumer's input port."""

    consumer: str
    """Instance id of the component that receives the packets."""
    in_port: int
    """Input port number on the consumer."""
    producer: str
    """Instance id of the component that sends the packets."""
    out_port: int
    """Output port number on the producer."""

    def __str__(self) -> str:
        return f"[{self.consumer}|in:{self.in_port}]-[{self.producer}|out:{self.out_port}]"


def parse_link(text: str) -> Link:
    """Parse one wiring string; raise WiringError with a message naming the fault."""
    match = _SHAPE.fullmatch(text)
    if match is None:
        raise WiringError(f"malformed link {text!r}: expected {EXPECTED_FORM}")
    consumer, in_text, producer, out_text = match.groups()
    if not consumer or not producer:
        raise WiringError(f"malformed link {text!r}: component id must not be empty")
    in_match = _IN_PORT.fullmatch(in_text)
    if in_match is None:
        raise WiringError(f"malformed link {text!r}: consumer port {in_text!r} must be 'in:N'")
    out_match = _OUT_PORT.fullmatch(out_text)
    if out_match is None:
        raise WiringError(f"malformed link {text!r}: producer port {out_text!r} must be 'out:M'")
    return Link(
        consumer=consumer,
        in_port=int(in_match.group(1)),
        producer=producer,
        out_port=int(out_match.group(1)),
    )
