from nanoping.api import logging_pb2 as _logging_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class NetworkInstance(_message.Message):
    __slots__ = ("id", "network_id", "network_name", "pipeline_ids")
    ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_NAME_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_IDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    network_id: str
    network_name: str
    pipeline_ids: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., network_id: _Optional[str] = ..., network_name: _Optional[str] = ..., pipeline_ids: _Optional[_Iterable[str]] = ...) -> None: ...

class NetworkPipeline(_message.Message):
    __slots__ = ("id", "network_id", "instance_id", "blueprint_id", "pipeline_id", "pipeline_name", "enabled")
    ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    BLUEPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    PIPELINE_NAME_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    id: str
    network_id: str
    instance_id: str
    blueprint_id: str
    pipeline_id: str
    pipeline_name: str
    enabled: bool
    def __init__(self, id: _Optional[str] = ..., network_id: _Optional[str] = ..., instance_id: _Optional[str] = ..., blueprint_id: _Optional[str] = ..., pipeline_id: _Optional[str] = ..., pipeline_name: _Optional[str] = ..., enabled: _Optional[bool] = ...) -> None: ...

class GetNetworkInstancesRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class GetNetworkInstancesResponse(_message.Message):
    __slots__ = ("network_instances",)
    NETWORK_INSTANCES_FIELD_NUMBER: _ClassVar[int]
    network_instances: _containers.RepeatedCompositeFieldContainer[NetworkInstance]
    def __init__(self, network_instances: _Optional[_Iterable[_Union[NetworkInstance, _Mapping]]] = ...) -> None: ...

class GetNetworkPipelinesRequest(_message.Message):
    __slots__ = ("node_id", "optional_network_id", "optional_instance_id", "optional_blueprint_id")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONAL_NETWORK_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONAL_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONAL_BLUEPRINT_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    optional_network_id: str
    optional_instance_id: str
    optional_blueprint_id: str
    def __init__(self, node_id: _Optional[str] = ..., optional_network_id: _Optional[str] = ..., optional_instance_id: _Optional[str] = ..., optional_blueprint_id: _Optional[str] = ...) -> None: ...

class GetNetworkPipelinesResponse(_message.Message):
    __slots__ = ("network_pipelines",)
    NETWORK_PIPELINES_FIELD_NUMBER: _ClassVar[int]
    network_pipelines: _containers.RepeatedCompositeFieldContainer[NetworkPipeline]
    def __init__(self, network_pipelines: _Optional[_Iterable[_Union[NetworkPipeline, _Mapping]]] = ...) -> None: ...

class StreamNetworkPipelinesRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class StreamNetworkPipelineCreateEvent(_message.Message):
    __slots__ = ("network_pipeline",)
    NETWORK_PIPELINE_FIELD_NUMBER: _ClassVar[int]
    network_pipeline: NetworkPipeline
    def __init__(self, network_pipeline: _Optional[_Union[NetworkPipeline, _Mapping]] = ...) -> None: ...

class StreamNetworkPipelineUpdateEvent(_message.Message):
    __slots__ = ("network_pipeline",)
    NETWORK_PIPELINE_FIELD_NUMBER: _ClassVar[int]
    network_pipeline: NetworkPipeline
    def __init__(self, network_pipeline: _Optional[_Union[NetworkPipeline, _Mapping]] = ...) -> None: ...

class StreamNetworkPipelineDeleteEvent(_message.Message):
    __slots__ = ("network_pipeline",)
    NETWORK_PIPELINE_FIELD_NUMBER: _ClassVar[int]
    network_pipeline: NetworkPipeline
    def __init__(self, network_pipeline: _Optional[_Union[NetworkPipeline, _Mapping]] = ...) -> None: ...

class StreamNetworkPipelineEvent(_message.Message):
    __slots__ = ("create", "update", "delete")
    CREATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    create: StreamNetworkPipelineCreateEvent
    update: StreamNetworkPipelineUpdateEvent
    delete: StreamNetworkPipelineDeleteEvent
    def __init__(self, create: _Optional[_Union[StreamNetworkPipelineCreateEvent, _Mapping]] = ..., update: _Optional[_Union[StreamNetworkPipelineUpdateEvent, _Mapping]] = ..., delete: _Optional[_Union[StreamNetworkPipelineDeleteEvent, _Mapping]] = ...) -> None: ...

class StreamNetworkInstancesRequest(_message.Message):
    __slots__ = ("node_id",)
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    def __init__(self, node_id: _Optional[str] = ...) -> None: ...

class StreamNetworkInstanceCreateEvent(_message.Message):
    __slots__ = ("network_instance",)
    NETWORK_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    network_instance: NetworkInstance
    def __init__(self, network_instance: _Optional[_Union[NetworkInstance, _Mapping]] = ...) -> None: ...

class StreamNetworkInstanceUpdateEvent(_message.Message):
    __slots__ = ("network_instance",)
    NETWORK_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    network_instance: NetworkInstance
    def __init__(self, network_instance: _Optional[_Union[NetworkInstance, _Mapping]] = ...) -> None: ...

class StreamNetworkInstanceDeleteEvent(_message.Message):
    __slots__ = ("network_instance",)
    NETWORK_INSTANCE_FIELD_NUMBER: _ClassVar[int]
    network_instance: NetworkInstance
    def __init__(self, network_instance: _Optional[_Union[NetworkInstance, _Mapping]] = ...) -> None: ...

class StreamNetworkInstanceEvent(_message.Message):
    __slots__ = ("create", "update", "delete")
    CREATE_FIELD_NUMBER: _ClassVar[int]
    UPDATE_FIELD_NUMBER: _ClassVar[int]
    DELETE_FIELD_NUMBER: _ClassVar[int]
    create: StreamNetworkInstanceCreateEvent
    update: StreamNetworkInstanceUpdateEvent
    delete: StreamNetworkInstanceDeleteEvent
    def __init__(self, create: _Optional[_Union[StreamNetworkInstanceCreateEvent, _Mapping]] = ..., update: _Optional[_Union[StreamNetworkInstanceUpdateEvent, _Mapping]] = ..., delete: _Optional[_Union[StreamNetworkInstanceDeleteEvent, _Mapping]] = ...) -> None: ...

class ToggleNetworkPipelineRequest(_message.Message):
    __slots__ = ("node_id", "optional_pipeline_id", "optional_instance_pipeline_id")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONAL_PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONAL_INSTANCE_PIPELINE_ID_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    optional_pipeline_id: str
    optional_instance_pipeline_id: str
    def __init__(self, node_id: _Optional[str] = ..., optional_pipeline_id: _Optional[str] = ..., optional_instance_pipeline_id: _Optional[str] = ...) -> None: ...

class ToggleNetworkPipelineResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class OpenNetworkInstanceLogStreamRequest(_message.Message):
    __slots__ = ("node_id", "network_instance_id", "options")
    NODE_ID_FIELD_NUMBER: _ClassVar[int]
    NETWORK_INSTANCE_ID_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    node_id: str
    network_instance_id: str
    options: _logging_pb2.Options
    def __init__(self, node_id: _Optional[str] = ..., network_instance_id: _Optional[str] = ..., options: _Optional[_Union[_logging_pb2.Options, _Mapping]] = ...) -> None: ...

class NetworkInstanceLogStreamMessages(_message.Message):
    __slots__ = ("messages",)
    MESSAGES_FIELD_NUMBER: _ClassVar[int]
    messages: _containers.RepeatedCompositeFieldContainer[_logging_pb2.Message]
    def __init__(self, messages: _Optional[_Iterable[_Union[_logging_pb2.Message, _Mapping]]] = ...) -> None: ...
