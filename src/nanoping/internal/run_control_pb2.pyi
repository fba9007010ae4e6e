from nanoping.api import logging_pb2 as _logging_pb2
from nanoping.api import pipelines_pb2 as _pipelines_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Instruction(_message.Message):
    __slots__ = ("id", "start", "apply_config", "stop", "report")
    ID_FIELD_NUMBER: _ClassVar[int]
    START_FIELD_NUMBER: _ClassVar[int]
    APPLY_CONFIG_FIELD_NUMBER: _ClassVar[int]
    STOP_FIELD_NUMBER: _ClassVar[int]
    REPORT_FIELD_NUMBER: _ClassVar[int]
    id: int
    start: StartRun
    apply_config: ApplyConfig
    stop: StopRun
    report: Report
    def __init__(self, id: _Optional[int] = ..., start: _Optional[_Union[StartRun, _Mapping]] = ..., apply_config: _Optional[_Union[ApplyConfig, _Mapping]] = ..., stop: _Optional[_Union[StopRun, _Mapping]] = ..., report: _Optional[_Union[Report, _Mapping]] = ...) -> None: ...

class StartRun(_message.Message):
    __slots__ = ("run_id", "pipeline_id", "json_config", "log_level")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    JSON_CONFIG_FIELD_NUMBER: _ClassVar[int]
    LOG_LEVEL_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    pipeline_id: str
    json_config: str
    log_level: _logging_pb2.Level
    def __init__(self, run_id: _Optional[str] = ..., pipeline_id: _Optional[str] = ..., json_config: _Optional[str] = ..., log_level: _Optional[_Union[_logging_pb2.Level, str]] = ...) -> None: ...

class ApplyConfig(_message.Message):
    __slots__ = ("json_config", "log_level")
    JSON_CONFIG_FIELD_NUMBER: _ClassVar[int]
    LOG_LEVEL_FIELD_NUMBER: _ClassVar[int]
    json_config: str
    log_level: _logging_pb2.Level
    def __init__(self, json_config: _Optional[str] = ..., log_level: _Optional[_Union[_logging_pb2.Level, str]] = ...) -> None: ...

class StopRun(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class Report(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class RunMessage(_message.Message):
    __slots__ = ("reply", "ended")
    REPLY_FIELD_NUMBER: _ClassVar[int]
    ENDED_FIELD_NUMBER: _ClassVar[int]
    reply: Reply
    ended: RunEnded
    def __init__(self, reply: _Optional[_Union[Reply, _Mapping]] = ..., ended: _Optional[_Union[RunEnded, _Mapping]] = ...) -> None: ...

class Reply(_message.Message):
    __slots__ = ("instruction_id", "error", "sample")
    INSTRUCTION_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    instruction_id: int
    error: str
    sample: _pipelines_pb2.TelemetrySample
    def __init__(self, instruction_id: _Optional[int] = ..., error: _Optional[str] = ..., sample: _Optional[_Union[_pipelines_pb2.TelemetrySample, _Mapping]] = ...) -> None: ...

class RunEnded(_message.Message):
    __slots__ = ("exit_code", "reason", "final_sample", "cpu_seconds")
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    FINAL_SAMPLE_FIELD_NUMBER: _ClassVar[int]
    CPU_SECONDS_FIELD_NUMBER: _ClassVar[int]
    exit_code: int
    reason: str
    final_sample: _pipelines_pb2.TelemetrySample
    cpu_seconds: float
    def __init__(self, exit_code: _Optional[int] = ..., reason: _Optional[str] = ..., final_sample: _Optional[_Union[_pipelines_pb2.TelemetrySample, _Mapping]] = ..., cpu_seconds: _Optional[float] = ...) -> None: ...
