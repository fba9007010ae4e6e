"""Binding listen addresses ourselves, so a failure is one clear line naming where it came from.

Server libraries report bind failures in their own words (gRPC's C core logs to stderr);
binding the socket here gives the operator the system's reason and the config key or flag.
"""

from __future__ import annotations

import socket

from nanoping.config import ListenAddress
from nanoping.errors import StartupError


def bind_listening(address: ListenAddress) -> socket.socket:
    """A non-blocking TCP socket listening on ``address``; StartupError says why it cannot be."""
    try:
        infos = socket.getaddrinfo(address.host, address.port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise StartupError(
            f"{address.origin}: cannot listen on {address}: unknown host ({error.strerror})"
        ) from None
    family, kind, protocol, _, socket_address = infos[0]
    listening = socket.socket(family, kind, protocol)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(socket_address)
        listening.listen(1024)
    except OSError as error:
        listening.close()
        raise StartupError(
            f"{address.origin}: cannot listen on {address}: {error.strerror}"
        ) from None
    listening.setblocking(False)
    return listening


def ensure_bindable(address: ListenAddress) -> None:
    """Check ``address`` for a library that binds by itself (the gRPC server)."""
    bind_listening(address).close()
