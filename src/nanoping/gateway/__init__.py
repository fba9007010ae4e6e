"""The REST gateway: the public API over HTTP, served from the same method table as gRPC.

Modules: ``routes`` (the route table, data), ``route_map`` (matching paths to routes),
``query`` and ``codec`` (HTTP requests to messages, messages to JSON), ``status`` (errors as
HTTP answers), ``exchange`` (one ASGI request/response), ``response_stream`` (pulling a
handler's stream), one adapter per transport (``unary``, ``sse``, ``text``, ``bidi``) and ``app``
(the ASGI app tying them together).
"""

from nanoping.gateway.app import MAX_BODY, RestGateway

__all__ = ["MAX_BODY", "RestGateway"]
