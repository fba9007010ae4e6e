"""Component parameters: declared as frozen dataclass fields, parsed from config JSON.

Each component declares its parameters once, as a frozen dataclass whose fields are made with
:func:`param`. That dataclass is the single home of defaults, units and limits: the config
parser builds it from JSON, the catalogue (:func:`describe`) is read from it, and the component
reads its settings from it with full typing.

Supported field types: ``int``, ``float``, ``bool``, ``str``, any of these ``| None`` (optional,
unset = ``None``), ``tuple[Record, ...]`` for repeated records (flows, phases) and ``Record | None``
for an optional nested object (a Raft stream's ``realtime`` settings).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from nanoping.dataplane.errors import ParamError

UINT32_MAX = 2**32 - 1
INT32_MAX = 2**31 - 1
_META_KEY = "nanoping.param"


class _Required:
    """Marker default of a parameter that the config must give."""

    def __repr__(self) -> str:
        return "REQUIRED"


REQUIRED: Any = _Required()


@dataclass(frozen=True, slots=True, kw_only=True)
class ParamMeta:
    """What a field's metadata says about a parameter besides its type and default."""

    doc: str
    """One line for the catalogue: what the parameter does and its unit."""
    minimum: float | None = None
    """Smallest allowed value (numbers) or length (repeated records)."""
    maximum: float | None = None
    """Largest allowed value (numbers)."""
    link: bool = False
    """True when the value is a wiring string (``input``/``output`` fields)."""
    check: Callable[[Any], str | None] | None = None
    """Extra validation: returns an error message, or None when the value is fine."""


def param(
    default: Any = REQUIRED,
    *,
    doc: str,
    minimum: float | None = None,
    maximum: float | None = None,
    link: bool = False,
    check: Callable[[Any], str | None] | None = None,
) -> Any:
    """Declare one parameter field; use inside a frozen dataclass."""
    meta = {_META_KEY: ParamMeta(doc=doc, minimum=minimum, maximum=maximum, link=link, check=check)}
    if default is REQUIRED:
        return dataclasses.field(metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


@dataclass(frozen=True, slots=True, kw_only=True)
class ParamInfo:
    """Catalogue entry of one parameter, for documentation and API clients."""

    name: str
    type_name: str
    default: object
    required: bool
    minimum: float | None
    maximum: float | None
    doc: str
    fields: tuple[ParamInfo, ...] = ()


def describe(record: type[Any]) -> tuple[ParamInfo, ...]:
    """List the parameters of a parameter dataclass, nested records included."""
    hints = typing.get_type_hints(record)
    return tuple(_info(field, hints[field.name]) for field in dataclasses.fields(record))


def _info(field: dataclasses.Field[Any], hint: Any) -> ParamInfo:
    meta = _meta(field)
    base, _ = _unwrap_optional(hint)
    item = _record_item(base) or _nested_record(base)
    required = field.default is dataclasses.MISSING
    default = None if required else field.default
    nested = describe(item) if item is not None else ()
    return ParamInfo(
        name=field.name,
        type_name=_type_name(base).split(" ", 1)[1],
        default=default,
        required=required,
        minimum=meta.minimum,
        maximum=meta.maximum,
        doc=meta.doc,
        fields=nested,
    )


def link_fields(record: type[Any]) -> tuple[str, ...]:
    """Names of the fields of ``record`` that hold wiring strings."""
    return tuple(f.name for f in dataclasses.fields(record) if _meta(f).link)


def parse_params(record: type[Any], raw: object, *, path: str = "") -> Any:
    """Build ``record`` from a JSON object; raise ParamError naming the first bad key."""
    if not isinstance(raw, Mapping):
        raise ParamError(path or "parameters", f"expected an object, got {json_type(raw)}")
    hints = typing.get_type_hints(record)
    fields = {f.name: f for f in dataclasses.fields(record)}
    for key in raw:
        if key not in fields:
            allowed = ", ".join(sorted(fields)) or "none"
            raise ParamError(_join(path, str(key)), f"unknown parameter; allowed: {allowed}")
    values = {}
    for name, field in fields.items():
        key = _join(path, name)
        if name in raw:
            values[name] = _parse_value(hints[name], _meta(field), raw[name], key)
        elif field.default is dataclasses.MISSING:
            raise ParamError(key, "required parameter is missing")
    return record(**values)


def json_type(value: object) -> str:
    """Name of the JSON type of a decoded value, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list | tuple):
        return "array"
    return type(value).__name__


def _parse_value(hint: Any, meta: ParamMeta, value: object, key: str) -> object:
    base, optional = _unwrap_optional(hint)
    if value is None:
        if optional:
            return None
        raise ParamError(key, f"expected {_type_name(base)}, got null")
    item = _record_item(base)
    nested = _nested_record(base)
    if nested is not None:
        parsed: object = parse_params(nested, value, path=key)
    else:
        parsed = _parse_records(item, value, key) if item else _parse_scalar(base, value, key)
    _check_limits(meta, parsed, key)
    if meta.check is not None and (problem := meta.check(parsed)) is not None:
        raise ParamError(key, problem)
    return parsed


def _parse_scalar(base: Any, value: object, key: str) -> object:
    if base is bool and isinstance(value, bool):
        return value
    if base is int and isinstance(value, int) and not isinstance(value, bool):
        return value
    if base is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if base is str and isinstance(value, str):
        return value
    raise ParamError(key, f"expected {_type_name(base)}, got {json_type(value)}")


def _parse_records(item: type[Any], value: object, key: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise ParamError(key, f"expected an array, got {json_type(value)}")
    return tuple(parse_params(item, entry, path=f"{key}[{i}]") for i, entry in enumerate(value))


def _check_limits(meta: ParamMeta, value: object, key: str) -> None:
    if isinstance(value, tuple):
        if meta.minimum is not None and len(value) < meta.minimum:
            raise ParamError(key, f"must have at least {meta.minimum:g} entries, got {len(value)}")
        return
    if not isinstance(value, int | float) or isinstance(value, bool):
        return
    if meta.minimum is not None and value < meta.minimum:
        raise ParamError(key, f"must be >= {meta.minimum:g}, got {value:g}")
    if meta.maximum is not None and value > meta.maximum:
        raise ParamError(key, f"must be <= {meta.maximum:g}, got {value:g}")


def _meta(field: dataclasses.Field[Any]) -> ParamMeta:
    meta = field.metadata.get(_META_KEY)
    if not isinstance(meta, ParamMeta):
        raise TypeError(f"field {field.name!r} was not declared with param()")
    return meta


def _unwrap_optional(hint: Any) -> tuple[Any, bool]:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0], True
    return hint, False


def _record_item(base: Any) -> type[Any] | None:
    if typing.get_origin(base) is tuple:
        item = typing.get_args(base)[0]
        if dataclasses.is_dataclass(item) and isinstance(item, type):
            return item
    return None


def _nested_record(base: Any) -> type[Any] | None:
    if dataclasses.is_dataclass(base) and isinstance(base, type):
        return base
    return None


def _type_name(base: Any) -> str:
    names = {int: "an integer", float: "a number", bool: "a boolean", str: "a string"}
    if base in names:
        return names[base]
    return "an object" if _nested_record(base) else "an array"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


@dataclass(frozen=True)
class Flow:
    """One path through a multi-flow component: packets from ``input`` leave on ``output``."""

    input: str = param(doc="Link the flow's packets arrive on.", link=True)
    output: str = param(doc="Link the flow's packets leave on.", link=True)
