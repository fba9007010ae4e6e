import datetime

from nanoping.api import metrics_pb2 as _metrics_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OpenMetricsStreamRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class MetricsSample(_message.Message):
    __slots__ = ("timestamp", "collections")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    COLLECTIONS_FIELD_NUMBER: _ClassVar[int]
    timestamp: _timestamp_pb2.Timestamp
    collections: _containers.RepeatedCompositeFieldContainer[_metrics_pb2.Collection]
    def __init__(self, timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., collections: _Optional[_Iterable[_Union[_metrics_pb2.Collection, _Mapping]]] = ...) -> None: ...

class OpenFlowsStreamRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class FlowsSample(_message.Message):
    __slots__ = ("timestamp", "flows")
    TIMESTAMP_FIELD_NUMBER: _ClassVar[int]
    FLOWS_FIELD_NUMBER: _ClassVar[int]
    timestamp: _timestamp_pb2.Timestamp
    flows: _containers.RepeatedCompositeFieldContainer[Flow]
    def __init__(self, timestamp: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., flows: _Optional[_Iterable[_Union[Flow, _Mapping]]] = ...) -> None: ...

class Flow(_message.Message):
    __slots__ = ("interface", "protocol", "source_ip", "source_port", "destination_ip", "destination_port", "sent_bytes", "sent_packets", "received_bytes", "received_packets", "bits_per_second", "first_seen", "last_seen")
    INTERFACE_FIELD_NUMBER: _ClassVar[int]
    PROTOCOL_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IP_FIELD_NUMBER: _ClassVar[int]
    SOURCE_PORT_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_IP_FIELD_NUMBER: _ClassVar[int]
    DESTINATION_PORT_FIELD_NUMBER: _ClassVar[int]
    SENT_BYTES_FIELD_NUMBER: _ClassVar[int]
    SENT_PACKETS_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_BYTES_FIELD_NUMBER: _ClassVar[int]
    RECEIVED_PACKETS_FIELD_NUMBER: _ClassVar[int]
    BITS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    FIRST_SEEN_FIELD_NUMBER: _ClassVar[int]
    LAST_SEEN_FIELD_NUMBER: _ClassVar[int]
    interface: str
    protocol: str
    source_ip: str
    source_port: int
    destination_ip: str
    destination_port: int
    sent_bytes: int
    sent_packets: int
    received_bytes: int
    received_packets: int
    bits_per_second: int
    first_seen: _timestamp_pb2.Timestamp
    last_seen: _timestamp_pb2.Timestamp
    def __init__(self, interface: _Optional[str] = ..., protocol: _Optional[str] = ..., source_ip: _Optional[str] = ..., source_port: _Optional[int] = ..., destination_ip: _Optional[str] = ..., destination_port: _Optional[int] = ..., sent_bytes: _Optional[int] = ..., sent_packets: _Optional[int] = ..., received_bytes: _Optional[int] = ..., received_packets: _Optional[int] = ..., bits_per_second: _Optional[int] = ..., first_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., last_seen: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...
