"""Golden tests of json_config parsing and of every configuration error message."""

import copy
import json
from typing import Any

import pytest

from nanoping.dataplane import (
    ConfigError,
    IncompatibleVersionError,
    PipelineConfigError,
    parse_json_config,
    validate_config,
)
from nanoping.dataplane.components.impairment import DelayConstantParams
from nanoping.dataplane.components.traffic import TrafficSinkParams, UniformTrafficSourceParams
from nanoping.dataplane.fakes import config_doc, wire
from nanoping.dataplane.parameter import Flow
from nanoping.dataplane.wiring import Link

EXAMPLE = """{
  "version": 13,
  "plumr_config": {
    "pipeline": {
      "traffic_sink-1": {
        "traffic_sink": {
          "input": "[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]",
          "mtu": 1500
        }
      },
      "uniform_traffic_source-1": {
        "uniform_traffic_source": {
          "output": "[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]",
          "total_packets": 5000,
          "interval": 25
        }
      }
    }
  }
}"""
LINK = "[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]"


def example() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(EXAMPLE)
    return doc


def pipeline(doc: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = doc["plumr_config"]["pipeline"]
    return result


def error_of(doc: object) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        validate_config(doc)
    return caught.value


def test_parses_the_documented_example() -> None:
    graph = parse_json_config(EXAMPLE)
    assert graph.version == 13
    assert [spec.id for spec in graph.components] == ["traffic_sink-1", "uniform_traffic_source-1"]
    assert graph.component("traffic_sink-1").params == TrafficSinkParams(
        input=LINK, mtu=1500, latency_budget=100, timeout_ms=10000
    )
    assert graph.component("uniform_traffic_source-1").params == UniformTrafficSourceParams(
        output=LINK, total_packets=5000, interval=25.0, packet_size=1200
    )
    assert graph.links == (
        Link(consumer="traffic_sink-1", in_port=0, producer="uniform_traffic_source-1", out_port=0),
    )


def test_parses_flows_and_nested_records() -> None:
    a, b = wire("d", 0, "s", 0), wire("k", 0, "d", 0)
    doc = config_doc(
        {
            "s": {"uniform_traffic_source": {"output": a}},
            "d": {"delay_constant": {"flows": [{"input": a, "output": b}], "delay": 50, "seed": 3}},
            "k": {"traffic_sink": {"input": b}},
        }
    )
    params = validate_config(doc).component("d").params
    assert params == DelayConstantParams(flows=(Flow(a, b),), delay=50, seed=3)


def test_unknown_top_level_sections_are_ignored() -> None:
    doc = example()
    doc["kpis"] = []
    doc["plumr_config"]["kpis"] = {}
    assert validate_config(doc).version == 13


def test_newer_version_is_a_distinct_error() -> None:
    doc = example()
    doc["version"] = 14
    with pytest.raises(IncompatibleVersionError) as caught:
        validate_config(doc)
    assert (caught.value.version, caught.value.supported) == (14, 13)
    assert str(caught.value) == "version: config version 14 is newer than the supported version 13"
    assert isinstance(caught.value, PipelineConfigError)
    assert not isinstance(caught.value, ConfigError)


def _set(path: str, value: object) -> dict[str, Any]:
    """The example with the value at a dotted path replaced (a value of ... deletes it)."""
    doc = example()
    *parents, last = path.split(".")
    target: Any = doc
    for key in parents:
        target = target[key]
    if value is ...:
        del target[last]
    else:
        target[last] = value
    return doc


SINK = "plumr_config.pipeline.traffic_sink-1.traffic_sink"
SOURCE = "plumr_config.pipeline.uniform_traffic_source-1.uniform_traffic_source"
TOP_LEVEL_CASES = [
    ("version", ..., "version: required key is missing"),
    ("version", "13", "version: expected an integer, got string"),
    ("version", 12, "version: unsupported version 12; this node reads version 13"),
    ("plumr_config", ..., "plumr_config: required key is missing"),
    ("plumr_config", [], "plumr_config: expected an object, got array"),
    ("plumr_config.pipeline", ..., "plumr_config.pipeline: required key is missing"),
    ("plumr_config.pipeline", {}, "plumr_config.pipeline: must define at least one component"),
    ("plumr_config.pipeline", "x", "plumr_config.pipeline: expected an object, got string"),
]
COMPONENT_CASES = [
    (
        f"{SINK}.mtu",
        "1500",
        "component 'traffic_sink-1', key 'mtu': expected an integer, got string",
    ),
    (
        f"{SINK}.mtu",
        1500.5,
        "component 'traffic_sink-1', key 'mtu': expected an integer, got number",
    ),
    (
        f"{SINK}.mtu",
        True,
        "component 'traffic_sink-1', key 'mtu': expected an integer, got boolean",
    ),
    (f"{SINK}.mtu", 0, "component 'traffic_sink-1', key 'mtu': must be >= 1, got 0"),
    (f"{SINK}.mtu", 70000, "component 'traffic_sink-1', key 'mtu': must be <= 65535, got 70000"),
    (f"{SINK}.mtu", None, "component 'traffic_sink-1', key 'mtu': expected an integer, got null"),
    (
        f"{SINK}.mtus",
        1,
        "component 'traffic_sink-1', key 'mtus': unknown parameter; "
        "allowed: input, latency_budget, mtu, timeout_ms",
    ),
    (
        f"{SOURCE}.interval",
        -1,
        "component 'uniform_traffic_source-1', key 'interval': must be >= 0, got -1",
    ),
    (
        f"{SINK}.input",
        "[traffic_sink-1|in:0]-[nobody|out:0]",
        "component 'traffic_sink-1', key 'input': link '[traffic_sink-1|in:0]-[nobody|out:0]' "
        "names unknown component 'nobody'",
    ),
    (
        f"{SINK}.input",
        "[traffic_sink-1|in:0]",
        "component 'traffic_sink-1', key 'input': malformed link '[traffic_sink-1|in:0]': "
        "expected [consumer-id|in:N]-[producer-id|out:M]",
    ),
    (
        f"{SINK}.input",
        "[other|in:0]-[uniform_traffic_source-1|out:0]",
        "component 'traffic_sink-1', key 'input': link '[other|in:0]-[uniform_traffic_source-1|out:0]' "
        "names consumer 'other', expected this component 'traffic_sink-1'",
    ),
    (
        f"{SINK}.input",
        "[traffic_sink-1|in:1]-[uniform_traffic_source-1|out:0]",
        "component 'traffic_sink-1', key 'input': port in:1 is out of range; "
        "'traffic_sink' has 1 input port(s) here",
    ),
    (
        f"{SINK}.input",
        ...,
        "component 'uniform_traffic_source-1', key 'output': link "
        "'[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]' is not listed in an input "
        "of component 'traffic_sink-1'",
    ),
    (
        f"{SOURCE}.output",
        ...,
        "component 'traffic_sink-1', key 'input': link "
        "'[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]' is not listed in an output "
        "of component 'uniform_traffic_source-1'",
    ),
]


@pytest.mark.parametrize(("path", "value", "message"), TOP_LEVEL_CASES + COMPONENT_CASES)
def test_error_messages(path: str, value: object, message: str) -> None:
    assert str(error_of(_set(path, value))) == message


def test_error_carries_component_id_and_key() -> None:
    error = error_of(_set(f"{SINK}.mtu", "x"))
    assert (error.component_id, error.key) == ("traffic_sink-1", "mtu")
    error = error_of(_set("version", "x"))
    assert (error.component_id, error.key) == (None, "version")


def test_document_must_be_an_object() -> None:
    assert str(error_of([])) == "json_config: expected an object, got array"


def test_invalid_json_text() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_json_config("{")
    assert caught.value.key == "json_config"
    assert str(caught.value).startswith("json_config: invalid JSON: ")


def test_unknown_component_type() -> None:
    doc = example()
    pipeline(doc)["x-1"] = {"warp_drive": {}}
    assert (
        str(error_of(doc))
        == "component 'x-1', key 'warp_drive': unknown component type 'warp_drive'"
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({}, "component 'x-1', key 'type': expected exactly one component type key, got 0 (none)"),
        (
            {"bomb": {}, "traffic_sink": {}},
            "component 'x-1', key 'type': expected exactly one component type key, got 2 (bomb, traffic_sink)",
        ),
        ([], "component 'x-1', key 'type': expected an object, got array"),
    ],
)
def test_component_entry_shape(entry: object, message: str) -> None:
    doc = example()
    pipeline(doc)["x-1"] = entry
    assert str(error_of(doc)) == message


