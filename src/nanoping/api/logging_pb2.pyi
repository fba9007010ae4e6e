import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Level(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STATE: _ClassVar[Level]
    DEBUG: _ClassVar[Level]
    INFO: _ClassVar[Level]
    WARNING: _ClassVar[Level]
    ERROR: _ClassVar[Level]
    FATAL: _ClassVar[Level]
STATE: Level
DEBUG: Level
INFO: Level
WARNING: Level
ERROR: Level
FATAL: Level

class Options(_message.Message):
    __slots__ = ("lines",)
    LINES_FIELD_NUMBER: _ClassVar[int]
    lines: int
    def __init__(self, lines: _Optional[int] = ...) -> None: ...

class OpenLogStreamRequest(_message.Message):
    __slots__ = ("node_id", "options", "app_log_stream_request", "pipeline_run_log_stream_request", "network_log_stream_request", "network_instance_log_stream_request")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    APP_LOG_STREAM_REQUEST_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_RUN_LOG_STREAM_REQUEST_FIELD_NUMBER: _ClassVar[int]
    NETWORK_LOG_STREAM_REQUEST_FIELD_NUMBER: _ClassVar[int]
    NETWORK_INSTANCE_LOG_STREAM_REQUEST_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    options: Options
    app_log_stream_request: OpenAppLogStreamRequest
    pipeline_run_log_stream_request: OpenPipelineRunLogStreamRequest
    network_log_stream_request: OpenNetworkLogStreamRequest
    network_instance_log_stream_request: OpenNetworkInstanceLogStreamRequest
    def __init__(self, node_id: _Optional[str] = ..., options: _Optional[_Union[Options, _Mapping]] = ..., app_log_stream_request: _Optional[_Union[OpenAppLogStreamRequest, _Mapping]] = ..., pipeline_run_log_stream_request: _Optional[_Union[OpenPipelineRunLogStreamRequest, _Mapping]] = ..., network_log_stream_request: _Optional[_Union[OpenNetworkLogStreamRequest, _Mapping]] = ..., network_instance_log_stream_request: _Optional[_Union[OpenNetworkInstanceLogStreamRequest, _Mapping]] = ...) -> None: ...

class OpenAppLogStreamRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class OpenPipelineRunLogStreamRequest(_message.Message):
    __slots__ = ("pipeline_run_id",)
    PIPELINE_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    pipeline_run_id: str
    def __init__(self, pipeline_run_id: _Optional[str] = ...) -> None: ...

class OpenNetworkLogStreamRequest(_message.Message):
    __slots__ = ("network_id",)
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    network_id: str
    def __init__(self, network_id: _Optional[str] = ...) -> None: ...

class OpenNetworkInstanceLogStreamRequest(_message.Message):
    __slots__ = ("network_instance_id",)
    NETWORK_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    network_instance_id: str
    def __init__(self, network_instance_id: _Optional[str] = ...) -> None: ...

class Message(_message.Message):
    __slots__ = ("timestamp", "level", "message", "data")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    LEVEL_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    timestamp: _timestamp_pb2.Timestamp
    level: Level
    message: str
    data: str
    def __init__(self, timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., level: _Optional[_Union[Level, str]] = ..., message: _Optional[str] = ..., data: _Optional[str] = ...) -> None: ...

class Messages(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[Message]
    def __init__(self, messages: _Optional[_Iterable[_Union[Message, _Mapping]]] = ...) -> None: ...

class DownloadLogFileRequest(_message.Message):
    __slots__ = ("node_id", "app_log_file_request", "pipeline_run_log_file_request", "network_log_file_request", "network_instance_log_file_request")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    APP_LOG_FILE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_RUN_LOG_FILE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    NETWORK_LOG_FILE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    NETWORK_INSTANCE_LOG_FILE_REQUEST_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    app_log_file_request: DownloadAppLogFileRequest
    pipeline_run_log_file_request: DownloadPipelineRunLogFileRequest
    network_log_file_request: DownloadNetworkLogFileRequest
    network_instance_log_file_request: DownloadNetworkInstanceLogFileRequest
    def __init__(self, node_id: _Optional[str] = ..., app_log_file_request: _Optional[_Union[DownloadAppLogFileRequest, _Mapping]] = ..., pipeline_run_log_file_request: _Optional[_Union[DownloadPipelineRunLogFileRequest, _Mapping]] = ..., network_log_file_request: _Optional[_Union[DownloadNetworkLogFileRequest, _Mapping]] = ..., network_instance_log_file_request: _Optional[_Union[DownloadNetworkInstanceLogFileRequest, _Mapping]] = ...) -> None: ...

class DownloadAppLogFileRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DownloadPipelineRunLogFileRequest(_message.Message):
    __slots__ = ("pipeline_run_id",)
    PIPELINE_RUN_ID_FIELD_NUMBER: _ClassVar[int]
    pipeline_run_id: str
    def __init__(self, pipeline_run_id: _Optional[str] = ...) -> None: ...

class DownloadNetworkLogFileRequest(_message.Message):
    __slots__ = ("network_id",)
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    network_id: str
    def __init__(self, network_id: _Optional[str] = ...) -> None: ...

class DownloadNetworkInstanceLogFileRequest(_message.Message):
    __slots__ = ("network_instance_id",)
    NETWORK_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    network_instance_id: str
    def __init__(self, network_instance_id: _Optional[str] = ...) -> None: ...

class DownloadLogFileChunk(_message.Message):
    __slots__ = ("error", "file_chunk")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    FILE_CHUNK_FIELD_NUMBER: _ClassVar[int]
    error: str
    file_chunk: LogFileChunk
    def __init__(self, error: _Optional[str] = ..., file_chunk: _Optional[_Union[LogFileChunk, _Mapping]] = ...) -> None: ...

class LogFileChunk(_message.Message):
    __slots__ = ("content",)
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    content: bytes
    def __init__(self, content: _Optional[bytes] = ...) -> None: ...
