import datetime

from nanoping.api import metrics_pb2 as _metrics_pb2
from nanoping.api import logging_pb2 as _logging_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConfigCompatability(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPATIBLE: _ClassVar[ConfigCompatability]
    INCOMPATIBLE: _ClassVar[ConfigCompatability]
COMPATIBLE: ConfigCompatability
INCOMPATIBLE: ConfigCompatability

class GetPipelinesRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class GetPipelinesResponse(_message.Message):
    __slots__ = ("pipelines",)
    PIPELINES_FIELD_NUMBER: _ClassVar[int]
    pipelines: _containers.RepeatedCompositeFieldContainer[Pipeline]
    def __init__(self, pipelines: _Optional[_Iterable[_Union[Pipeline, _Mapping]]] = ...) -> None: ...

class GetPipelineByIdRequest(_message.Message):
    __slots__ = ("node_id", "id")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    id: str
    def __init__(self, node_id: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class GetPipelineByIdResponse(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class GetPipelineByNameRequest(_message.Message):
    __slots__ = ("node_id", "name")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    name: str
    def __init__(self, node_id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class GetPipelineByNameResponse(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class GetPipelineByRunIdRequest(_message.Message):
    __slots__ = ("node_id", "id")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    id: str
    def __init__(self, node_id: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class GetPipelineByRunIdResponse(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class CreatePipelineRequest(_message.Message):
    __slots__ = ("node_id", "name", "json_config", "restart_policy", "startup_policy", "default_logging_level", "node_reference_id", "instructions_timeout", "cpu_pin", "performance_mode")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    JSON_CONFIG_FIELD_NUMBER: _ClassVar[int]
    RESTART_POLICY_FIELD_NUMBER: _ClassVar[int]
    STARTUP_POLICY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_LOGGING_LEVEL_FIELD_NUMBER: _ClassVar[int]
    NODE_REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTIONS_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    CPU_PIN_FIELD_NUMBER: _ClassVar[int]
    PERFORMANCE_MODE_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    name: str
    json_config: str
    restart_policy: RestartPolicy
    startup_policy: StartupPolicy
    default_logging_level: _logging_pb2.Level
    node_reference_id: str
    instructions_timeout: int
    cpu_pin: int
    performance_mode: bool
    def __init__(self, node_id: _Optional[str] = ..., name: _Optional[str] = ..., json_config: _Optional[str] = ..., restart_policy: _Optional[_Union[RestartPolicy, _Mapping]] = ..., startup_policy: _Optional[_Union[StartupPolicy, _Mapping]] = ..., default_logging_level: _Optional[_Union[_logging_pb2.Level, str]] = ..., node_reference_id: _Optional[str] = ..., instructions_timeout: _Optional[int] = ..., cpu_pin: _Optional[int] = ..., performance_mode: _Optional[bool] = ...) -> None: ...

class CreatePipelineResponse(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class DeletePipelineRequest(_message.Message):
    __slots__ = ("node_id", "id")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    id: str
    def __init__(self, node_id: _Optional[str] = ..., id: _Optional[str] = ...) -> None: ...

class DeletePipelineResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class UpdatePipelineRequest(_message.Message):
    __slots__ = ("node_id", "id", "name", "json_config", "restart_policy", "startup_policy", "default_logging_level", "instructions_timeout", "cpu_pin", "performance_mode", "node_reference_id", "force_restart")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    JSON_CONFIG_FIELD_NUMBER: _ClassVar[int]
    RESTART_POLICY_FIELD_NUMBER: _ClassVar[int]
    STARTUP_POLICY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_LOGGING_LEVEL_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTIONS_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    CPU_PIN_FIELD_NUMBER: _ClassVar[int]
    PERFORMANCE_MODE_FIELD_NUMBER: _ClassVar[int]
    NODE_REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    FORCE_RESTART_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    id: str
    name: str
    json_config: str
    restart_policy: RestartPolicy
    startup_policy: StartupPolicy
    default_logging_level: _logging_pb2.Level
    instructions_timeout: int
    cpu_pin: int
    performance_mode: bool
    node_reference_id: str
    force_restart: bool
    def __init__(self, node_id: _Optional[str] = ..., id: _Optional[str] = ..., name: _Optional[str] = ..., json_config: _Optional[str] = ..., restart_policy: _Optional[_Union[RestartPolicy, _Mapping]] = ..., startup_policy: _Optional[_Union[StartupPolicy, _Mapping]] = ..., default_logging_level: _Optional[_Union[_logging_pb2.Level, str]] = ..., instructions_timeout: _Optional[int] = ..., cpu_pin: _Optional[int] = ..., performance_mode: _Optional[bool] = ..., node_reference_id: _Optional[str] = ..., force_restart: _Optional[bool] = ...) -> None: ...

class UpdatePipelineResponse(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class StartPipelineRequest(_message.Message):
    __slots__ = ("node_id", "id", "name")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    id: str
    name: str
    def __init__(self, node_id: _Optional[str] = ..., id: _Optional[str] = ..., name: _Optional[str] = ...) -> None: ...

class StartPipelineResponse(_message.Message):
    __slots__ = ("run_id",)
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    def __init__(self, run_id: _Optional[str] = ...) -> None: ...

class StopPipelineRequest(_message.Message):
    __slots__ = ("node_id", "id", "name", "run_id")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    id: str
    name: str
    run_id: str
    def __init__(self, node_id: _Optional[str] = ..., id: _Optional[str] = ..., name: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class StopPipelineResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StreamPipelinesRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class StreamPipelinesCreateEvent(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class StreamPipelinesUpdateEvent(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class StreamPipelinesDeleteEvent(_message.Message):
    __slots__ = ("pipeline",)
    PIPELINE_FIELD_NUMBER: _ClassVar[int]
    pipeline: Pipeline
    def __init__(self, pipeline: _Optional[_Union[Pipeline, _Mapping]] = ...) -> None: ...

class StreamPipelinesEvent(_message.Message):
    __slots__ = ("create", "update", "delete")
    CREATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    create: StreamPipelinesCreateEvent
    update: StreamPipelinesUpdateEvent
    delete: StreamPipelinesDeleteEvent
    def __init__(self, create: _Optional[_Union[StreamPipelinesCreateEvent, _Mapping]] = ..., update: _Optional[_Union[StreamPipelinesUpdateEvent, _Mapping]] = ..., delete: _Optional[_Union[StreamPipelinesDeleteEvent, _Mapping]] = ...) -> None: ...

class OpenLogStreamRequest(_message.Message):
    __slots__ = ("node_id", "run_id", "options")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    run_id: str
    options: _logging_pb2.Options
    def __init__(self, node_id: _Optional[str] = ..., run_id: _Optional[str] = ..., options: _Optional[_Union[_logging_pb2.Options, _Mapping]] = ...) -> None: ...

class LogStreamMessages(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_logging_pb2.Message]
    def __init__(self, messages: _Optional[_Iterable[_Union[_logging_pb2.Message, _Mapping]]] = ...) -> None: ...

class OpenTelemetryStreamRequest(_message.Message):
    __slots__ = ("node_id", "run_id")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    run_id: str
    def __init__(self, node_id: _Optional[str] = ..., run_id: _Optional[str] = ...) -> None: ...

class RestartPolicy(_message.Message):
    __slots__ = ("never", "always", "on_failure")
    NEVER_FIELD_NUMBER: _ClassVar[int]
    ALWAYS_FIELD_NUMBER: _ClassVar[int]
    ON_FAILURE_FIELD_NUMBER: _ClassVar[int]
    never: RestartPolicyNever
    always: RestartPolicyAlways
    on_failure: RestartPolicyOnFailure
    def __init__(self, never: _Optional[_Union[RestartPolicyNever, _Mapping]] = ..., always: _Optional[_Union[RestartPolicyAlways, _Mapping]] = ..., on_failure: _Optional[_Union[RestartPolicyOnFailure, _Mapping]] = ...) -> None: ...

class RestartPolicyNever(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RestartPolicyAlways(_message.Message):
    __slots__ = ("max_restarts",)
    MAX_RESTARTS_FIELD_NUMBER: _ClassVar[int]
    max_restarts: int
    def __init__(self, max_restarts: _Optional[int] = ...) -> None: ...

class RestartPolicyOnFailure(_message.Message):
    __slots__ = ("max_restarts",)
    MAX_RESTARTS_FIELD_NUMBER: _ClassVar[int]
    max_restarts: int
    def __init__(self, max_restarts: _Optional[int] = ...) -> None: ...

class StartupPolicy(_message.Message):
    __slots__ = ("manual", "auto")
    MANUAL_FIELD_NUMBER: _ClassVar[int]
    AUTO_FIELD_NUMBER: _ClassVar[int]
    manual: StartupPolicyManual
    auto: StartupPolicyAuto
    def __init__(self, manual: _Optional[_Union[StartupPolicyManual, _Mapping]] = ..., auto: _Optional[_Union[StartupPolicyAuto, _Mapping]] = ...) -> None: ...

class StartupPolicyManual(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StartupPolicyAuto(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class Pipeline(_message.Message):
    __slots__ = ("id", "name", "started", "current_run", "json_config", "config_compatability", "restart_policy", "startup_policy", "default_logging_level", "node_reference_id", "instructions_timeout", "cpu_pin", "performance_mode")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    STARTED_FIELD_NUMBER: _ClassVar[int]
    CURRENT_RUN_FIELD_NUMBER: _ClassVar[int]
    JSON_CONFIG_FIELD_NUMBER: _ClassVar[int]
    CONFIG_COMPATABILITY_FIELD_NUMBER: _ClassVar[int]
    RESTART_POLICY_FIELD_NUMBER: _ClassVar[int]
    STARTUP_POLICY_FIELD_NUMBER: _ClassVar[int]
    DEFAULT_LOGGING_LEVEL_FIELD_NUMBER: _ClassVar[int]
    NODE_REFERENCE_ID_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTIONS_TIMEOUT_FIELD_NUMBER: _ClassVar[int]
    CPU_PIN_FIELD_NUMBER: _ClassVar[int]
    PERFORMANCE_MODE_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    started: bool
    current_run: str
    json_config: str
    config_compatability: ConfigCompatability
    restart_policy: RestartPolicy
    startup_policy: StartupPolicy
    default_logging_level: _logging_pb2.Level
    node_reference_id: str
    instructions_timeout: int
    cpu_pin: int
    performance_mode: bool
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., started: _Optional[bool] = ..., current_run: _Optional[str] = ..., json_config: _Optional[str] = ..., config_compatability: _Optional[_Union[ConfigCompatability, str]] = ..., restart_policy: _Optional[_Union[RestartPolicy, _Mapping]] = ..., startup_policy: _Optional[_Union[StartupPolicy, _Mapping]] = ..., default_logging_level: _Optional[_Union[_logging_pb2.Level, str]] = ..., node_reference_id: _Optional[str] = ..., instructions_timeout: _Optional[int] = ..., cpu_pin: _Optional[int] = ..., performance_mode: _Optional[bool] = ...) -> None: ...

class Kpi(_message.Message):
    __slots__ = ("id", "field", "error", "none_value", "unresolved", "string_value", "uint64_value", "int64_value", "uint32_value", "int32_value", "float64_value", "float32_value", "bool_value", "enum8_value")
    ID_FIELD_NUMBER: _ClassVar[int]
    FIELD_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    NONE_VALUE_FIELD_NUMBER: _ClassVar[int]
    UNRESOLVED_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    UINT64_VALUE_FIELD_NUMBER: _ClassVar[int]
    INT64_VALUE_FIELD_NUMBER: _ClassVar[int]
    UINT32_VALUE_FIELD_NUMBER: _ClassVar[int]
    INT32_VALUE_FIELD_NUMBER: _ClassVar[int]
    FLOAT64_VALUE_FIELD_NUMBER: _ClassVar[int]
    FLOAT32_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    ENUM8_VALUE_FIELD_NUMBER: _ClassVar[int]
    id: str
    field: str
    error: str
    none_value: bool
    unresolved: str
    string_value: str
    uint64_value: int
    int64_value: int
    uint32_value: int
    int32_value: int
    float64_value: float
    float32_value: float
    bool_value: bool
    enum8_value: int
    def __init__(self, id: _Optional[str] = ..., field: _Optional[str] = ..., error: _Optional[str] = ..., none_value: _Optional[bool] = ..., unresolved: _Optional[str] = ..., string_value: _Optional[str] = ..., uint64_value: _Optional[int] = ..., int64_value: _Optional[int] = ..., uint32_value: _Optional[int] = ..., int32_value: _Optional[int] = ..., float64_value: _Optional[float] = ..., float32_value: _Optional[float] = ..., bool_value: _Optional[bool] = ..., enum8_value: _Optional[int] = ...) -> None: ...

class TelemetrySample(_message.Message):
    __slots__ = ("metric_collections", "kpis", "timestamp")
    METRIC_COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    KPIS_FIELD_NUMBER: _ClassVar[int]
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    metric_collections: _containers.RepeatedCompositeFieldContainer[_metrics_pb2.Collection]
    kpis: _containers.RepeatedCompositeFieldContainer[Kpi]
    timestamp: _timestamp_pb2.Timestamp
    def __init__(self, metric_collections: _Optional[_Iterable[_Union[_metrics_pb2.Collection, _Mapping]]] = ..., kpis: _Optional[_Iterable[_Union[Kpi, _Mapping]]] = ..., timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
