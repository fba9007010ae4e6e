"""Headers a stream handler wants sent when its stream opens (gRPC initial metadata).

The gRPC bridge gives each stream a fresh dict before running its handler; a handler may add
``name -> value`` pairs to it before its first wait, and they go out with the response headers.
Doors that have no headers (a call carried over a link, the REST gateway) leave it unset, so
handlers must treat the headers as optional extras, never as the only copy of what they say.
"""

from __future__ import annotations

from contextvars import ContextVar

STREAM_HEADERS: ContextVar[dict[str, str] | None] = ContextVar(
    "nanoping_stream_headers", default=None
)
