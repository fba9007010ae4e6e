from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class DefaultNetworkCarriers(_message.Message):
    __slots__ = ("carriers",)
    CARRIERS_FIELD_NUMBER: _ClassVar[int]
    carriers: _containers.RepeatedCompositeFieldContainer[DefaultNetworkCarrier]
    def __init__(self, carriers: _Optional[_Iterable[_Union[DefaultNetworkCarrier, _Mapping]]] = ...) -> None: ...

class DefaultNetworkCarrier(_message.Message):
    __slots__ = ("address", "interface", "bandwidth_priority")
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    BANDWIDTH_PRIORITY_FIELD_NUMBER: _ClassVar[int]
    address: DefaultNetworkCarrierAddress
    interface: str
    bandwidth_priority: int
    def __init__(self, address: _Optional[_Union[DefaultNetworkCarrierAddress, _Mapping]] = ..., interface: _Optional[str] = ..., bandwidth_priority: _Optional[int] = ...) -> None: ...

class DefaultNetworkCarrierAddress(_message.Message):
    __slots__ = ("ip", "port", "external_ip")
    IP_FIELD_NUMBER: _ClassVar[int]
    PORT_FIELD_NUMBER: _ClassVar[int]
    EXTERNAL_IP_FIELD_NUMBER: _ClassVar[int]
    ip: str
    port: int
    external_ip: str
    def __init__(self, ip: _Optional[str] = ..., port: _Optional[int] = ..., external_ip: _Optional[str] = ...) -> None: ...

class GetDefaultNetworkCarriersRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class GetDefaultNetworkCarriersResponse(_message.Message):
    __slots__ = ("carriers",)
    CARRIERS_FIELD_NUMBER: _ClassVar[int]
    carriers: _containers.RepeatedCompositeFieldContainer[DefaultNetworkCarrier]
    def __init__(self, carriers: _Optional[_Iterable[_Union[DefaultNetworkCarrier, _Mapping]]] = ...) -> None: ...

class SetDefaultNetworkCarriersRequest(_message.Message):
    __slots__ = ("node_id", "carriers")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    CARRIERS_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    carriers: DefaultNetworkCarriers
    def __init__(self, node_id: _Optional[str] = ..., carriers: _Optional[_Union[DefaultNetworkCarriers, _Mapping]] = ...) -> None: ...

class SetDefaultNetworkCarriersResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
