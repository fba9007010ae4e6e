from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Blueprint(_message.Message):
    __slots__ = ("name", "template", "read_only")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    READ_ONLY_FIELD_NUMBER: _ClassVar[int]
    name: str
    template: str
    read_only: bool
    def __init__(self, name: _Optional[str] = ..., template: _Optional[str] = ..., read_only: _Optional[bool] = ...) -> None: ...

class BlueprintWrite(_message.Message):
    __slots__ = ("name", "template")
    NAME_FIELD_NUMBER: _ClassVar[int]
    TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    name: str
    template: str
    def __init__(self, name: _Optional[str] = ..., template: _Optional[str] = ...) -> None: ...

class GetBlueprintRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class GetBlueprintResponse(_message.Message):
    __slots__ = ("id", "blueprint")
    ID_FIELD_NUMBER: _ClassVar[int]
    BLUEPRINT_FIELD_NUMBER: _ClassVar[int]
    id: str
    blueprint: Blueprint
    def __init__(self, id: _Optional[str] = ..., blueprint: _Optional[_Union[Blueprint, _Mapping]] = ...) -> None: ...

class GetBlueprintsRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetBlueprintsResponse(_message.Message):
    __slots__ = ("blueprints",)
    BLUEPRINTS_FIELD_NUMBER: _ClassVar[int]
    blueprints: _containers.RepeatedCompositeFieldContainer[GetBlueprintResponse]
    def __init__(self, blueprints: _Optional[_Iterable[_Union[GetBlueprintResponse, _Mapping]]] = ...) -> None: ...

class CreateBlueprintRequest(_message.Message):
    __slots__ = ("blueprint",)
    BLUEPRINT_FIELD_NUMBER: _ClassVar[int]
    blueprint: BlueprintWrite
    def __init__(self, blueprint: _Optional[_Union[BlueprintWrite, _Mapping]] = ...) -> None: ...

class CreateBlueprintResponse(_message.Message):
    __slots__ = ("id", "blueprint")
    ID_FIELD_NUMBER: _ClassVar[int]
    BLUEPRINT_FIELD_NUMBER: _ClassVar[int]
    id: str
    blueprint: Blueprint
    def __init__(self, id: _Optional[str] = ..., blueprint: _Optional[_Union[Blueprint, _Mapping]] = ...) -> None: ...

class UpdateBlueprintRequest(_message.Message):
    __slots__ = ("id", "blueprint")
    ID_FIELD_NUMBER: _ClassVar[int]
    BLUEPRINT_FIELD_NUMBER: _ClassVar[int]
    id: str
    blueprint: BlueprintWrite
    def __init__(self, id: _Optional[str] = ..., blueprint: _Optional[_Union[BlueprintWrite, _Mapping]] = ...) -> None: ...

class UpdateBlueprintResponse(_message.Message):
    __slots__ = ("id", "blueprint")
    ID_FIELD_NUMBER: _ClassVar[int]
    BLUEPRINT_FIELD_NUMBER: _ClassVar[int]
    id: str
    blueprint: Blueprint
    def __init__(self, id: _Optional[str] = ..., blueprint: _Optional[_Union[Blueprint, _Mapping]] = ...) -> None: ...

class DeleteBlueprintRequest(_message.Message):
    __slots__ = ("id",)
    ID_FIELD_NUMBER: _ClassVar[int]
    id: str
    def __init__(self, id: _Optional[str] = ...) -> None: ...

class DeleteBlueprintResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
