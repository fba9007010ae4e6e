from nanoping.api import hub_node_pb2 as _hub_node_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ConnectionState(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    UNAUTHENTICATED: _ClassVar[ConnectionState]
    DISCONNECTED: _ClassVar[ConnectionState]
    CONNECTED: _ClassVar[ConnectionState]
UNAUTHENTICATED: ConnectionState
DISCONNECTED: ConnectionState
CONNECTED: ConnectionState

class GetLocalNodeIdRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetLocalNodeIdResponse(_message.Message):
    __slots__ = ("node_id", "is_authenticated")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    IS_AUTHENTICATED_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    is_authenticated: bool
    def __init__(self, node_id: _Optional[str] = ..., is_authenticated: _Optional[bool] = ...) -> None: ...

class GetNodeRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class GetNodeResponse(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: _hub_node_pb2.Node
    def __init__(self, node: _Optional[_Union[_hub_node_pb2.Node, _Mapping]] = ...) -> None: ...

class SetNodeRequest(_message.Message):
    __slots__ = ("node_id", "name", "metadata")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    name: str
    metadata: _hub_node_pb2.NodeMetadata
    def __init__(self, node_id: _Optional[str] = ..., name: _Optional[str] = ..., metadata: _Optional[_Union[_hub_node_pb2.NodeMetadata, _Mapping]] = ...) -> None: ...

class SetNodeResponse(_message.Message):
    __slots__ = ("node",)
    NODE_FIELD_NUMBER: _ClassVar[int]
    node: _hub_node_pb2.Node
    def __init__(self, node: _Optional[_Union[_hub_node_pb2.Node, _Mapping]] = ...) -> None: ...

class AuthenticateByRequestRequest(_message.Message):
    __slots__ = ("hub_server_address",)
    HUB_SERVER_ADDRESS_FIELD_NUMBER: _ClassVar[int]
    hub_server_address: str
    def __init__(self, hub_server_address: _Optional[str] = ...) -> None: ...

class AuthenticateByRequestResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DisconnectRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class DisconnectResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StreamConnectionStateRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StreamConnectionStateResponse(_message.Message):
    __slots__ = ("state",)
    STATE_FIELD_NUMBER: _ClassVar[int]
    state: ConnectionState
    def __init__(self, state: _Optional[_Union[ConnectionState, str]] = ...) -> None: ...
