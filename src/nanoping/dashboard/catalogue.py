"""The component catalogue as the dashboard reads it: parameters, defaults and wiring fields."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence
from typing import Any

from nanoping.dataplane.component import component_types
from nanoping.dataplane.parameter import ParamInfo, link_fields


def catalogue_document(entries: Mapping[str, Sequence[ParamInfo]]) -> dict[str, Any]:
    """JSON-ready catalogue: per component type its parameters and which fields hold links."""
    types = component_types()
    return {
        name: {
            "params": [_param(info) for info in params],
            "links": list(link_fields(types[name].params_type)) if name in types else [],
        }
        for name, params in entries.items()
    }


def _param(info: ParamInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "type": info.type_name,
        "default": _plain(info.default),
        "required": info.required,
        "minimum": info.minimum,
        "maximum": info.maximum,
        "doc": info.doc,
        "fields": [_param(field) for field in info.fields],
    }


def _plain(value: object) -> object:
    """A default as JSON: records become objects, tuples lists, enums their values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple | list):
        return [_plain(item) for item in value]
    if isinstance(value, enum.Enum):
        return value.value
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
