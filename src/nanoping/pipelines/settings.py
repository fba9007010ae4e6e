"""Every setting of a pipeline, with the API's defaults and limits in one place.

The defaults differ between createPipeline and updatePipeline (an unset level is INFO on create
but STATE on update, because update's level field has no presence); both doors read them from
the constants here so they are written once.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from nanoping.errors import InvalidArgument
from nanoping.pipelines.json_config import ConfigCompatibility, JsonConfig

INT32_MAX = 2**31 - 1


class LogLevel(enum.IntEnum):
    """Log severity, most verbose first; numbered as the API's ``logging.Level``."""

    STATE = 0
    DEBUG = 1
    INFO = 2
    WARNING = 3
    ERROR = 4
    FATAL = 5


class RestartMode(enum.Enum):
    """When a run that ended is started again."""

    NEVER = "never"
    ALWAYS = "always"
    ON_FAILURE = "on_failure"


class StartupPolicy(enum.Enum):
    """Whether the pipeline starts with the node."""

    MANUAL = "manual"
    AUTO = "auto"


CREATE_DEFAULT_LOGGING_LEVEL = LogLevel.INFO
"""createPipeline without a level."""
UPDATE_DEFAULT_LOGGING_LEVEL = LogLevel.STATE
"""updatePipeline without a level (its field has no presence, so unset reads as 0)."""
DEFAULT_INSTRUCTIONS_TIMEOUT = 30
"""Seconds, when createPipeline leaves ``instructions_timeout`` unset."""
DEFAULT_PERFORMANCE_MODE = True
"""When create or update leaves ``performance_mode`` unset."""


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """What happens when a run ends; the default never restarts."""

    mode: RestartMode = RestartMode.NEVER
    """Which ends lead to a restart."""
    max_restarts: int = 0
    """Restart cap for ALWAYS and ON_FAILURE; 0 = unlimited (ignored for NEVER)."""

    def allows_restart(self, *, exit_code: int, restarts_done: int) -> bool:
        """Whether a run that ended with ``exit_code`` is restarted after ``restarts_done``.

        For a run supervisor: ALWAYS restarts after every end, ON_FAILURE only after a non-zero
        exit code, and either stops once ``max_restarts`` (when not 0) restarts were made.
        """
        if self.mode is RestartMode.NEVER:
            return False
        if self.mode is RestartMode.ON_FAILURE and exit_code == 0:
            return False
        return self.max_restarts == 0 or restarts_done < self.max_restarts


@dataclass(frozen=True, slots=True)
class PipelineSettings:
    """Everything a create or update request sets; call :meth:`check` before storing."""

    name: str
    """Display name; need not be unique."""
    config: JsonConfig
    """The checked configuration."""
    restart_policy: RestartPolicy = field(default_factory=RestartPolicy)
    """What happens when a run ends."""
    startup_policy: StartupPolicy = StartupPolicy.MANUAL
    """Whether the node starts the pipeline when it starts."""
    default_logging_level: LogLevel = CREATE_DEFAULT_LOGGING_LEVEL
    """Log level of the pipeline's runs."""
    instructions_timeout: int = DEFAULT_INSTRUCTIONS_TIMEOUT
    """Seconds a run may take to answer an instruction before it is treated as hung."""
    cpu_pin: int | None = None
    """Zero-based CPU thread the run is pinned to; None lets the node choose."""
    performance_mode: bool = DEFAULT_PERFORMANCE_MODE
    """Run the pinned thread in performance mode."""
    node_reference_id: str | None = None
    """Id of a related node (e.g. the client a relay pipeline serves); None when unrelated."""

    @property
    def compatible(self) -> bool:
        """False when the config was written for a newer NanoPing than this node."""
        return self.config.compatibility is ConfigCompatibility.COMPATIBLE

    def check(self, *, cpu_threads: int) -> None:
        """Raise InvalidArgument naming the first setting outside its limits."""
        if not 0 < self.instructions_timeout <= INT32_MAX:
            raise InvalidArgument(
                f"instructions_timeout must be a positive number of seconds, "
                f"got {self.instructions_timeout}"
            )
        if self.cpu_pin is not None and not 0 <= self.cpu_pin < cpu_threads:
            raise InvalidArgument(
                f"cpu_pin {self.cpu_pin} is not a CPU thread of this node: it has {cpu_threads} "
                f"thread(s), numbered 0 to {cpu_threads - 1}"
            )
        if not 0 <= self.restart_policy.max_restarts <= INT32_MAX:
            key = f"restart_policy.{self.restart_policy.mode.value}.max_restarts"
            raise InvalidArgument(
                f"{key} must be 0 (unlimited) or a positive count, "
                f"got {self.restart_policy.max_restarts}"
            )
