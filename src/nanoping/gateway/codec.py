"""Proto3 JSON both ways: HTTP requests into API messages, API messages into JSON bytes.

Requests are parsed strictly (``json_format.ParseDict`` without ignoring unknown fields): an
unknown field, a wrong type or a bad enum name is INVALID_ARGUMENT naming the field, never a
silently dropped value. Responses are canonical proto3 JSON: lowerCamel names, enums by name,
64-bit integers as strings, bytes as base64, and fields holding their default left out, which
the public client reads as the defaults they are (an empty message is ``{}``).
"""

from __future__ import annotations

import json
from typing import Any, cast

from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor
from google.protobuf.message import Message

from nanoping.errors import StatusCode
from nanoping.gateway.query import query_to_json
from nanoping.gateway.route_map import RouteMatch
from nanoping.gateway.routes import NO_BODY, WHOLE_REQUEST, RestRoute
from nanoping.gateway.status import RequestRejected

_PARSE_FAILURES = (
    json_format.ParseError,
    ValueError,
    TypeError,
    AttributeError,
    KeyError,
    RecursionError,
)


def request_from_http(match: RouteMatch, *, query: bytes, body: bytes) -> Message:
    """The request message of a matched HTTP call: path parameters, query string and body."""
    route, request_type = match.route, match.method.request_type
    descriptor = cast(Descriptor, request_type.DESCRIPTOR)
    document = _body_document(route, descriptor, body)
    if route.body == WHOLE_REQUEST:
        if query:
            raise _bad("this route takes the whole request as its JSON body, not in the query")
    else:
        _merge(document, query_to_json(query, descriptor), source="the query string")
    _merge(document, _path_document(match, descriptor), source="the path")
    message = parse_message(request_type, document)
    if route.empty_selector:
        _default_selector(message, route.empty_selector)
    return message


def parse_message(message_type: type[Message], document: object) -> Message:
    """A message from its JSON object; INVALID_ARGUMENT when the JSON does not fit the type."""
    if not isinstance(document, dict):
        raise _bad(f"{message_type.DESCRIPTOR.full_name} must be sent as a JSON object")
    message = message_type()
    try:
        json_format.ParseDict(document, message, ignore_unknown_fields=False)
    except _PARSE_FAILURES as error:
        raise _bad(f"invalid {message_type.DESCRIPTOR.name}: {error}") from None
    return message


def parse_json(data: bytes | str) -> object:
    """Decoded JSON text; INVALID_ARGUMENT when it is not JSON."""
    try:
        return json.loads(data)
    except (ValueError, RecursionError) as error:
        raise _bad(f"the body is not valid JSON: {error}") from None


def message_to_json(message: Message) -> dict[str, Any]:
    """A message as its canonical proto3 JSON object."""
    return json_format.MessageToDict(message)


def json_bytes(document: object) -> bytes:
    """Compact UTF-8 JSON text."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def _body_document(route: RestRoute, descriptor: Descriptor, body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    parsed = parse_json(body)
    if route.body == NO_BODY:
        if parsed != {}:
            raise _bad("this route takes no body: send the request fields in the query string")
        return {}
    if route.body == WHOLE_REQUEST:
        if not isinstance(parsed, dict):
            raise _bad("the body must be a JSON object")
        return parsed
    return {descriptor.fields_by_name[route.body].json_name: parsed}


def _path_document(match: RouteMatch, descriptor: Descriptor) -> dict[str, Any]:
    """Path parameters as JSON fields; an empty segment leaves its field unset.

    The client fills a path parameter it does not have with "" (when no route has all its
    parameters set it takes the first route anyway, as with an empty ``node_id``), so an empty
    segment must not select a oneof member: ``stopPipeline`` by run id over the by-id route
    arrives as ``/v1/nodes//pipelines//stop?runId=r1``.
    """
    return {
        descriptor.fields_by_name[field].json_name: value
        for field, value in match.path_parameters.items()
        if value
    }


def _merge(document: dict[str, Any], more: dict[str, Any], *, source: str) -> None:
    for name, value in more.items():
        if name in document and document[name] != value:
            raise _bad(f"{name} is given twice, in {source} and elsewhere, with different values")
        document[name] = value


def _default_selector(message: Message, member: str) -> None:
    oneof = message.DESCRIPTOR.fields_by_name[member].containing_oneof
    if oneof is not None and message.WhichOneof(oneof.name) is None:
        getattr(message, member).SetInParent()


def _bad(message: str) -> RequestRejected:
    return RequestRejected(message, code=StatusCode.INVALID_ARGUMENT)
