"""Errors as the REST gateway reports them: an HTTP status and a ``{code, message}`` body.

Service errors follow the one table chain of :mod:`nanoping.errors` (our error -> StatusCode ->
HTTP status). Requests the gateway refuses before any service runs (no route, wrong verb, a body
too large, a WebSocket route asked for over plain HTTP) carry a status of their own, since the
table has no row for them; their JSON ``code`` still tells the client what kind of failure it was.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from nanoping.errors import HTTP_STATUS, NanoPingError, StatusCode

log = logging.getLogger(__name__)


class RequestRejected(NanoPingError):
    """The gateway refused the request itself (routing, size, body or query problems)."""

    def __init__(
        self,
        message: str,
        *,
        code: StatusCode,
        http_status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.http_status = http_status if http_status is not None else HTTP_STATUS[code]
        self.headers = dict(headers or {})


@dataclass(frozen=True, kw_only=True)
class ErrorReply:
    """What the client is told about a failed call."""

    http_status: int
    """Status line of a plain HTTP answer (streams that already started report only the body)."""
    code: StatusCode
    """The gRPC-numbered code the client reads."""
    message: str
    """Human-readable reason."""
    headers: Mapping[str, str] = field(default_factory=dict)
    """Extra response headers (``Allow`` on a 405)."""

    def body(self) -> dict[str, object]:
        """The JSON status object: ``{"code": 5, "message": "..."}``."""
        return {"code": int(self.code), "message": self.message}


def error_reply(error: BaseException, *, call: str) -> ErrorReply:
    """How ``error``, raised while serving ``call``, is reported; unexpected ones are logged."""
    if isinstance(error, RequestRejected):
        return ErrorReply(
            http_status=error.http_status,
            code=error.code,
            message=error.message,
            headers=error.headers,
        )
    if isinstance(error, NanoPingError):
        return ErrorReply(
            http_status=HTTP_STATUS[error.code], code=error.code, message=error.message
        )
    log.error("%s failed unexpectedly", call, exc_info=error)
    return ErrorReply(
        http_status=500, code=StatusCode.INTERNAL, message=f"{call} failed: internal error"
    )


SHUTTING_DOWN = ErrorReply(
    http_status=HTTP_STATUS[StatusCode.UNAVAILABLE],
    code=StatusCode.UNAVAILABLE,
    message="the node is shutting down",
)
"""What open streams are told when the node stops (their clients should reconnect later)."""
