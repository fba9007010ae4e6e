from nanoping.api import hub_node_pb2 as _hub_node_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GetNodesRequestMetadataFilter(_message.Message):
    __slots__ = ("key", "value")
    KEY_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    key: str
    value: _hub_node_pb2.NodeMetadataItem
    def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_hub_node_pb2.NodeMetadataItem, _Mapping]] = ...) -> None: ...

class GetNodesRequest(_message.Message):
    __slots__ = ("metadata_filters", "service_filters")
    class MetadataFiltersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: _hub_node_pb2.NodeMetadataItem
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[_hub_node_pb2.NodeMetadataItem, _Mapping]] = ...) -> None: ...
    METADATA_FILTERS_FIELD_NUMBER: _ClassVar[int]
    SERVICE_FILTERS_FIELD_NUMBER: _ClassVar[int]
    metadata_filters: _containers.MessageMap[str, _hub_node_pb2.NodeMetadataItem]
    service_filters: _containers.RepeatedScalarFieldContainer[_hub_node_pb2.NodeService]
    def __init__(self, metadata_filters: _Optional[_Mapping[str, _hub_node_pb2.NodeMetadataItem]] = ..., service_filters: _Optional[_Iterable[_Union[_hub_node_pb2.NodeService, str]]] = ...) -> None: ...

class GetNodesResponse(_message.Message):
    __slots__ = ("nodes",)
    NODES_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[_hub_node_pb2.Node]
    def __init__(self, nodes: _Optional[_Iterable[_Union[_hub_node_pb2.Node, _Mapping]]] = ...) -> None: ...

class RemoveNodeRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class RemoveNodeResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StreamNodesResponse(_message.Message):
    __slots__ = ("initialResponse", "updateResponse")
    INITIALRESPONSE_FIELD_NUMBER: _ClassVar[int]
    UPDATERESPONSE_FIELD_NUMBER: _ClassVar[int]
    initialResponse: StreamNodesInitialResponse
    updateResponse: StreamNodesUpdateResponse
    def __init__(self, initialResponse: _Optional[_Union[StreamNodesInitialResponse, _Mapping]] = ..., updateResponse: _Optional[_Union[StreamNodesUpdateResponse, _Mapping]] = ...) -> None: ...

class StreamNodesInitialResponse(_message.Message):
    __slots__ = ("nodes",)
    NODES_FIELD_NUMBER: _ClassVar[int]
    nodes: _containers.RepeatedCompositeFieldContainer[_hub_node_pb2.Node]
    def __init__(self, nodes: _Optional[_Iterable[_Union[_hub_node_pb2.Node, _Mapping]]] = ...) -> None: ...

class StreamNodesUpdateResponse(_message.Message):
    __slots__ = ("connectedNode", "disconnectedNode", "authenticatedNode", "deauthenticatedNode", "updatedMetadataNode", "updatedNameNode")
    CONNECTEDNODE_FIELD_NUMBER: _ClassVar[int]
    DISCONNECTEDNODE_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATEDNODE_FIELD_NUMBER: _ClassVar[int]
    DEAUTHENTICATEDNODE_FIELD_NUMBER: _ClassVar[int]
    UPDATEDMETADATANODE_FIELD_NUMBER: _ClassVar[int]
    UPDATEDNAMENODE_FIELD_NUMBER: _ClassVar[int]
    connectedNode: _hub_node_pb2.Node
    disconnectedNode: _hub_node_pb2.Node
    authenticatedNode: _hub_node_pb2.Node
    deauthenticatedNode: _hub_node_pb2.Node
    updatedMetadataNode: _hub_node_pb2.Node
    updatedNameNode: _hub_node_pb2.Node
    def __init__(self, connectedNode: _Optional[_Union[_hub_node_pb2.Node, _Mapping]] = ..., disconnectedNode: _Optional[_Union[_hub_node_pb2.Node, _Mapping]] = ..., authenticatedNode: _Optional[_Union[_hub_node_pb2.Node, _Mapping]] = ..., deauthenticatedNode: _Optional[_Union[_hub_node_pb2.Node, _Mapping]] = ..., updatedMetadataNode: _Optional[_Union[_hub_node_pb2.Node, _Mapping]] = ..., updatedNameNode: _Optional[_Union[_hub_node_pb2.Node, _Mapping]] = ...) -> None: ...

class AuthenticationByRequestAnswer(_message.Message):
    __slots__ = ("request_id", "accept")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    ACCEPT_FIELD_NUMBER: _ClassVar[int]
    request_id: int
    accept: bool
    def __init__(self, request_id: _Optional[int] = ..., accept: _Optional[bool] = ...) -> None: ...

class AuthenticationByRequestRequest(_message.Message):
    __slots__ = ("node", "request_id")
    NODE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    node: _hub_node_pb2.Node
    request_id: int
    def __init__(self, node: _Optional[_Union[_hub_node_pb2.Node, _Mapping]] = ..., request_id: _Optional[int] = ...) -> None: ...