def test_component_ids_cannot_contain_link_syntax() -> None:
    doc = example()
    pipeline(doc)["a|b"] = {"bomb": {}}
    assert str(error_of(doc)) == (
        "component 'a|b', key 'id': component id must be non-empty and must not contain '[', ']' or '|'"
    )


def test_parameters_must_be_an_object() -> None:
    doc = example()
    pipeline(doc)["b"] = {"bomb": 5}
    assert str(error_of(doc)) == "component 'b', key 'parameters': expected an object, got number"


def test_missing_required_parameter_in_nested_record() -> None:
    doc = config_doc({"d": {"delay_constant": {"flows": [{"input": wire("d", 0, "s", 0)}]}}})
    assert (
        str(error_of(doc)) == "component 'd', key 'flows[0].output': required parameter is missing"
    )


def test_missing_required_parameter() -> None:
    assert str(error_of(config_doc({"d": {"delay_constant": {}}}))) == (
        "component 'd', key 'flows': required parameter is missing"
    )


def test_repeated_records_have_a_minimum_count() -> None:
    assert str(error_of(config_doc({"d": {"delay_constant": {"flows": []}}}))) == (
        "component 'd', key 'flows': must have at least 1 entries, got 0"
    )


def test_records_must_be_objects_in_an_array() -> None:
    assert str(error_of(config_doc({"d": {"delay_constant": {"flows": {}}}}))) == (
        "component 'd', key 'flows': expected an array, got object"
    )
    assert str(error_of(config_doc({"d": {"delay_constant": {"flows": [3]}}}))) == (
        "component 'd', key 'flows[0]': expected an object, got number"
    )


