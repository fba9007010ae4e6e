"""The predefined functions of Go's text/template that this subset offers.

``and`` and ``or`` are evaluated lazily by the executor (as Go does since 1.18); the others
take evaluated arguments. A function raises :class:`CallError`; the executor adds the position.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence

from nanoping.templating.values import MISSING, format_value, is_true, type_name


class CallError(Exception):
    """A function refused its arguments; the message is Go's where Go has one."""


Function = Callable[[Sequence[object]], object]

LAZY = frozenset({"and", "or"})
"""Functions whose arguments are evaluated one at a time, stopping at the deciding one."""


def _arity(name: str, args: Sequence[object], low: int, high: int | None = None) -> None:
    high = low if high is None else high
    if not low <= len(args) <= high:
        wanted = str(low) if low == high else f"{low} or more" if high > 99 else f"{low}-{high}"
        raise CallError(f"wrong number of args for {name}: want {wanted} got {len(args)}")


# ---- comparisons ------------------------------------------------------------------------------


def _kind(value: object) -> str:
    if value is MISSING or value is None:
        return "invalid"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"  # JSON has one number type: 1 and 1.0 compare equal (see docs)
    if isinstance(value, str):
        return "string"
    return "other"


def _equal(left: object, right: object) -> bool:
    kinds = (_kind(left), _kind(right))
    if "other" in kinds:
        raise CallError(f"non-comparable type {type_name(left if kinds[0] == 'other' else right)}")
    if kinds[0] != kinds[1]:
        if "invalid" in kinds:
            return False
        raise CallError("incompatible types for comparison")
    return kinds[0] == "invalid" or left == right


def eq(args: Sequence[object]) -> object:
    """``eq a b c...``: a equals any of the others."""
    if len(args) < 2:
        raise CallError("missing argument for comparison")
    return any(_equal(args[0], other) for other in args[1:])


def ne(args: Sequence[object]) -> object:
    """``ne a b``: a differs from b."""
    _arity("ne", args, 2)
    return not _equal(args[0], args[1])


def _less(name: str, args: Sequence[object]) -> bool:
    _arity(name, args, 2)
    left, right = args
    kinds = (_kind(left), _kind(right))
    if kinds[0] not in ("number", "string") or kinds[1] not in ("number", "string"):
        raise CallError("invalid type for comparison")
    if kinds[0] != kinds[1]:
        raise CallError("incompatible types for comparison")
    if kinds[0] == "string":
        return str(left).encode() < str(right).encode()
    return bool(left < right)  # type: ignore[operator]


def lt(args: Sequence[object]) -> object:
    """``lt a b``: a < b (numbers or strings)."""
    return _less("lt", args)


def le(args: Sequence[object]) -> object:
    """``le a b``: a <= b."""
    return _less("le", args) or _equal(args[0], args[1])


def gt(args: Sequence[object]) -> object:
    """``gt a b``: a > b."""
    return not le(args)


def ge(args: Sequence[object]) -> object:
    """``ge a b``: a >= b."""
    return not _less("ge", args)


def not_(args: Sequence[object]) -> object:
    """``not x``: the negation of x's truth."""
    _arity("not", args, 1)
    return not is_true(args[0])


# ---- collections --------------------------------------------------------------------------------


def len_(args: Sequence[object]) -> object:
    """``len x``: bytes of a string, items of a list or map."""
    _arity("len", args, 1)
    value = args[0]
    if isinstance(value, str):
        return len(value.encode())
    if isinstance(value, list | tuple | Mapping):
        return len(value)
    raise CallError(f"len of type {type_name(value)}")


def index(args: Sequence[object]) -> object:
    """``index x 1 2``: x[1][2], for lists (by number) and maps (by key)."""
    if not args:
        raise CallError("wrong number of args for index: want at least 1 got 0")
    value = args[0]
    for key in args[1:]:
        value = _index_one(value, key)
    return value


def _index_one(value: object, key: object) -> object:
    if value is MISSING or value is None:
        raise CallError("index of untyped nil")
    if isinstance(value, Mapping):
        if not isinstance(key, str):
            raise CallError(f"value has type {type_name(key)}; should be string")
        found = value.get(key, MISSING)
        return MISSING if found is None else found
    if isinstance(value, list | tuple | str):
        if not isinstance(key, int) or isinstance(key, bool):
            raise CallError(f"cannot index slice/array with type {type_name(key)}")
        if not 0 <= key < len(value):
            raise CallError(f"index out of range: {key}")
        item = value[key]
        return ord(item) if isinstance(item, str) else item
    raise CallError(f"can't index item of type {type_name(value)}")


# ---- printing -----------------------------------------------------------------------------------


def print_(args: Sequence[object]) -> object:
    """``print a b``: Go's fmt.Sprint (a space between operands when neither is a string)."""
    out: list[str] = []
    for position, value in enumerate(args):
        if position and not isinstance(value, str) and not isinstance(args[position - 1], str):
            out.append(" ")
        out.append(format_value(value, in_function=True))
    return "".join(out)


def println(args: Sequence[object]) -> object:
    """``println a b``: operands joined by spaces, then a newline."""
    return " ".join(format_value(value, in_function=True) for value in args) + "\n"


_VERB = re.compile(r"%([-+# 0]*)(\d+)?(?:\.(\d+))?([a-zA-Z%])")


def printf(args: Sequence[object]) -> object:
    """``printf "%s-%d" a b``: Go's fmt.Sprintf for the verbs v s d q t x X f e g and %%."""
    if not args or not isinstance(args[0], str):
        raise CallError("printf needs a format string as its first argument")
    operands = list(args[1:])
    used = 0

    def one(match: re.Match[str]) -> str:
        nonlocal used
        flags, width, precision, verb = match.groups()
        if verb == "%":
            return "%"
        if used >= len(operands):
            return f"%!{verb}(MISSING)"
        value = operands[used]
        used += 1
        return _pad(_verb(verb, value, precision), flags, width)

    text = _VERB.sub(one, args[0])
    extra = operands[used:]
    if extra:
        listed = ", ".join(f"{type_name(v)}={format_value(v, in_function=True)}" for v in extra)
        text += f"%!(EXTRA {listed})"
    return text


def _verb(verb: str, value: object, precision: str | None) -> str:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    if verb == "v" or (verb == "s" and not isinstance(value, list | tuple | Mapping)):
        return format_value(value, in_function=True)
    if verb == "d" and is_int:
        return str(value)
    if verb == "t" and isinstance(value, bool):
        return "true" if value else "false"
    if verb == "q" and isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if verb in "xX" and (is_int or isinstance(value, str)):
        text = format(value, "x") if is_int else str(value).encode().hex()
        return text.upper() if verb == "X" else text
    if verb in "feg" and isinstance(value, float):
        digits = 6 if precision is None else int(precision)
        return format(value, f".{digits}{verb}") if verb != "g" or precision else repr(value)
    return f"%!{verb}({type_name(value)}={format_value(value, in_function=True)})"


def _pad(text: str, flags: str, width: str | None) -> str:
    if not width:
        return text
    size = int(width)
    if "-" in flags:
        return text.ljust(size)
    return text.rjust(size, "0" if "0" in flags else " ")


FUNCTIONS: Mapping[str, Function] = {
    "eq": eq,
    "ne": ne,
    "lt": lt,
    "le": le,
    "gt": gt,
    "ge": ge,
    "not": not_,
    "len": len_,
    "index": index,
    "print": print_,
    "printf": printf,
    "println": println,
}
"""Every function a template may call, by name (plus the lazy ``and`` and ``or``)."""

NAMES = frozenset(FUNCTIONS) | LAZY
