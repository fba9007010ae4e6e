from nanoping.api import hub_node_pb2 as _hub_node_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JoinRequest(_message.Message):
    __slots__ = ("protocol_version", "node")
    PROTOCOL_VERSION_FIELD_NUMBER: _ClassVar[int]
    NODE_FIELD_NUMBER: _ClassVar[int]
    protocol_version: int
    node: _hub_node_pb2.Node
    def __init__(self, protocol_version: _Optional[int] = ..., node: _Optional[_Union[_hub_node_pb2.Node, _Mapping]] = ...) -> None: ...

class JoinAnswer(_message.Message):
    __slots__ = ("accepted", "declined")
    ACCEPTED_FIELD_NUMBER: _ClassVar[int]
    DECLINED_FIELD_NUMBER: _ClassVar[int]
    accepted: JoinAccepted
    declined: JoinDeclined
    def __init__(self, accepted: _Optional[_Union[JoinAccepted, _Mapping]] = ..., declined: _Optional[_Union[JoinDeclined, _Mapping]] = ...) -> None: ...

class JoinAccepted(_message.Message):
    __slots__ = ("credential", "hub_node_id")
    CREDENTIAL_FIELD_NUMBER: _ClassVar[int]
    HUB_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    credential: str
    hub_node_id: str
    def __init__(self, credential: _Optional[str] = ..., hub_node_id: _Optional[str] = ...) -> None: ...

class JoinDeclined(_message.Message):
    __slots__ = ("status_code", "message")
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    status_code: int
    message: str
    def __init__(self, status_code: _Optional[int] = ..., message: _Optional[str] = ...) -> None: ...