def test_custom_check_message() -> None:
    doc = config_doc({"u": {"udp_socket": {"remote_address": "localhost"}}})
    assert str(error_of(doc)) == (
        "component 'u', key 'remote_address': expected host:port, got 'localhost'"
    )
    doc = config_doc({"u": {"udp_socket": {"bind_address": "::1:5"}}})
    assert str(error_of(doc)) == (
        "component 'u', key 'bind_address': IPv6 addresses must be written [address]:port, got '::1:5'"
    )


def test_duplicate_connection_on_one_port() -> None:
    a, o1, o2 = wire("d", 0, "s", 0), wire("k1", 0, "d", 0), wire("k2", 0, "d", 1)
    doc = config_doc(
        {
            "s": {"uniform_traffic_source": {"output": a}},
            "d": {
                "delay_constant": {
                    "flows": [{"input": a, "output": o1}, {"input": a, "output": o2}]
                }
            },
            "k1": {"traffic_sink": {"input": o1}},
            "k2": {"traffic_sink": {"input": o2}},
        }
    )
    assert str(error_of(doc)) == (
        "component 'd', key 'flows[1].input': duplicate connection: port in:0 is already "
        "connected by 'flows[0].input'"
    )


def test_ends_that_disagree_on_a_port() -> None:
    doc = example()
    pipeline(doc)["traffic_sink-1"]["traffic_sink"]["input"] = LINK.replace("out:0", "out:1")
    assert str(error_of(doc)) == (
        "component 'traffic_sink-1', key 'input': port out:1 is out of range; "
        "'uniform_traffic_source' has 1 output port(s) here"
    )


def test_ends_that_disagree_on_a_link() -> None:
    doc = example()
    other = "[traffic_sink-1|in:0]-[other|out:0]"
    pipeline(doc)["other"] = {"uniform_traffic_source": {"output": other}}
    pipeline(doc)["traffic_sink-1"]["traffic_sink"]["input"] = other
    assert str(error_of(doc)) == (
        "component 'uniform_traffic_source-1', key 'output': link "
        "'[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]' is not listed in an input "
        "of component 'traffic_sink-1'"
    )


def test_validation_does_not_mutate_the_document() -> None:
    doc = example()
    before = copy.deepcopy(doc)
    validate_config(doc)
    assert doc == before
