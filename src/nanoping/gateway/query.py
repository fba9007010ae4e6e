"""Query strings as proto3 JSON: the request fields a body-less route carries in its URL.

The public client form-encodes every non-path field of the request JSON: lowerCamel names,
nested messages as dotted paths (``options.lines=100``), repeated fields as repeated keys
(``serviceFilters=PIPELINES&serviceFilters=LOGGING``), map entries as ``field.key.sub``, booleans
as ``true``/``false``, enums by name. This module walks the request's descriptor to turn such
pairs back into the JSON object they came from, so one strict JSON parser checks every input.
Everything but booleans stays a string: proto3 JSON accepts numbers, enums and bytes as strings.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor

from nanoping.errors import StatusCode
from nanoping.gateway.status import RequestRejected

# Well-known types whose JSON form is a string, so a query value can hold them.
_STRING_MESSAGES = frozenset(
    {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask"}
)


def query_to_json(query: bytes, message: Descriptor) -> dict[str, Any]:
    """The JSON object a query string stands for; RequestRejected names a bad parameter."""
    try:
        pairs = urllib.parse.parse_qsl(
            query.decode("ascii"), keep_blank_values=True, strict_parsing=False, errors="strict"
        )
    except (UnicodeDecodeError, ValueError):
        raise _bad("the query string is not valid percent-encoded UTF-8") from None
    result: dict[str, Any] = {}
    for key, value in pairs:
        _place(result, message, key.split("."), value, key)
    return result


def _place(
    target: dict[str, Any], message: Descriptor, path: list[str], value: str, key: str
) -> None:
    field = _field(message, path[0], key)
    name, rest = field.json_name, path[1:]
    if _is_map(field):
        _place_map_entry(target.setdefault(name, {}), field, rest, value, key)
    elif field.type == FieldDescriptor.TYPE_MESSAGE and _message(field).full_name not in (
        _STRING_MESSAGES
    ):
        _place_in_message(target, name, field, rest, value, key)
    elif rest:
        raise _bad(f"query parameter {key}: {path[0]} has no fields")
    elif _is_repeated(field):
        target.setdefault(name, []).append(_scalar(field, value, key))
    elif name in target:
        raise _bad(f"query parameter {key} is given more than once")
    else:
        target[name] = _scalar(field, value, key)


def _place_in_message(
    target: dict[str, Any],
    name: str,
    field: FieldDescriptor,
    rest: list[str],
    value: str,
    key: str,
) -> None:
    if _is_repeated(field):
        raise _bad(f"query parameter {key}: a list of messages must be sent in a JSON body")
    child = target.setdefault(name, {})
    if rest:
        _place(child, _message(field), rest, value, key)
    elif value:
        raise _bad(f"query parameter {key} is a message: name one of its fields")


def _place_map_entry(
    entries: dict[str, Any], field: FieldDescriptor, rest: list[str], value: str, key: str
) -> None:
    if not rest:
        raise _bad(f"query parameter {key} is a map: add the entry key, as in {key}.KEY")
    entry_key, inner = rest[0], rest[1:]
    value_field = _message(field).fields_by_name["value"]
    if value_field.type == FieldDescriptor.TYPE_MESSAGE:
        entry = entries.setdefault(entry_key, {})
        if inner:
            _place(entry, _message(value_field), inner, value, key)
        elif value:
            raise _bad(f"query parameter {key} is a message: name one of its fields")
    elif inner:
        raise _bad(f"query parameter {key}: map values of {rest[0]} have no fields")
    else:
        entries[entry_key] = _scalar(value_field, value, key)


def _field(message: Descriptor, name: str, key: str) -> FieldDescriptor:
    for field in message.fields:
        if name in (field.json_name, field.name):
            return field
    raise _bad(f"unknown query parameter {key}: {message.full_name} has no field {name}")


def _scalar(field: FieldDescriptor, value: str, key: str) -> str | bool:
    if field.type != FieldDescriptor.TYPE_BOOL:
        return value
    if value in ("true", "false"):
        return value == "true"
    raise _bad(f"query parameter {key} must be true or false, not {value!r}")


def _is_map(field: FieldDescriptor) -> bool:
    return (
        field.type == FieldDescriptor.TYPE_MESSAGE
        and _message(field).GetOptions().map_entry
        and _is_repeated(field)
    )


def _message(field: FieldDescriptor) -> Descriptor:
    assert field.message_type is not None, f"{field.full_name} is not a message field"
    return field.message_type


def _is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


def _bad(message: str) -> RequestRejected:
    return RequestRejected(message, code=StatusCode.INVALID_ARGUMENT)
