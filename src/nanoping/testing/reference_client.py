"""A gRPC client built only from a compiled descriptor set (the public reference), not our code.

Tests use it to prove that what our node serves is what a program generated from the public API
definition expects: message classes come from a private descriptor pool filled from the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message


class ReferenceApi:
    """Message classes and method descriptors from a FileDescriptorSet file."""

    def __init__(self, descriptor_set: Path) -> None:
        files = descriptor_pb2.FileDescriptorSet.FromString(descriptor_set.read_bytes())
        self.pool = descriptor_pool.DescriptorPool()
        for file in files.file:
            self.pool.Add(file)
        self.file_names = [file.name for file in files.file]

    def message(self, full_name: str, **fields: Any) -> Message:
        """A new message of the given full type name."""
        cls = message_factory.GetMessageClass(self.pool.FindMessageTypeByName(full_name))
        return cls(**fields)

    def method(self, path: str) -> MethodDescriptor:
        """The method at a gRPC path like ``/nanopinggrpc.hub.HubClientService/getLocalNodeId``."""
        service, name = path.strip("/").split("/")
        return self.pool.FindServiceByName(service).methods_by_name[name]

    def methods(self) -> Iterator[MethodDescriptor]:
        for file_name in self.file_names:
            for service in self.pool.FindFileByName(file_name).services_by_name.values():
                yield from service.methods

    def request(self, path: str, **fields: Any) -> Message:
        return self.message(self.method(path).input_type.full_name, **fields)

    def call(
        self, channel: grpc.Channel, path: str, request: Message, timeout: float = 10.0
    ) -> Any:
        """A unary call; returns the response message (raises grpc.RpcError on failure)."""
        return self._unary(channel, path)(request, timeout=timeout)

    def stream(
        self, channel: grpc.Channel, path: str, request: Message, timeout: float | None = 10.0
    ) -> Any:
        """A server-streaming call; returns the response iterator (also a grpc.Call)."""
        method = self.method(path)
        output = message_factory.GetMessageClass(method.output_type)
        return channel.unary_stream(
            path, request_serializer=_serialize, response_deserializer=output.FromString
        )(request, timeout=timeout)

    def bidi(
        self, channel: grpc.Channel, path: str, requests: Iterator[Message], timeout: float = 10.0
    ) -> Any:
        """A bidirectional call fed from ``requests``; returns the response iterator."""
        method = self.method(path)
        output = message_factory.GetMessageClass(method.output_type)
        return channel.stream_stream(
            path, request_serializer=_serialize, response_deserializer=output.FromString
        )(requests, timeout=timeout)

    def _unary(self, channel: grpc.Channel, path: str) -> Any:
        method = self.method(path)
        output = message_factory.GetMessageClass(method.output_type)
        return channel.unary_unary(
            path, request_serializer=_serialize, response_deserializer=output.FromString
        )


def _serialize(message: Message) -> bytes:
    return message.SerializeToString()
