"""Checking a json_config: pretty-printing, compatibility verdicts, and messages that say where."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from nanoping.errors import InvalidArgument
from nanoping.pipelines.json_config import SUPPORTED_VERSION, ConfigCompatibility, JsonConfig

SINK = ("traffic_sink-1", "traffic_sink")
SOURCE = ("uniform_traffic_source-1", "uniform_traffic_source")


def edited(config: str, edit: Callable[[dict[str, Any]], object]) -> str:
    document = json.loads(config)
    edit(document)
    return json.dumps(document, separators=(",", ":"))


def params(document: dict[str, Any], component: tuple[str, str]) -> dict[str, Any]:
    instance, type_name = component
    found: dict[str, Any] = document["plumr_config"]["pipeline"][instance][type_name]
    return found


def test_example_is_compatible_and_stored_pretty_printed(example_config: str) -> None:
    compact = json.dumps(json.loads(example_config), separators=(",", ":"))
    config = JsonConfig.parse(compact)
    assert config.compatibility is ConfigCompatibility.COMPATIBLE
    assert config.text == example_config  # the seed's text is itself indented by two
    assert JsonConfig.parse(config.text) == config


def test_key_order_and_unicode_survive(example_config: str) -> None:
    text = edited(example_config, lambda d: d.update({"comment": "Aalborg, Danmark ø"}))
    pretty = JsonConfig.parse(text).text
    assert list(json.loads(pretty)) == ["version", "plumr_config", "comment"]
    assert "ø" in pretty


def test_newer_version_is_incompatible_not_rejected(example_config: str) -> None:
    newer = edited(example_config, lambda d: d.update(version=SUPPORTED_VERSION + 1))
    config = JsonConfig.parse(newer)
    assert config.compatibility is ConfigCompatibility.INCOMPATIBLE
    assert config.declared_version == SUPPORTED_VERSION + 1


def test_newer_version_skips_checks_this_node_cannot_judge() -> None:
    text = json.dumps({"version": 99, "plumr_config": {"pipeline": {"x": {"future_thing": {}}}}})
    assert JsonConfig.parse(text).compatibility is ConfigCompatibility.INCOMPATIBLE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"version": 13,', "not valid JSON at line 1, column 16 (character 15)"),
        (
            '{\n  "version": 13\n  "x": 1}',
            "not valid JSON at line 3, column 3 (character 20): Expecting ',' delimiter",
        ),
        ("", "it is empty"),
        ("[1, 2]", "invalid json_config: expected an object, got array"),
        ('{"version": NaN}', "'NaN' is not a JSON number"),
        ('{"version": 1e999}', "number 1e999 is out of range"),
        pytest.param("[" * 100_000 + "]" * 100_000, "it is nested too deeply", id="deep"),
        pytest.param('{"version": ' + "9" * 5000 + "}", "Exceeds the limit", id="long-int"),
        ('{"plumr_config": {}}', "version: required key is missing"),
        ('{"version": "13"}', "version: expected an integer, got string"),
    ],
)
def test_invalid_documents_name_the_position_or_key(text: str, message: str) -> None:
    with pytest.raises(InvalidArgument) as raised:
        JsonConfig.parse(text)
    assert raised.value.message.startswith("invalid json_config: ")
    assert message in raised.value.message


def set_param(component: tuple[str, str], key: str, value: object) -> Callable[[Any], object]:
    return lambda d: params(d, component).update({key: value})


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (
            set_param(SINK, "mtu", "big"),
            "component 'traffic_sink-1', key 'mtu': expected an integer, got string",
        ),
        (
            set_param(SOURCE, "interval", -1),
            "component 'uniform_traffic_source-1', key 'interval': must be >= 0",
        ),
        (
            set_param(SOURCE, "output", "[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:1]"),
            "component 'uniform_traffic_source-1', key 'output': port out:1 is out of range",
        ),
        (
            set_param(SINK, "colour", "blue"),
            "component 'traffic_sink-1', key 'colour': unknown parameter",
        ),
        (
            lambda d: d["plumr_config"]["pipeline"].update({"x-1": {"no_such_type": {}}}),
            "component 'x-1', key 'no_such_type': unknown component type 'no_such_type'",
        ),
        (
            lambda d: d.update(version=SUPPORTED_VERSION - 1),
            f"version: unsupported version {SUPPORTED_VERSION - 1}",
        ),
    ],
)
def test_invalid_configs_name_component_and_key(
    example_config: str, edit: Callable[[Any], object], message: str
) -> None:
    with pytest.raises(InvalidArgument) as raised:
        JsonConfig.parse(edited(example_config, edit))
    assert message in raised.value.message
