"""One error hierarchy for the whole node.

Service code raises these; each door (gRPC bridge, REST gateway, hub link) translates them with
one table chain: our error -> :class:`StatusCode` (the gRPC numbering) -> transport status
(:data:`HTTP_STATUS` below for the REST gateway, ``nanoping.rpc.status`` for gRPC).

    NanoPingError                 (carries a StatusCode and a message for the caller)
    ├── Cancelled                 CANCELLED
    ├── InvalidArgument           INVALID_ARGUMENT
    ├── DeadlineExceeded          DEADLINE_EXCEEDED
    ├── NotFound                  NOT_FOUND
    ├── AlreadyExists             ALREADY_EXISTS
    ├── PermissionDenied          PERMISSION_DENIED
    ├── ResourceExhausted         RESOURCE_EXHAUSTED
    ├── FailedPrecondition        FAILED_PRECONDITION
    ├── Aborted                   ABORTED
    ├── Unimplemented             UNIMPLEMENTED
    ├── Internal                  INTERNAL
    ├── Unavailable               UNAVAILABLE
    └── Unauthenticated           UNAUTHENTICATED

    StartupError                  (the node cannot start: bad config, data dir, address)
    └── ConfigError               (names the file, the key and what is allowed)
"""

from __future__ import annotations

import enum
from pathlib import Path


class StatusCode(enum.IntEnum):
    """gRPC status codes, numbered as on the wire (also used by the REST gateway and the link)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


HTTP_STATUS: dict[StatusCode, int] = {
    StatusCode.OK: 200,
    StatusCode.CANCELLED: 499,
    StatusCode.UNKNOWN: 500,
    StatusCode.INVALID_ARGUMENT: 400,
    StatusCode.DEADLINE_EXCEEDED: 504,
    StatusCode.NOT_FOUND: 404,
    StatusCode.ALREADY_EXISTS: 409,
    StatusCode.PERMISSION_DENIED: 403,
    StatusCode.RESOURCE_EXHAUSTED: 429,
    StatusCode.FAILED_PRECONDITION: 400,
    StatusCode.ABORTED: 409,
    StatusCode.OUT_OF_RANGE: 400,
    StatusCode.UNIMPLEMENTED: 501,
    StatusCode.INTERNAL: 500,
    StatusCode.UNAVAILABLE: 503,
    StatusCode.DATA_LOSS: 500,
    StatusCode.UNAUTHENTICATED: 401,
}
"""The HTTP status the REST gateway answers with for each code (the table the API reference
recommends; REST clients read the code from the JSON body, the status line follows it)."""


class NanoPingError(Exception):
    """An API call failed; ``code`` says how, ``message`` is shown to the caller as is."""

    code: StatusCode = StatusCode.UNKNOWN

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @classmethod
    def from_status(cls, code: int, message: str) -> NanoPingError:
        """The error matching a status received from elsewhere (a routed call's peer)."""
        try:
            status = StatusCode(code)
        except ValueError:
            status = StatusCode.UNKNOWN
        error_type = _BY_CODE.get(status, NanoPingError)
        error = error_type(message)
        error.code = status
        return error


class Cancelled(NanoPingError):
    code = StatusCode.CANCELLED


class InvalidArgument(NanoPingError):
    code = StatusCode.INVALID_ARGUMENT


class DeadlineExceeded(NanoPingError):
    code = StatusCode.DEADLINE_EXCEEDED


class NotFound(NanoPingError):
    code = StatusCode.NOT_FOUND


class AlreadyExists(NanoPingError):
    code = StatusCode.ALREADY_EXISTS


class PermissionDenied(NanoPingError):
    code = StatusCode.PERMISSION_DENIED


class ResourceExhausted(NanoPingError):
    code = StatusCode.RESOURCE_EXHAUSTED


class FailedPrecondition(NanoPingError):
    code = StatusCode.FAILED_PRECONDITION


class Aborted(NanoPingError):
    code = StatusCode.ABORTED


class Unimplemented(NanoPingError):
    code = StatusCode.UNIMPLEMENTED


class Internal(NanoPingError):
    code = StatusCode.INTERNAL


class Unavailable(NanoPingError):
    code = StatusCode.UNAVAILABLE


class Unauthenticated(NanoPingError):
    code = StatusCode.UNAUTHENTICATED


_BY_CODE: dict[StatusCode, type[NanoPingError]] = {
    error_type.code: error_type
    for error_type in (
        Cancelled,
        InvalidArgument,
        DeadlineExceeded,
        NotFound,
        AlreadyExists,
        PermissionDenied,
        ResourceExhausted,
        FailedPrecondition,
        Aborted,
        Unimplemented,
        Internal,
        Unavailable,
        Unauthenticated,
    )
}


class StartupError(Exception):
    """The node cannot start; the message is one line meant for the operator."""


class ConfigError(StartupError):
    """A configuration value is wrong: names where it came from, the key and what is allowed."""

    def __init__(self, *, source: str, key: str, problem: str) -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.source = source
        self.key = key
        self.problem = problem


def describe_path(path: Path) -> str:
    """How a file is named in operator-facing messages."""
    return f"config file '{path}'"
