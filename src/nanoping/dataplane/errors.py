"""Errors raised while reading a pipeline configuration.

Hierarchy::

    PipelineConfigError            any reason a json_config cannot be run here
    ├── ConfigError                the document is invalid (API: INVALID_ARGUMENT)
    └── IncompatibleVersionError   written for a newer NanoPing (API: store as INCOMPATIBLE)

Both carry what the API layer needs to build its message without parsing text.
"""

from __future__ import annotations


class PipelineConfigError(Exception):
    """Base class: this configuration cannot be run by this node."""


class ConfigError(PipelineConfigError):
    """The configuration is invalid; names the component instance and the key at fault."""

    def __init__(self, component_id: str | None, key: str, message: str) -> None:
        self.component_id = component_id
        self.key = key
        self.message = message
        super().__init__(self._render())

    def _render(self) -> str:
        if self.component_id is None:
            return f"{self.key}: {self.message}"
        return f"component '{self.component_id}', key '{self.key}': {self.message}"


class IncompatibleVersionError(PipelineConfigError):
    """The configuration declares a schema version newer than this node supports."""

    def __init__(self, version: int, supported: int) -> None:
        self.version = version
        self.supported = supported
        super().__init__(
            f"version: config version {version} is newer than the supported version {supported}"
        )


class ParamError(Exception):
    """A single parameter is invalid; raised by the parameter parser, wrapped into ConfigError."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        self.message = message
        super().__init__(f"{key}: {message}")
