"""Calls one API method and prints the answer as JSON: run inside a namespace by the tests.

Usage: python -m nanoping.testing.api_call HOST:PORT /package.Service/method '{"request": "json"}'
"""

from __future__ import annotations

import sys

import grpc
from google.protobuf import json_format

from nanoping.service.method_table import MethodTable


def main() -> None:
    address, path, body = sys.argv[1:4]
    method = MethodTable.build({})[path]
    request = json_format.Parse(body, method.request_type())
    with grpc.insecure_channel(address) as channel:
        call = channel.unary_unary(
            path,
            request_serializer=lambda message: message.SerializeToString(),
            response_deserializer=method.response_type.FromString,
        )
        try:
            response = call(request, timeout=60)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)
            sys.exit(1)
    print(json_format.MessageToJson(response, preserving_proto_field_name=True))


if __name__ == "__main__":
    main()
