from nanoping.api import logging_pb2 as _logging_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NodeType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    NODE_TYPE_CLIENT: _ClassVar[NodeType]
    NODE_TYPE_RELAY: _ClassVar[NodeType]
NODE_TYPE_CLIENT: NodeType
NODE_TYPE_RELAY: NodeType

class Network(_message.Message):
    __slots__ = ("name", "subnet_cidr", "blueprints", "parameters", "relay_node_id", "nodes")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SUBNET_CIDR_FIELD_NUMBER: _ClassVar[int]
    BLUEPRINTS_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    RELAY_NODE_ID_FIELD_NUMBER: _ClassVar[int]
    NODES_FIELD_NUMBER: _ClassVar[int]
    name: str
    subnet_cidr: str
    blueprints: NetworkBlueprints
    parameters: str
    relay_node_id: str
    nodes: _containers.RepeatedCompositeFieldContainer[Node]
    def __init__(self, name: _Optional[str] = ..., subnet_cidr: _Optional[str] = ..., blueprints: _Optional[_Union[NetworkBlueprints, _Mapping]] = ..., parameters: _Optional[str] = ..., relay_node_id: _Optional[str] = ..., nodes: _Optional[_Iterable[_Union[Node, _Mapping]]] = ...) -> None: ...

class NetworkBlueprints(_message.Message):
    __slots__ = ("relay_blueprint", "relay_client_blueprint", "client_blueprint")
    RELAY_BLUEPRINT_FIELD_NUMBER: _ClassVar[int]
    RELAY_CLIENT_BLUEPRINT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_BLUEPRINT_FIELD_NUMBER: _ClassVar[int]
    relay_blueprint: str
    relay_client_blueprint: str
    client_blueprint: str
    def __init__(self, relay_blueprint: _Optional[str] = ..., relay_client_blueprint: _Optional[str] = ..., client_blueprint: _Optional[str] = ...) -> None: ...

class Node(_message.Message):
    __slots__ = ("node_id", "node_ip", "carriers", "type", "parameters")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    NODE_IP_FIELD_NUMBER: _ClassVar[int]
    CARRIERS_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    PARAMETERS_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    node_ip: str
    carriers: _containers.RepeatedCompositeFieldContainer[Carrier]
    type: NodeType
    parameters: str
    def __init__(self, node_id: _Optional[str] = ..., node_ip: _Optional[str] = ..., carriers: _Optional[_Iterable[_Union[Carrier, _Mapping]]] = ..., type: _Optional[_Union[NodeType, str]] = ..., parameters: _Optional[str] = ...) -> None: ...

class Carrier(_message.Message):
    __slots__ = ("address", "interface", "bandwidth_priority")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    BANDWIDTH_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    address: Address
    interface: str
    bandwidth_priority: int
    def __init__(self, address: _Optional[_Union[Address, _Mapping]] = ..., interface: _Optional[str] = ..., bandwidth_priority: _Optional[int] = ...) -> None: ...

class Address(_message.Message):
    __slots__ = ("ip", "port", "external_ip")
    IP_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_IP_FIELD_NUMBER: _ClassVar[int]
    ip: str
    port: int
    external_ip: str
    def __init__(self, ip: _Optional[str] = ..., port: _Optional[int] = ..., external_ip: _Optional[str] = ...) -> None: ...

class GetNetworkRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetNetworkResponse(_message.Message):
    __slots__ = ("id", "network")
    ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    id: str
    network: Network
    def __init__(self, id: _Optional[str] = ..., network: _Optional[_Union[Network, _Mapping]] = ...) -> None: ...

class GetNetworksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetNetworksResponse(_message.Message):
    __slots__ = ("networks",)
    NETWORKS_FIELD_NUMBER: _ClassVar[int]
    networks: _containers.RepeatedCompositeFieldContainer[GetNetworkResponse]
    def __init__(self, networks: _Optional[_Iterable[_Union[GetNetworkResponse, _Mapping]]] = ...) -> None: ...

class CreateNetworkRequest(_message.Message):
    __slots__ = ("network",)
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    network: Network
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ...) -> None: ...

class CreateNetworkResponse(_message.Message):
    __slots__ = ("id", "network")
    ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    id: str
    network: Network
    def __init__(self, id: _Optional[str] = ..., network: _Optional[_Union[Network, _Mapping]] = ...) -> None: ...

class UpdateNetworkRequest(_message.Message):
    __slots__ = ("id", "network")
    ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    id: str
    network: Network
    def __init__(self, id: _Optional[str] = ..., network: _Optional[_Union[Network, _Mapping]] = ...) -> None: ...

class UpdateNetworkResponse(_message.Message):
    __slots__ = ("id", "network")
    ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    id: str
    network: Network
    def __init__(self, id: _Optional[str] = ..., network: _Optional[_Union[Network, _Mapping]] = ...) -> None: ...

class DeleteNetworkRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteNetworkResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StreamNetworksRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class StreamNetworksCreateEvent(_message.Message):
    __slots__ = ("network",)
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    network: Network
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ...) -> None: ...

class StreamNetworksUpdateEvent(_message.Message):
    __slots__ = ("network",)
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    network: Network
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ...) -> None: ...

class StreamNetworksDeleteEvent(_message.Message):
    __slots__ = ("network",)
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    network: Network
    def __init__(self, network: _Optional[_Union[Network, _Mapping]] = ...) -> None: ...

class StreamNetworksEvent(_message.Message):
    __slots__ = ("create", "update", "delete")
    CREATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    create: StreamNetworksCreateEvent
    update: StreamNetworksUpdateEvent
    delete: StreamNetworksDeleteEvent
    def __init__(self, create: _Optional[_Union[StreamNetworksCreateEvent, _Mapping]] = ..., update: _Optional[_Union[StreamNetworksUpdateEvent, _Mapping]] = ..., delete: _Optional[_Union[StreamNetworksDeleteEvent, _Mapping]] = ...) -> None: ...

class OpenNetworkLogStreamRequest(_message.Message):
    __slots__ = ("network_id", "options")
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    network_id: str
    options: _logging_pb2.Options
    def __init__(self, network_id: _Optional[str] = ..., options: _Optional[_Union[_logging_pb2.Options, _Mapping]] = ...) -> None: ...

class NetworkLogStreamMessages(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_logging_pb2.Message]
    def __init__(self, messages: _Optional[_Iterable[_Union[_logging_pb2.Message, _Mapping]]] = ...) -> None: ...
