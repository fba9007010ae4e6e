from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NodeService(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HUB_SERVER: _ClassVar[NodeService]
    RESOURCES: _ClassVar[NodeService]
    LOGGING: _ClassVar[NodeService]
    PIPELINES: _ClassVar[NodeService]
HUB_SERVER: NodeService
RESOURCES: NodeService
LOGGING: NodeService
PIPELINES: NodeService

class NodeMetadataItem(_message.Message):
    __slots__ = ("bytes_value", "string_value", "int_value", "uint_value", "double_value", "float_value", "bool_value")
    BYTES_VALUE_FIELD_NUMBER: _ClassVar[int]
    STRING_VALUE_FIELD_NUMBER: _ClassVar[int]
    INT_VALUE_FIELD_NUMBER: _ClassVar[int]
    UINT_VALUE_FIELD_NUMBER: _ClassVar[int]
    DOUBLE_VALUE_FIELD_NUMBER: _ClassVar[int]
    FLOAT_VALUE_FIELD_NUMBER: _ClassVar[int]
    BOOL_VALUE_FIELD_NUMBER: _ClassVar[int]
    bytes_value: bytes
    string_value: str
    int_value: int
    uint_value: int
    double_value: float
    float_value: float
    bool_value: bool
    def __init__(self, bytes_value: _Optional[bytes] = ..., string_value: _Optional[str] = ..., int_value: _Optional[int] = ..., uint_value: _Optional[int] = ..., double_value: _Optional[float] = ..., float_value: _Optional[float] = ..., bool_value: _Optional[bool] = ...) -> None: ...

class NodeMetadata(_message.Message):
    __slots__ = ("items",)
    class ItemsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: NodeMetadataItem
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[NodeMetadataItem, _Mapping]] = ...) -> None: ...
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    items: _containers.MessageMap[str, NodeMetadataItem]
    def __init__(self, items: _Optional[_Mapping[str, NodeMetadataItem]] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ("id", "name", "online", "services", "metadata")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ONLINE_FIELD_NUMBER: _ClassVar[int]
    SERVICES_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    online: bool
    services: _containers.RepeatedScalarFieldContainer[NodeService]
    metadata: NodeMetadata
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., online: _Optional[bool] = ..., services: _Optional[_Iterable[_Union[NodeService, str]]] = ..., metadata: _Optional[_Union[NodeMetadata, _Mapping]] = ...) -> None: ...
