"""The deadline of the API call being served, so calls it makes through a link inherit it.

Each door sets it from what its caller asked for (the gRPC bridge from the call's remaining
time; a call arriving over a link from its own deadline); ``hub.remote_call`` passes it on when
it starts a call on another node, so a caller's deadline holds across every hop.
Values are on the event loop's clock.
"""

from __future__ import annotations

from contextvars import ContextVar

CALL_DEADLINE: ContextVar[float | None] = ContextVar("nanoping_call_deadline", default=None)
