from nanoping.api import hub_node_pb2 as _hub_node_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RefusalCode(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REFUSAL_CODE_UNSPECIFIED: _ClassVar[RefusalCode]
    REFUSAL_CODE_CREDENTIAL_REJECTED: _ClassVar[RefusalCode]
    REFUSAL_CODE_UNSUPPORTED_VERSION: _ClassVar[RefusalCode]
REFUSAL_CODE_UNSPECIFIED: RefusalCode
REFUSAL_CODE_CREDENTIAL_REJECTED: RefusalCode
REFUSAL_CODE_UNSUPPORTED_VERSION: RefusalCode

class Frame(_message.Message):
    __slots__ = ("hello", "welcome", "refusal", "ping", "pong", "goodbye", "node_update", "call_start", "call_message", "call_half_close", "call_end", "call_cancel", "call_credit", "call_headers")
    HELLO_FIELD_NUMBER: _ClassVar[int]
    WELCOME_FIELD_NUMBER: _ClassVar[int]
    REFUSAL_FIELD_NUMBER: _ClassVar[int]
    PING_FIELD_NUMBER: _ClassVar[int]
    PONG_FIELD_NUMBER: _ClassVar[int]
    GOODBYE_FIELD_NUMBER: _ClassVar[int]
    NODE_UPDATE_FIELD_NUMBER: _ClassVar[int]
    CALL_START_FIELD_NUMBER: _ClassVar[int]
    CALL_MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CALL_HALF_CLOSE_FIELD_NUMBER: _ClassVar[int]
    CALL_END_FIELD_NUMBER: _ClassVar[int]
    CALL_CANCEL_FIELD_NUMBER: _ClassVar[int]
    CALL_CREDIT_FIELD_NUMBER: _ClassVar[int]
    CALL_HEADERS_FIELD_NUMBER: _ClassVar[int]
    hello: Hello
    welcome: Welcome
    refusal: Refusal
    ping: Ping
    pong: Pong
    goodbye: Goodbye
    node_update: NodeUpdate
    call_start: CallStart
    call_message: CallMessage
    call_half_close: CallHalfClose
    call_end: CallEnd
    call_cancel: CallCancel
    call_credit: CallCredit
    call_headers: CallHeaders
    def __init__(self, hello: _Optional[_Union[Hello, _Mapping]] = ..., welcome: _Optional[_Union[Welcome, _Mapping]] = ..., refusal: _Optional[_Union[Refusal, _Mapping]] = ..., ping: _Optional[_Union[Ping, _Mapping]] = ..., pong: _Optional[_Union[Pong, _Mapping]] = ..., goodbye: _Optional[_Union[Goodbye, _Mapping]] = ..., node_update: _Optional[_Union[NodeUpdate, _Mapping]] = ..., call_start: _Optional[_Union[CallStart, _Mapping]] = ..., call_message: _Optional[_Union[CallMessage, _Mapping]] = ..., call_half_close: _Optional[_Union[CallHalfClose, _Mapping]] = ..., call_end: _Optional[_Union[CallEnd, _Mapping]] = ..., call_cancel: _Optional[_Union[CallCancel, _Mapping]] = ..., call_credit: _Optional[_Union[CallCredit, _Mapping]] = ..., call_headers: _Optional[_Union[CallHeaders, _Mapping]] = ...) -> None: ...

class Hello(_message.Message):
    __slots__ = ("protocol_version", "credential", "node", "call_window", "max_message_size")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    CALL_WINDOW_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    credential: str
    node: _hub_node_pb2.Node
    call_window: int
    max_message_size: int
    def __init__(self, protocol_version: _Optional[int] = ..., credential: _Optional[str] = ..., node: _Optional[_Union[_hub_node_pb2.Node, _Mapping]] = ..., call_window: _Optional[int] = ..., max_message_size: _Optional[int] = ...) -> None: ...

class Welcome(_message.Message):
    __slots__ = ("hub_node_id", "call_window", "max_message_size")
    HUB_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    CALL_WINDOW_FIELD_NUMBER: _ClassVar[int]
    MAX_MESSAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    hub_node_id: str
    call_window: int
    max_message_size: int
    def __init__(self, hub_node_id: _Optional[str] = ..., call_window: _Optional[int] = ..., max_message_size: _Optional[int] = ...) -> None: ...

class Refusal(_message.Message):
    __slots__ = ("code", "reason")
    CODE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    code: RefusalCode
    reason: str
    def __init__(self, code: _Optional[_Union[RefusalCode, str]] = ..., reason: _Optional[str] = ...) -> None: ...

class Ping(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class Pong(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: int
    def __init__(self, id: _Optional[int] = ...) -> None: ...

class Goodbye(_message.Message):
    __slots__ = ("reason",)
    REASON_FIELD_NUMBER: _ClassVar[int]
    reason: str
    def __init__(self, reason: _Optional[str] = ...) -> None: ...

class NodeUpdate(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: _hub_node_pb2.Node
    def __init__(self, node: _Optional[_Union[_hub_node_pb2.Node, _Mapping]] = ...) -> None: ...

class CallStart(_message.Message):
    __slots__ = ("call_id", "method", "target_node_id", "timeout_ms")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    TARGET_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    TIMEOUT_MS_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    method: str
    target_node_id: str
    timeout_ms: int
    def __init__(self, call_id: _Optional[int] = ..., method: _Optional[str] = ..., target_node_id: _Optional[str] = ..., timeout_ms: _Optional[int] = ...) -> None: ...

class CallMessage(_message.Message):
    __slots__ = ("call_id", "data")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    data: bytes
    def __init__(self, call_id: _Optional[int] = ..., data: _Optional[bytes] = ...) -> None: ...

class CallHalfClose(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    def __init__(self, call_id: _Optional[int] = ...) -> None: ...

class CallEnd(_message.Message):
    __slots__ = ("call_id", "code", "message")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    code: int
    message: str
    def __init__(self, call_id: _Optional[int] = ..., code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...

class CallCancel(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    def __init__(self, call_id: _Optional[int] = ...) -> None: ...

class CallCredit(_message.Message):
    __slots__ = ("call_id", "messages")
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    messages: int
    def __init__(self, call_id: _Optional[int] = ..., messages: _Optional[int] = ...) -> None: ...

class CallHeaders(_message.Message):
    __slots__ = ("call_id",)
    CALL_ID_FIELD_NUMBER: _ClassVar[int]
    call_id: int
    def __init__(self, call_id: _Optional[int] = ...) -> None: ...
