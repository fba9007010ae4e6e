"""Data values as a template sees them: truth, Go type names and Go's way of printing them.

Data is JSON-shaped Python: dict (string keys), list, str, int, float, bool, None. A missing map
key and a JSON null are both :data:`MISSING` (Go's "no value").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal


class _Missing:
    """The value of a missing key (Go's invalid ``reflect.Value``)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()
"""A missing key or a null: prints ``<no value>``, is false, and fails most functions."""


def is_true(value: object) -> bool:
    """Go's truth: false, 0, "", nil and empty lists and maps are false; the rest is true."""
    if value is MISSING or value is None:
        return False
    if isinstance(value, bool | int | float | str | list | dict | tuple):
        return bool(value)
    return True


def type_name(value: object) -> str:
    """The Go type a JSON value would have, for error messages."""
    if value is MISSING or value is None:
        return "nil"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "[]interface {}"
    if isinstance(value, Mapping):
        return "map[string]interface {}"
    return type(value).__name__


def sorted_keys(mapping: Mapping[object, object]) -> list[object]:
    """Map keys in Go's range order: ascending (numbers by value, strings by bytes)."""
    return sorted(mapping, key=lambda key: str(key).encode())


def format_value(value: object, *, in_function: bool = False) -> str:
    """``fmt.Print`` of a value; a missing one is ``<no value>`` (``<nil>`` inside a call)."""
    if value is MISSING or value is None:
        return "<nil>" if in_function or value is None else "<no value>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list | tuple):
        return "[" + " ".join(format_value(item, in_function=True) for item in value) + "]"
    if isinstance(value, Mapping):
        parts = (
            f"{format_value(key)}:{format_value(value[key], in_function=True)}"
            for key in sorted_keys(value)
        )
        return "map[" + " ".join(parts) + "]"
    return str(value)


def format_float(value: float) -> str:
    """Go's ``%v`` of a float64: shortest digits, exponent form below 1e-4 or from 1e6."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    text = "".join(map(str, digits))
    assert isinstance(exponent, int)
    decimal_exponent = len(text) + exponent - 1
    prefix = "-" if sign else ""
    if decimal_exponent < -4 or decimal_exponent >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return (
            f"{prefix}{mantissa}e{'-' if decimal_exponent < 0 else '+'}{abs(decimal_exponent):02d}"
        )
    point = decimal_exponent + 1
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{text}"
    if point >= len(text):
        return f"{prefix}{text}{'0' * (point - len(text))}"
    return f"{prefix}{text[:point]}.{text[point:]}"
