"""How user input appears in error messages and logs: quoted, escaped and shortened.

A hostile caller controls ids, names and addresses. Echoed as is, a 64 KB id makes an error
message exceed gRPC's metadata limit (the caller then sees RESOURCE_EXHAUSTED instead of the
real status), and NULs or newlines forge log lines. Every message quoting user input goes
through :func:`quoted`.
"""

from __future__ import annotations

QUOTE_LIMIT = 64
"""Characters of user input shown at most; longer input is cut and its length stated."""
MESSAGE_LIMIT = 2048
"""Characters of an error message sent to a caller at most (a last guard at each door)."""

_ESCAPES = {ord("'"): "\\'", ord("\\"): "\\\\", ord("\n"): "\\n", ord("\r"): "\\r", 9: "\\t"}
_ESCAPES.update(
    {
        code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
        for code in [*range(0x20), 0x7F, *range(0x80, 0xA0), 0x2028, 0x2029]
        if code not in _ESCAPES
    }
)


def quoted(value: str, limit: int = QUOTE_LIMIT) -> str:
    """``value`` in single quotes with control characters escaped, cut after ``limit``."""
    shown = value[:limit].translate(_ESCAPES)
    if len(value) <= limit:
        return f"'{shown}'"
    return f"'{shown}...' ({len(value)} characters)"


def bounded_message(message: str) -> str:
    """A message cut to :data:`MESSAGE_LIMIT` characters, so it always fits a status."""
    if len(message) <= MESSAGE_LIMIT:
        return message
    return message[:MESSAGE_LIMIT] + f"... ({len(message)} characters)"
