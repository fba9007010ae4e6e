"""The live-update rule, and the contract of the components' live parameters."""

from __future__ import annotations

import copy
from dataclasses import fields
from typing import Any

import pytest

from nanoping.dataplane.component import component_types
from nanoping.dataplane.config import validate_config
from nanoping.dataplane.fakes import config_doc, wire
from nanoping.dataplane.parameter import link_fields
from nanoping.runs.live_update import changed_components, live_update_refusal

SRC_TO_DELAY = wire("delay", 0, "src", 0)
DELAY_TO_SINK = wire("sink", 0, "delay", 0)


def document() -> dict[str, Any]:
    return config_doc(
        {
            "src": {"uniform_traffic_source": {"output": SRC_TO_DELAY, "interval": 1}},
            "delay": {
                "delay_constant": {
                    "flows": [{"input": SRC_TO_DELAY, "output": DELAY_TO_SINK}],
                    "delay": 20,
                }
            },
            "sink": {"traffic_sink": {"input": DELAY_TO_SINK}},
        }
    )


def changed(edit: Any) -> str | None:
    before = document()
    after = copy.deepcopy(before)
    edit(after["plumr_config"]["pipeline"])
    return live_update_refusal(validate_config(before), validate_config(after))


def test_live_parameters_of_a_component_may_change() -> None:
    def longer_delay(pipeline: dict[str, Any]) -> None:
        pipeline["delay"]["delay_constant"].update(delay=40, jitter=5)

    assert changed(longer_delay) is None
    before, after = document(), document()
    after["plumr_config"]["pipeline"]["delay"]["delay_constant"]["delay"] = 40
    (spec,) = changed_components(validate_config(before), validate_config(after))
    assert (spec.id, spec.params.delay) == ("delay", 40)


def test_an_unchanged_config_is_trivially_live() -> None:
    assert changed(lambda pipeline: None) is None


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        (
            lambda p: p["src"]["uniform_traffic_source"].update(total_packets=5),
            "component 'src' (uniform_traffic_source) cannot change total_packets while it runs "
            "(parameters it takes live: none)",
        ),
        (
            lambda p: p["sink"]["traffic_sink"].update(mtu=9000),
            "component 'sink' (traffic_sink) cannot change mtu",
        ),
        (
            lambda p: p.update(bomb={"bomb": {}}),
            "the new config adds bomb",
        ),
        (
            lambda p: p.update(
                delay={"loss_dynamic": {"flows": p["delay"]["delay_constant"]["flows"]}}
            ),
            "component 'delay' changes type from 'delay_constant' to 'loss_dynamic'",
        ),
    ],
)
def test_other_changes_need_a_new_run(edit: Any, reason: str) -> None:
    refusal = changed(edit)
    assert refusal is not None
    assert refusal.startswith(reason)


def test_rewiring_needs_a_new_run() -> None:
    def wired_to(sink: str) -> dict[str, Any]:
        link = wire(sink, 0, "src", 0)
        return config_doc(
            {
                "src": {"uniform_traffic_source": {"output": link}},
                "a": {"traffic_sink": {"input": link} if sink == "a" else {}},
                "b": {"traffic_sink": {"input": link} if sink == "b" else {}},
            }
        )

    before, after = validate_config(wired_to("a")), validate_config(wired_to("b"))
    assert live_update_refusal(before, after) == "the wiring between components changes"


@pytest.mark.parametrize("name", sorted(component_types()))
def test_live_parameters_are_real_parameters_and_never_wiring(name: str) -> None:
    cls = component_types()[name]
    names = {item.name for item in fields(cls.params_type)}
    assert cls.live_parameters <= names
    assert not cls.live_parameters & set(link_fields(cls.params_type))
    assert "flows" not in cls.live_parameters
