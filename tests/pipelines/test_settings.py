"""Pipeline settings: limits, restart decisions, and enums numbered as the API's."""

from __future__ import annotations

from dataclasses import replace

import pytest
from google.protobuf.message import Message

from nanoping.api import logging_pb2, pipelines_pb2
from nanoping.errors import InvalidArgument
from nanoping.pipelines.json_config import ConfigCompatibility, JsonConfig
from nanoping.pipelines.settings import (
    LogLevel,
    PipelineSettings,
    RestartMode,
    RestartPolicy,
    StartupPolicy,
)


@pytest.fixture
def settings(example_config: str) -> PipelineSettings:
    return PipelineSettings(name="p", config=JsonConfig.parse(example_config))


def test_defaults_are_the_create_defaults(settings: PipelineSettings) -> None:
    assert settings.restart_policy == RestartPolicy(RestartMode.NEVER, 0)
    assert settings.default_logging_level is LogLevel.INFO
    assert settings.instructions_timeout == 30
    assert settings.cpu_pin is None
    assert settings.performance_mode is True
    assert settings.node_reference_id is None
    assert settings.compatible


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"instructions_timeout": 0},
            "instructions_timeout must be a positive number of seconds, got 0",
        ),
        (
            {"instructions_timeout": -5},
            "instructions_timeout must be a positive number of seconds, got -5",
        ),
        (
            {"cpu_pin": 4},
            "cpu_pin 4 is not a CPU thread of this node: it has 4 thread(s), numbered 0 to 3",
        ),
        (
            {"restart_policy": RestartPolicy(RestartMode.ON_FAILURE, -1)},
            "restart_policy.on_failure.max_restarts must be 0 (unlimited) or a positive count, got -1",
        ),
    ],
)
def test_out_of_range_settings_are_invalid(
    settings: PipelineSettings, changes: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgument) as raised:
        replace(settings, **changes).check(cpu_threads=4)  # type: ignore[arg-type]
    assert raised.value.message == message


def test_last_cpu_thread_is_a_valid_pin(settings: PipelineSettings) -> None:
    replace(settings, cpu_pin=3).check(cpu_threads=4)


@pytest.mark.parametrize(
    ("policy", "exit_code", "restarts_done", "restart"),
    [
        (RestartPolicy(), 1, 0, False),
        (RestartPolicy(RestartMode.ALWAYS, 0), 0, 1000, True),
        (RestartPolicy(RestartMode.ALWAYS, 2), 0, 1, True),
        (RestartPolicy(RestartMode.ALWAYS, 2), 0, 2, False),
        (RestartPolicy(RestartMode.ON_FAILURE, 0), 0, 0, False),
        (RestartPolicy(RestartMode.ON_FAILURE, 0), 3, 50, True),
        (RestartPolicy(RestartMode.ON_FAILURE, 1), -9, 1, False),
    ],
)
def test_restart_decisions(
    policy: RestartPolicy, exit_code: int, restarts_done: int, restart: bool
) -> None:
    assert policy.allows_restart(exit_code=exit_code, restarts_done=restarts_done) is restart


def test_enums_are_numbered_as_the_api() -> None:
    assert {level.name: level.value for level in LogLevel} == dict(logging_pb2.Level.items())
    assert {c.name: c.value for c in ConfigCompatibility} == dict(
        pipelines_pb2.ConfigCompatability.items()
    )
    assert {mode.value for mode in RestartMode} == oneof_members(pipelines_pb2.RestartPolicy)
    assert {mode.value for mode in StartupPolicy} == oneof_members(pipelines_pb2.StartupPolicy)


def oneof_members(message: type[Message]) -> set[str]:
    (oneof,) = message.DESCRIPTOR.oneofs
    return {field.name for field in oneof.fields}
