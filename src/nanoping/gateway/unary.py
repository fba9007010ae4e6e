"""Unary methods over HTTP: one JSON request, one JSON response."""

from __future__ import annotations

from google.protobuf.message import Message

from nanoping.gateway.codec import json_bytes, message_to_json
from nanoping.gateway.exchange import HttpExchange
from nanoping.service.method_table import Method


async def serve_unary(exchange: HttpExchange, method: Method, request: Message) -> None:
    """Run the handler (cancelled if the client leaves) and answer 200 with its response."""
    response: Message = await exchange.run(method.handler(request))  # type: ignore[arg-type]
    await exchange.respond(200, json_bytes(message_to_json(response)))
