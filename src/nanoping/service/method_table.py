"""Binds every method of the public API to the code that serves it on this node.

The table is built from the API's descriptors, so every one of the 46 methods is present: a
method with no implementation answers UNIMPLEMENTED with a message naming it, never a fake success.

Handler shapes, by stream kind:
- unary: ``async def name(request) -> response``
- server streaming: ``def name(request) -> AsyncIterator[response]``
- bidirectional: ``def name(requests: AsyncIterator[request]) -> AsyncIterator[response]``
"""

from __future__ import annotations

import enum
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, cast

from google.protobuf import message_factory
from google.protobuf.descriptor import FileDescriptor, MethodDescriptor
from google.protobuf.message import DecodeError, Message

from nanoping.api import (
    config_pb2,
    hub_client_pb2,
    hub_node_pb2,
    hub_server_pb2,
    logging_pb2,
    metrics_pb2,
    network_blueprints_pb2,
    network_instances_pb2,
    networks_pb2,
    pipelines_pb2,
    resources_pb2,
)
from nanoping.errors import InvalidArgument, Unimplemented
from nanoping.log_throttle import LogThrottle

API_FILES: tuple[FileDescriptor, ...] = tuple(
    module.DESCRIPTOR
    for module in (
        hub_node_pb2,
        hub_client_pb2,
        hub_server_pb2,
        config_pb2,
        logging_pb2,
        metrics_pb2,
        networks_pb2,
        network_blueprints_pb2,
        network_instances_pb2,
        pipelines_pb2,
        resources_pb2,
    )
)

log = logging.getLogger(__name__)
_BAD_REQUESTS = LogThrottle(log)

UnaryHandler = Callable[[Any], Awaitable[Message]]
StreamHandler = Callable[[Any], AsyncIterator[Message]]
Handler = UnaryHandler | StreamHandler


class MethodKind(enum.Enum):
    """How requests and responses flow in a call."""

    UNARY = "unary"
    SERVER_STREAMING = "server_streaming"
    CLIENT_STREAMING = "client_streaming"
    BIDI_STREAMING = "bidi_streaming"


@dataclass(frozen=True)
class Method:
    """One API method and the handler serving it here."""

    service: str
    """Full service name, e.g. ``nanopinggrpc.hub.HubClientService``."""
    name: str
    """Wire name (lowerCamel), e.g. ``getLocalNodeId``."""
    kind: MethodKind
    """Stream kind."""
    request_type: type[Message]
    """Request message class."""
    response_type: type[Message]
    """Response message class."""
    handler: Handler
    """The implementation (or the UNIMPLEMENTED answer)."""
    implemented: bool
    """False when ``handler`` only reports that the method is not built."""

    @property
    def path(self) -> str:
        """The gRPC path, ``/<package>.<Service>/<method>``."""
        return f"/{self.service}/{self.name}"

    def decode_request(self, data: bytes) -> Message:
        """The request in ``data``; InvalidArgument when it is no such message.

        Every door that receives protobuf bytes (gRPC, the hub link) decodes here, so a
        malformed request gets the same answer and one throttled log line whichever way it came.
        """
        try:
            return self.request_type.FromString(data)
        except DecodeError as error:
            _BAD_REQUESTS.warning(
                self.path, "malformed %s request of %d bytes: %s", self.path, len(data), error
            )
            raise InvalidArgument(f"{self.path}: malformed request: {error}") from None


def python_name(wire_name: str) -> str:
    """``getLocalNodeId`` -> ``get_local_node_id``: the name a service class implements."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", wire_name).lower()


class MethodTable:
    """Every API method by gRPC path."""

    def __init__(self, methods: Mapping[str, Method]) -> None:
        self._methods = dict(methods)

    @classmethod
    def build(
        cls, implementations: Mapping[str, object], *, internal: Iterable[FileDescriptor] = ()
    ) -> MethodTable:
        """Bind methods to ``implementations`` keyed by full service name.

        ``internal`` adds the services of our own (non-public) protos, served and routed the
        same way.
        """
        methods: dict[str, Method] = {}
        for descriptor in _api_methods(internal):
            implementation = implementations.get(descriptor.containing_service.full_name)
            method = _bind(descriptor, implementation)
            methods[method.path] = method
        return cls(methods)

    def __getitem__(self, path: str) -> Method:
        return self._methods[path]

    def get(self, path: str) -> Method | None:
        return self._methods.get(path)

    def __iter__(self) -> Iterator[Method]:
        return iter(self._methods.values())

    def __len__(self) -> int:
        return len(self._methods)


def _api_methods(internal: Iterable[FileDescriptor] = ()) -> Iterator[MethodDescriptor]:
    for file in (*API_FILES, *internal):
        for service in file.services_by_name.values():
            yield from service.methods


def _bind(descriptor: MethodDescriptor, implementation: object | None) -> Method:
    kind = _kind(descriptor)
    service = descriptor.containing_service.full_name
    handler = getattr(implementation, python_name(descriptor.name), None)
    return Method(
        service=service,
        name=descriptor.name,
        kind=kind,
        request_type=message_factory.GetMessageClass(descriptor.input_type),
        response_type=message_factory.GetMessageClass(descriptor.output_type),
        handler=cast(Handler, handler) if handler else _unimplemented(service, descriptor, kind),
        implemented=handler is not None,
    )


def _kind(descriptor: MethodDescriptor) -> MethodKind:
    streams = (descriptor.client_streaming, descriptor.server_streaming)
    return {
        (False, False): MethodKind.UNARY,
        (False, True): MethodKind.SERVER_STREAMING,
        (True, False): MethodKind.CLIENT_STREAMING,
        (True, True): MethodKind.BIDI_STREAMING,
    }[streams]


def _unimplemented(service: str, descriptor: MethodDescriptor, kind: MethodKind) -> Handler:
    message = f"{service.rsplit('.', 1)[-1]}.{descriptor.name} is not implemented yet on this node"

    async def unary(_request: object) -> Message:
        raise Unimplemented(message)

    async def stream(_request: object) -> AsyncIterator[Message]:
        raise Unimplemented(message)
        yield  # pragma: no cover - makes this an async generator

    return unary if kind is MethodKind.UNARY else stream
