"""Checks a listen address before a server library tries it, for a clear one-line error."""

from __future__ import annotations

import socket

from nanoping.config import ListenAddress
from nanoping.errors import StartupError


def ensure_bindable(address: ListenAddress) -> None:
    """Raise StartupError naming the address's origin when it cannot be listened on.

    Server libraries report bind failures in their own words (gRPC's C core logs to stderr);
    binding a probe socket first gives the operator the system's reason instead.
    """
    try:
        infos = socket.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise StartupError(
            f"{address.origin}: cannot listen on {address}: unknown host ({error.strerror})"
        ) from None
    family, kind, protocol, _, socket_address = infos[0]
    with socket.socket(family, kind, protocol) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(socket_address)
            probe.listen()
        except OSError as error:
            raise StartupError(
                f"{address.origin}: cannot listen on {address}: {error.strerror}"
            ) from None
