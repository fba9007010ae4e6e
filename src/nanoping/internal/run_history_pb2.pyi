from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetPipelineRunsRequest(_message.Message):
    __slots__ = ("node_id", "pipeline_id")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    pipeline_id: str
    def __init__(self, node_id: _Optional[str] = ..., pipeline_id: _Optional[str] = ...) -> None: ...

class PipelineRun(_message.Message):
    __slots__ = ("run_id", "started_at", "ended_at", "exit_code", "reason")
    RUN_ID_FIELD_NUMBER: _ClassVar[int]
    STARTED_AT_FIELD_NUMBER: _ClassVar[int]
    ENDED_AT_FIELD_NUMBER: _ClassVar[int]
    EXIT_CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    run_id: str
    started_at: float
    ended_at: float
    exit_code: int
    reason: str
    def __init__(self, run_id: _Optional[str] = ..., started_at: _Optional[float] = ..., ended_at: _Optional[float] = ..., exit_code: _Optional[int] = ..., reason: _Optional[str] = ...) -> None: ...

class GetPipelineRunsResponse(_message.Message):
    __slots__ = ("runs",)
    RUNS_FIELD_NUMBER: _ClassVar[int]
    runs: _containers.RepeatedCompositeFieldContainer[PipelineRun]
    def __init__(self, runs: _Optional[_Iterable[_Union[PipelineRun, _Mapping]]] = ...) -> None: ...
