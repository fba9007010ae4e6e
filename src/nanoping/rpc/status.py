"""Our status codes as grpcio status codes (the one translation table of the gRPC door)."""

from __future__ import annotations

import grpc

from nanoping.errors import StatusCode

_TO_GRPC: dict[StatusCode, grpc.StatusCode] = {
    StatusCode(code.value[0]): code for code in grpc.StatusCode
}


def to_grpc(code: StatusCode) -> grpc.StatusCode:
    """The grpcio status for one of ours (numbers are shared)."""
    return _TO_GRPC[code]
