from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    GAUGE: _ClassVar[Kind]
    COUNTER: _ClassVar[Kind]
GAUGE: Kind
COUNTER: Kind

class UInt64Metric(_message.Message):
    __slots__ = ("value", "description", "kind", "unit", "min", "max")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    value: int
    description: str
    kind: Kind
    unit: str
    min: int
    max: int
    def __init__(self, value: _Optional[int] = ..., description: _Optional[str] = ..., kind: _Optional[_Union[Kind, str]] = ..., unit: _Optional[str] = ..., min: _Optional[int] = ..., max: _Optional[int] = ...) -> None: ...

class Int64Metric(_message.Message):
    __slots__ = ("value", "description", "kind", "unit", "min", "max")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    value: int
    description: str
    kind: Kind
    unit: str
    min: int
    max: int
    def __init__(self, value: _Optional[int] = ..., description: _Optional[str] = ..., kind: _Optional[_Union[Kind, str]] = ..., unit: _Optional[str] = ..., min: _Optional[int] = ..., max: _Optional[int] = ...) -> None: ...

class UInt32Metric(_message.Message):
    __slots__ = ("value", "description", "kind", "unit", "min", "max")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    value: int
    description: str
    kind: Kind
    unit: str
    min: int
    max: int
    def __init__(self, value: _Optional[int] = ..., description: _Optional[str] = ..., kind: _Optional[_Union[Kind, str]] = ..., unit: _Optional[str] = ..., min: _Optional[int] = ..., max: _Optional[int] = ...) -> None: ...

class Int32Metric(_message.Message):
    __slots__ = ("value", "description", "kind", "unit", "min", "max")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    value: int
    description: str
    kind: Kind
    unit: str
    min: int
    max: int
    def __init__(self, value: _Optional[int] = ..., description: _Optional[str] = ..., kind: _Optional[_Union[Kind, str]] = ..., unit: _Optional[str] = ..., min: _Optional[int] = ..., max: _Optional[int] = ...) -> None: ...

class Float64Metric(_message.Message):
    __slots__ = ("value", "description", "kind", "unit", "min", "max")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    value: float
    description: str
    kind: Kind
    unit: str
    min: float
    max: float
    def __init__(self, value: _Optional[float] = ..., description: _Optional[str] = ..., kind: _Optional[_Union[Kind, str]] = ..., unit: _Optional[str] = ..., min: _Optional[float] = ..., max: _Optional[float] = ...) -> None: ...

class Float32Metric(_message.Message):
    __slots__ = ("value", "description", "kind", "unit", "min", "max")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    MIN_FIELD_NUMBER: _ClassVar[int]
    MAX_FIELD_NUMBER: _ClassVar[int]
    value: float
    description: str
    kind: Kind
    unit: str
    min: float
    max: float
    def __init__(self, value: _Optional[float] = ..., description: _Optional[str] = ..., kind: _Optional[_Union[Kind, str]] = ..., unit: _Optional[str] = ..., min: _Optional[float] = ..., max: _Optional[float] = ...) -> None: ...

class BoolMetric(_message.Message):
    __slots__ = ("value", "description", "unit")
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    value: bool
    description: str
    unit: str
    def __init__(self, value: _Optional[bool] = ..., description: _Optional[str] = ..., unit: _Optional[str] = ...) -> None: ...

class Enum8Metric(_message.Message):
    __slots__ = ("value", "description", "values", "unit")
    class EnumValue(_message.Message):
        __slots__ = ("name", "description")
        NAME_FIELD_NUMBER: _ClassVar[int]
        DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
        name: str
        description: str
        def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ...) -> None: ...
    class ValuesEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: int
        value: Enum8Metric.EnumValue
        def __init__(self, key: _Optional[int] = ..., value: _Optional[_Union[Enum8Metric.EnumValue, _Mapping]] = ...) -> None: ...
    VALUE_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VALUES_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    value: int
    description: str
    values: _containers.MessageMap[int, Enum8Metric.EnumValue]
    unit: str
    def __init__(self, value: _Optional[int] = ..., description: _Optional[str] = ..., values: _Optional[_Mapping[int, Enum8Metric.EnumValue]] = ..., unit: _Optional[str] = ...) -> None: ...

class Constant(_message.Message):
    __slots__ = ("uint64", "int64", "float64", "boolean", "string", "description", "unit")
    UINT64_FIELD_NUMBER: _ClassVar[int]
    INT64_FIELD_NUMBER: _ClassVar[int]
    FLOAT64_FIELD_NUMBER: _ClassVar[int]
    BOOLEAN_FIELD_NUMBER: _ClassVar[int]
    STRING_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    UNIT_FIELD_NUMBER: _ClassVar[int]
    uint64: int
    int64: int
    float64: float
    boolean: bool
    string: str
    description: str
    unit: str
    def __init__(self, uint64: _Optional[int] = ..., int64: _Optional[int] = ..., float64: _Optional[float] = ..., boolean: _Optional[bool] = ..., string: _Optional[str] = ..., description: _Optional[str] = ..., unit: _Optional[str] = ...) -> None: ...

class Metric(_message.Message):
    __slots__ = ("constant", "uint64", "int64", "uint32", "int32", "float64", "float32", "boolean", "enum8")
    CONSTANT_FIELD_NUMBER: _ClassVar[int]
    UINT64_FIELD_NUMBER: _ClassVar[int]
    INT64_FIELD_NUMBER: _ClassVar[int]
    UINT32_FIELD_NUMBER: _ClassVar[int]
    INT32_FIELD_NUMBER: _ClassVar[int]
    FLOAT64_FIELD_NUMBER: _ClassVar[int]
    FLOAT32_FIELD_NUMBER: _ClassVar[int]
    BOOLEAN_FIELD_NUMBER: _ClassVar[int]
    ENUM8_FIELD_NUMBER: _ClassVar[int]
    constant: Constant
    uint64: UInt64Metric
    int64: Int64Metric
    uint32: UInt32Metric
    int32: Int32Metric
    float64: Float64Metric
    float32: Float32Metric
    boolean: BoolMetric
    enum8: Enum8Metric
    def __init__(self, constant: _Optional[_Union[Constant, _Mapping]] = ..., uint64: _Optional[_Union[UInt64Metric, _Mapping]] = ..., int64: _Optional[_Union[Int64Metric, _Mapping]] = ..., uint32: _Optional[_Union[UInt32Metric, _Mapping]] = ..., int32: _Optional[_Union[Int32Metric, _Mapping]] = ..., float64: _Optional[_Union[Float64Metric, _Mapping]] = ..., float32: _Optional[_Union[Float32Metric, _Mapping]] = ..., boolean: _Optional[_Union[BoolMetric, _Mapping]] = ..., enum8: _Optional[_Union[Enum8Metric, _Mapping]] = ...) -> None: ...

class Collection(_message.Message):
    __slots__ = ("path", "metrics")
    class MetricsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: Metric
        def __init__(self, key: _Optional[str] = ..., value: _Optional[_Union[Metric, _Mapping]] = ...) -> None: ...
    PATH_FIELD_NUMBER: _ClassVar[int]
    METRICS_FIELD_NUMBER: _ClassVar[int]
    path: str
    metrics: _containers.MessageMap[str, Metric]
    def __init__(self, path: _Optional[str] = ..., metrics: _Optional[_Mapping[str, Metric]] = ...) -> None: ...
