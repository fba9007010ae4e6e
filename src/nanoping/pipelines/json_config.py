"""A pipeline's ``json_config``: checked on the way in, kept pretty-printed, flagged when too new.

A config written for a newer NanoPing is not an error (the API stores it as ``INCOMPATIBLE``,
and a start refuses it), so checking yields a compatibility verdict instead of raising for it.
Everything else wrong with the document raises :class:`~nanoping.errors.InvalidArgument` with a
message naming where: the JSON position, or the component id and key.
"""

from __future__ import annotations

import enum
import json
import math
from dataclasses import dataclass

from nanoping.dataplane.config import SUPPORTED_VERSION, validate_config
from nanoping.dataplane.errors import ConfigError, IncompatibleVersionError
from nanoping.errors import InvalidArgument

PRETTY_INDENT = 2
"""Indentation of the stored (and returned) text."""


class ConfigCompatibility(enum.IntEnum):
    """Whether this node can run a config; numbered as the API's ``ConfigCompatability``."""

    COMPATIBLE = 0
    INCOMPATIBLE = 1


@dataclass(frozen=True, slots=True)
class JsonConfig:
    """A pipeline configuration that passed :meth:`parse`."""

    text: str
    """The document, pretty-printed with an indent of two."""
    compatibility: ConfigCompatibility
    """INCOMPATIBLE when the document declares a version newer than this node reads."""

    @classmethod
    def parse(cls, text: str) -> JsonConfig:
        """Decode and check ``text``; raises InvalidArgument naming what is wrong and where."""
        document = _decode(text)
        pretty = json.dumps(document, indent=PRETTY_INDENT, ensure_ascii=False)
        try:
            validate_config(document)
        except IncompatibleVersionError:
            return cls(pretty, ConfigCompatibility.INCOMPATIBLE)
        except ConfigError as error:
            raise InvalidArgument(f"invalid json_config: {_describe(error)}") from None
        return cls(pretty, ConfigCompatibility.COMPATIBLE)

    @property
    def declared_version(self) -> object:
        """The document's ``version`` value, for messages (a cold path: it re-reads the text)."""
        document = json.loads(self.text)
        return document.get("version") if isinstance(document, dict) else None


def _describe(error: ConfigError) -> str:
    """The checker's message, without repeating the key when it is the whole document."""
    if error.component_id is None and error.key == "json_config":
        return error.message
    return str(error)


def _decode(text: str) -> object:
    if not text.strip():
        raise InvalidArgument("invalid json_config: it is empty; send the configuration as JSON")
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as error:
        raise InvalidArgument(
            f"invalid json_config: not valid JSON at line {error.lineno}, column {error.colno} "
            f"(character {error.pos}): {error.msg}"
        ) from None
    except RecursionError:
        raise InvalidArgument("invalid json_config: it is nested too deeply") from None
    except ValueError as error:  # numbers JSON cannot carry, integers with too many digits
        raise InvalidArgument(f"invalid json_config: {error}") from None


class _NumberError(ValueError):
    """A number JSON can decode but not encode again (NaN, infinities, overflowing floats)."""


def _reject_constant(name: str) -> float:
    raise _NumberError(f"'{name}' is not a JSON number")


def _finite_float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value):
        raise _NumberError(f"number {literal} is out of range")
    return value


__all__ = ["SUPPORTED_VERSION", "ConfigCompatibility", "JsonConfig"]
