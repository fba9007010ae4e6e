"""The gRPC bridge: the public API on a grpc.aio server, a thin adapter over the method table."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import grpc
from google.protobuf.message import Message

from nanoping.config import ListenAddress
from nanoping.errors import NanoPingError, StartupError, StatusCode
from nanoping.net.listen import ensure_bindable
from nanoping.quoting import bounded_message
from nanoping.rpc.status import to_grpc
from nanoping.service.call_deadline import CALL_DEADLINE
from nanoping.service.method_table import Method, MethodKind, MethodTable
from nanoping.service.stream_headers import STREAM_HEADERS
from nanoping.service.stream_start import announced

log = logging.getLogger(__name__)


class GrpcBridge:
    """Serves every method of ``table``; :meth:`start` returns once the port is bound."""

    def __init__(self, table: MethodTable, address: ListenAddress) -> None:
        self._table = table
        self._address = address
        self._server: grpc.aio.Server | None = None
        self.bound_port: int | None = None

    @property
    def bound_address(self) -> str:
        """``host:port`` actually listened on."""
        return str(ListenAddress(self._address.host, self.bound_port or 0, self._address.origin))

    async def start(self) -> None:
        ensure_bindable(self._address)
        server = grpc.aio.server(options=[("grpc.so_reuseport", 0)])
        for service, handlers in _handlers_by_service(self._table).items():
            server.add_generic_rpc_handlers(
                [grpc.method_handlers_generic_handler(service, handlers)]
            )
        try:
            port = server.add_insecure_port(str(self._address))
        except RuntimeError as error:
            raise StartupError(
                f"{self._address.origin}: cannot listen on {self._address}: {error}"
            ) from None
        if port == 0 and self._address.port != 0:
            raise StartupError(f"{self._address.origin}: cannot listen on {self._address}")
        await server.start()
        self._server = server
        self.bound_port = port

    async def close(self, grace: float = 2.0) -> None:
        """Stop accepting calls, give running ones ``grace`` seconds, then cancel them."""
        if self._server is not None:
            await self._server.stop(grace)
            self._server = None


def _handlers_by_service(
    table: MethodTable,
) -> dict[str, dict[str, grpc.RpcMethodHandler[Any, Any]]]:
    services: dict[str, dict[str, grpc.RpcMethodHandler[Any, Any]]] = {}
    for method in table:
        services.setdefault(method.service, {})[method.name] = _rpc_handler(method)
    return services


def _rpc_handler(method: Method) -> grpc.RpcMethodHandler[Any, Any]:
    # Requests arrive as bytes and are decoded inside the handler (Method.decode_request):
    # a deserializer failing inside grpcio would answer UNKNOWN and log a traceback.
    serialize: Callable[[Message], bytes] = method.response_type.SerializeToString
    if method.kind is MethodKind.UNARY:
        return grpc.unary_unary_rpc_method_handler(_unary(method), response_serializer=serialize)
    if method.kind is MethodKind.SERVER_STREAMING:
        return grpc.unary_stream_rpc_method_handler(
            _server_stream(method), response_serializer=serialize
        )
    return grpc.stream_stream_rpc_method_handler(
        _bidi_stream(method), response_serializer=serialize
    )


def _unary(method: Method) -> Callable[[bytes, grpc.aio.ServicerContext[Any, Any]], Any]:
    async def handle(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> Message:
        _inherit_deadline(context)
        try:
            response: Message = await method.handler(method.decode_request(request))  # type: ignore[misc]
            return response
        except Exception as error:
            await _abort(context, method, error)
            raise  # unreachable: abort raises

    return handle


def _server_stream(
    method: Method,
) -> Callable[[bytes, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Message]]:
    async def handle(
        request: bytes, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[Message]:
        _inherit_deadline(context)
        try:
            decoded = method.decode_request(request)
            responses: AsyncIterator[Message] = method.handler(decoded)  # type: ignore[assignment]
            async for response in _announced(responses, context):
                yield response
        except Exception as error:
            await _abort(context, method, error)

    return handle


def _bidi_stream(
    method: Method,
) -> Callable[[AsyncIterator[bytes], grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Message]]:
    async def handle(
        requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[Message]:
        _inherit_deadline(context)
        STREAM_HEADERS.set({})
        try:
            decoded = _decoded(method, requests)
            responses: AsyncIterator[Message] = method.handler(decoded)  # type: ignore[assignment]
            async for response in _announced(responses, context):
                yield response
        except Exception as error:
            await _abort(context, method, error)

    return handle


async def _decoded(method: Method, requests: AsyncIterator[bytes]) -> AsyncIterator[Message]:
    async for data in requests:
        yield method.decode_request(data)


def _inherit_deadline(context: grpc.aio.ServicerContext[Any, Any]) -> None:
    """Make the caller's deadline the deadline of every call this one makes through a link."""
    remaining = context.time_remaining()
    if remaining is not None:
        CALL_DEADLINE.set(asyncio.get_running_loop().time() + remaining)


def _announced(
    responses: AsyncIterator[Message], context: grpc.aio.ServicerContext[Any, Any]
) -> AsyncIterator[Message]:
    """The responses, with the headers sent as soon as the stream is live.

    Callers wait for the headers before making changes they expect the stream to report, so
    the handler first runs up to its first wait (where it subscribes), or a routed stream's
    target says it did, then the headers go out.
    """

    async def send_headers() -> None:
        await context.send_initial_metadata(tuple((STREAM_HEADERS.get() or {}).items()))

    return announced(responses, send_headers)


async def _abort(
    context: grpc.aio.ServicerContext[Any, Any], method: Method, error: Exception
) -> None:
    if isinstance(error, NanoPingError):
        await context.abort(to_grpc(error.code), bounded_message(error.message))
    log.exception("%s failed unexpectedly", method.path)
    await context.abort(to_grpc(StatusCode.INTERNAL), f"{method.path} failed: internal error")
