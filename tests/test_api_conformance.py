"""The public API protos must compile to descriptors wire-identical to the reference set.

tests/data/nanoping.fds is the compiled public NanoPing API (a FileDescriptorSet). Our own
protos live at proto/nanoping/api/<name>.proto, so the file names and import paths carry a
`nanoping/api/` prefix the reference lacks; that prefix is the only difference allowed.
`descriptor_differences` lists every other difference as `<path>: <what> <ours> != <reference>`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol, TypeVar

import grpc
import pytest
from google.protobuf import descriptor_pb2 as dpb
from google.protobuf import text_format
from google.protobuf.descriptor import Descriptor, FileDescriptor
from google.protobuf.message import Message

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_FDS = Path(__file__).parent / "data" / "nanoping.fds"
API_PROTO_DIR = REPO_ROOT / "proto" / "nanoping" / "api"
OUR_PREFIX = "nanoping/api/"
WELL_KNOWN_PREFIX = "google/protobuf/"

FieldProto = dpb.FieldDescriptorProto
Facts = dict[str, object]


class Named(Protocol):
    """Any descriptor proto: they all carry a name."""

    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=Named)


# ---------------------------------------------------------------------------------------------
# Loading both sides


def reference_files() -> list[dpb.FileDescriptorProto]:
    """The reference API files, without the bundled well-known types."""
    fds = dpb.FileDescriptorSet.FromString(REFERENCE_FDS.read_bytes())
    return [f for f in fds.file if not f.name.startswith(WELL_KNOWN_PREFIX)]


def api_modules() -> list[ModuleType]:
    """Our generated message modules, one per public API proto."""
    stems = sorted(path.stem for path in API_PROTO_DIR.glob("*.proto"))
    return [importlib.import_module(f"nanoping.api.{stem}_pb2") for stem in stems]


def our_files() -> list[dpb.FileDescriptorProto]:
    """Descriptors of our generated modules, renamed the way the reference names its files."""
    return [file_proto(module.DESCRIPTOR) for module in api_modules()]


def reference_name(name: str) -> str:
    """Our file name as the reference spells it; files outside nanoping/api/ stay visible."""
    if name.startswith(OUR_PREFIX):
        return name.removeprefix(OUR_PREFIX)
    if name.startswith(WELL_KNOWN_PREFIX):
        return name
    return f"(outside {OUR_PREFIX}) {name}"


def file_proto(descriptor: FileDescriptor) -> dpb.FileDescriptorProto:
    """A FileDescriptorProto of a loaded file with reference-style names and json_name set."""
    proto = dpb.FileDescriptorProto()
    descriptor.CopyToProto(proto)
    proto.name = reference_name(proto.name)
    dependencies = [reference_name(dep) for dep in proto.dependency]
    del proto.dependency[:]
    proto.dependency.extend(dependencies)
    for message in proto.message_type:
        fill_json_names(message, descriptor.message_types_by_name[message.name])
    return proto


def fill_json_names(proto: dpb.DescriptorProto, live: Descriptor) -> None:
    """Record each field's effective JSON name.

    protoc leaves json_name out of the descriptors it embeds in Python code unless the .proto
    sets it explicitly; the runtime derives it, and that derived name is what goes on the wire.
    """
    for field in proto.field:
        field.json_name = live.fields_by_name[field.name].json_name
    for nested in proto.nested_type:
        fill_json_names(nested, live.nested_types_by_name[nested.name])


# ---------------------------------------------------------------------------------------------
# Comparison


def descriptor_differences(
    ours: Sequence[dpb.FileDescriptorProto], reference: Sequence[dpb.FileDescriptorProto]
) -> list[str]:
    """Every wire-relevant difference between two sets of files, as `path: what ours != ref`."""
    return compare_named("", "file", ours, reference, compare_file, ordered=False)


def compare_named(
    path: str,
    kind: str,
    ours: Sequence[N],
    reference: Sequence[N],
    compare: Callable[[str, N, N], list[str]],
    *,
    ordered: bool = True,
) -> list[str]:
    """Match elements by name, report missing/extra ones and order, then compare each pair.

    Declaration order is part of the descriptor, so it is checked unless `ordered` is false
    (a set of files has no order).
    """
    ours_by_name = {item.name: item for item in ours}
    ref_by_name = {item.name: item for item in reference}
    where = path or "<set>"
    diffs = [f"{where}: missing {kind} {n}" for n in ref_by_name if n not in ours_by_name]
    diffs += [f"{where}: unexpected {kind} {n}" for n in ours_by_name if n not in ref_by_name]
    ours_order = [n for n in ours_by_name if n in ref_by_name]
    ref_order = [n for n in ref_by_name if n in ours_by_name]
    if ordered and ours_order != ref_order:
        diffs.append(f"{where}: {kind} order {ours_order} != {ref_order}")
    for name in ref_order:
        child = f"{path}.{name}" if path else name
        diffs += compare(child, ours_by_name[name], ref_by_name[name])
    return diffs


def compare_facts(path: str, ours: Facts, reference: Facts) -> list[str]:
    """One line per fact whose value differs."""
    return [
        f"{path}: {key} {ours[key]!r} != {reference[key]!r}"
        for key in reference
        if ours[key] != reference[key]
    ]


def options_text(options: Message) -> str:
    """Options as one line of text format ('' when none are set)."""
    return text_format.MessageToString(options, as_one_line=True)


def compare_file(
    path: str, ours: dpb.FileDescriptorProto, reference: dpb.FileDescriptorProto
) -> list[str]:
    """File-level facts, then its top-level messages, enums and services."""
    diffs = compare_facts(path, file_facts(ours), file_facts(reference))
    scope = reference.package
    diffs += compare_named(
        scope, "message", ours.message_type, reference.message_type, compare_message
    )
    diffs += compare_named(scope, "enum", ours.enum_type, reference.enum_type, compare_enum)
    diffs += compare_named(scope, "service", ours.service, reference.service, compare_service)
    return diffs


def file_facts(file: dpb.FileDescriptorProto) -> Facts:
    """What a file declares besides its elements."""
    return {
        "package": file.package,
        "syntax": file.syntax,
        "dependency": list(file.dependency),
        "public_dependency": list(file.public_dependency),
        "weak_dependency": list(file.weak_dependency),
        "go_package": file.options.go_package,
        "options": options_text(file.options),
        "extensions": [ext.name for ext in file.extension],
    }


def compare_message(
    path: str, ours: dpb.DescriptorProto, reference: dpb.DescriptorProto
) -> list[str]:
    """Message facts, its fields (in declaration order), nested messages and enums."""
    diffs = compare_facts(path, message_facts(ours), message_facts(reference))
    diffs += compare_fields(path, ours, reference)
    diffs += compare_named(
        path, "nested message", ours.nested_type, reference.nested_type, compare_message
    )
    diffs += compare_named(path, "enum", ours.enum_type, reference.enum_type, compare_enum)
    return diffs


def message_facts(message: dpb.DescriptorProto) -> Facts:
    """Oneofs (in order), reserved numbers/names, options (map_entry) and extension ranges."""
    return {
        "oneofs": [oneof.name for oneof in message.oneof_decl],
        "reserved_ranges": [(r.start, r.end) for r in message.reserved_range],
        "reserved_names": list(message.reserved_name),
        "options": options_text(message.options),
        "extension_ranges": [(r.start, r.end) for r in message.extension_range],
        "extensions": [ext.name for ext in message.extension],
    }


def compare_fields(
    path: str, ours: dpb.DescriptorProto, reference: dpb.DescriptorProto
) -> list[str]:
    """Fields matched by name; each side resolves its oneof indexes in its own message."""

    def compare(field_path: str, our_field: FieldProto, ref_field: FieldProto) -> list[str]:
        return compare_facts(
            field_path, field_facts(our_field, ours), field_facts(ref_field, reference)
        )

    return compare_named(path, "field", ours.field, reference.field, compare)


def field_facts(field: FieldProto, message: dpb.DescriptorProto) -> Facts:
    """Everything about a field that reaches the wire, JSON or the generated API."""
    oneof = message.oneof_decl[field.oneof_index].name if field.HasField("oneof_index") else None
    return {
        "number": field.number,
        "label": FieldProto.Label.Name(field.label),
        "type": FieldProto.Type.Name(field.type),
        "type_name": field.type_name,
        "json_name": field.json_name,
        "oneof": oneof,
        "proto3_optional": field.proto3_optional,
        "default_value": field.default_value,
        "extendee": field.extendee,
        "options": options_text(field.options),
    }


def compare_enum(
    path: str, ours: dpb.EnumDescriptorProto, reference: dpb.EnumDescriptorProto
) -> list[str]:
    """Enum facts, then its values in order."""
    diffs = compare_facts(path, enum_facts(ours), enum_facts(reference))
    return diffs + compare_named(path, "value", ours.value, reference.value, compare_enum_value)


def enum_facts(enum: dpb.EnumDescriptorProto) -> Facts:
    """Reserved numbers/names and options of an enum."""
    return {
        "reserved_ranges": [(r.start, r.end) for r in enum.reserved_range],
        "reserved_names": list(enum.reserved_name),
        "options": options_text(enum.options),
    }


def compare_enum_value(
    path: str, ours: dpb.EnumValueDescriptorProto, reference: dpb.EnumValueDescriptorProto
) -> list[str]:
    """Number and options of one enum value."""
    return compare_facts(path, enum_value_facts(ours), enum_value_facts(reference))


def enum_value_facts(value: dpb.EnumValueDescriptorProto) -> Facts:
    """What an enum value declares besides its name."""
    return {"number": value.number, "options": options_text(value.options)}


def compare_service(
    path: str, ours: dpb.ServiceDescriptorProto, reference: dpb.ServiceDescriptorProto
) -> list[str]:
    """Service options, then its methods in order."""
    diffs = compare_facts(
        path, {"options": options_text(ours.options)}, {"options": options_text(reference.options)}
    )
    return diffs + compare_named(path, "method", ours.method, reference.method, compare_method)


def compare_method(
    path: str, ours: dpb.MethodDescriptorProto, reference: dpb.MethodDescriptorProto
) -> list[str]:
    """Request/response types and streaming kinds of one method."""
    return compare_facts(path, method_facts(ours), method_facts(reference))


def method_facts(method: dpb.MethodDescriptorProto) -> Facts:
    """What decides how a method is called."""
    return {
        "input_type": method.input_type,
        "output_type": method.output_type,
        "client_streaming": method.client_streaming,
        "server_streaming": method.server_streaming,
        "options": options_text(method.options),
        "options_present": method.HasField("options"),
    }


# ---------------------------------------------------------------------------------------------
# Our API against the reference


def test_reference_set_is_the_expected_api() -> None:
    """Guards against comparing with an empty or truncated reference copy."""
    files = reference_files()
    assert len(files) == 11
    assert sum(len(f.service) for f in files) == 9
    assert sum(len(s.method) for f in files for s in f.service) == 46


def test_our_descriptors_equal_the_reference() -> None:
    diffs = descriptor_differences(our_files(), reference_files())
    assert not diffs, "descriptors differ from the reference:\n" + "\n".join(diffs)


def test_our_descriptors_are_byte_identical_to_the_reference() -> None:
    """Backstop for details the element comparison does not name (file names mapped)."""
    reference = {file.name: file.SerializeToString() for file in reference_files()}
    differing = [f.name for f in our_files() if f.SerializeToString() != reference.get(f.name)]
    assert differing == []


def test_no_field_uses_proto3_optional() -> None:
    """Presence must stay a real single-member oneof; proto3 `optional` changes descriptors."""
    flagged = [
        f"{file.package}.{message.name}.{field.name}"
        for file in our_files()
        for message in all_messages(file.message_type)
        for field in message.field
        if field.proto3_optional
    ]
    assert flagged == []


def all_messages(messages: Sequence[dpb.DescriptorProto]) -> list[dpb.DescriptorProto]:
    """Messages and all their nested messages, depth first."""
    found: list[dpb.DescriptorProto] = []
    for message in messages:
        found += [message, *all_messages(message.nested_type)]
    return found


# ---------------------------------------------------------------------------------------------
# The comparison must catch tampering


def find_message(files: Sequence[dpb.FileDescriptorProto], full_name: str) -> dpb.DescriptorProto:
    """A (possibly nested) message by its full name."""
    for file in files:
        for message in file.message_type:
            found = find_in_message(message, f"{file.package}.{message.name}", full_name)
            if found is not None:
                return found
    raise KeyError(full_name)


def find_in_message(
    message: dpb.DescriptorProto, path: str, full_name: str
) -> dpb.DescriptorProto | None:
    """The message at full_name within message (whose own full name is path), if any."""
    if path == full_name:
        return message
    for nested in message.nested_type:
        found = find_in_message(nested, f"{path}.{nested.name}", full_name)
        if found is not None:
            return found
    return None


def find_field(files: Sequence[dpb.FileDescriptorProto], full_name: str) -> FieldProto:
    """A field by `<message full name>.<field name>`."""
    message_name, field_name = full_name.rsplit(".", 1)
    message = find_message(files, message_name)
    return next(field for field in message.field if field.name == field_name)


def find_method(
    files: Sequence[dpb.FileDescriptorProto], service_name: str, method_name: str
) -> dpb.MethodDescriptorProto:
    """A method by service short name and method name."""
    for file in files:
        for service in file.service:
            if service.name == service_name:
                return next(m for m in service.method if m.name == method_name)
    raise KeyError(f"{service_name}.{method_name}")


def file_named(files: Sequence[dpb.FileDescriptorProto], name: str) -> dpb.FileDescriptorProto:
    """A file of the set by its (reference) name."""
    return next(file for file in files if file.name == name)


def set_cpu_pin_number(files: list[dpb.FileDescriptorProto]) -> None:
    find_field(files, "nanopinggrpc.pipeline.Pipeline.cpu_pin").number = 12


def set_json_name(files: list[dpb.FileDescriptorProto]) -> None:
    find_field(files, "nanopinggrpc.hub.NodeMetadataItem.bytes_value").json_name = "bytes_value"


def unset_server_streaming(files: list[dpb.FileDescriptorProto]) -> None:
    find_method(files, "HubClientService", "streamConnectionState").server_streaming = False


def set_client_streaming(files: list[dpb.FileDescriptorProto]) -> None:
    find_method(files, "PipelinesService", "startPipeline").client_streaming = True


def swap_kpi_fields(files: list[dpb.FileDescriptorProto]) -> None:
    fields = find_message(files, "nanopinggrpc.pipeline.Kpi").field
    first, second = dpb.FieldDescriptorProto(), dpb.FieldDescriptorProto()
    first.CopyFrom(fields[3])
    second.CopyFrom(fields[4])
    fields[3].CopyFrom(second)
    fields[4].CopyFrom(first)


def take_field_out_of_oneof(files: list[dpb.FileDescriptorProto]) -> None:
    find_field(files, "nanopinggrpc.logging.Options.lines").ClearField("oneof_index")


def mark_proto3_optional(files: list[dpb.FileDescriptorProto]) -> None:
    find_field(files, "nanopinggrpc.logging.Options.lines").proto3_optional = True


def change_type_name(files: list[dpb.FileDescriptorProto]) -> None:
    field = find_field(files, "nanopinggrpc.hub.NodeMetadata.ItemsEntry.value")
    field.type_name = ".nanopinggrpc.networks.Node"


def change_label(files: list[dpb.FileDescriptorProto]) -> None:
    find_field(
        files, "nanopinggrpc.pipeline.GetPipelinesResponse.pipelines"
    ).label = FieldProto.LABEL_OPTIONAL


def drop_reserved_name(files: list[dpb.FileDescriptorProto]) -> None:
    del find_message(files, "nanopinggrpc.logging.Options").reserved_name[:]


def change_go_package(files: list[dpb.FileDescriptorProto]) -> None:
    file_named(files, "metrics.proto").options.go_package = "nanoping/grpc/other"


def change_package(files: list[dpb.FileDescriptorProto]) -> None:
    file_named(files, "pipelines.proto").package = "nanopinggrpc.pipelines"


def renumber_enum_value(files: list[dpb.FileDescriptorProto]) -> None:
    file_named(files, "hub_node.proto").enum_type[0].value[0].number = 4


def drop_message(files: list[dpb.FileDescriptorProto]) -> None:
    messages = file_named(files, "hub_server.proto").message_type
    messages.remove(find_message(files, "nanopinggrpc.hub.GetNodesRequestMetadataFilter"))


def drop_method_options(files: list[dpb.FileDescriptorProto]) -> None:
    find_method(files, "ConfigService", "getDefaultNetworkCarriers").ClearField("options")


def rename_method(files: list[dpb.FileDescriptorProto]) -> None:
    find_method(files, "HubClientService", "getLocalNodeId").name = "GetLocalNodeId"


TAMPERINGS: list[tuple[Callable[[list[dpb.FileDescriptorProto]], None], str]] = [
    (set_cpu_pin_number, "nanopinggrpc.pipeline.Pipeline.cpu_pin: number 12 != 11"),
    (set_json_name, "NodeMetadataItem.bytes_value: json_name 'bytes_value' != 'bytesValue'"),
    (
        unset_server_streaming,
        "HubClientService.streamConnectionState: server_streaming False != True",
    ),
    (set_client_streaming, "PipelinesService.startPipeline: client_streaming True != False"),
    (
        swap_kpi_fields,
        "nanopinggrpc.pipeline.Kpi: field order ['id', 'field', 'error', 'unresolved'",
    ),
    (take_field_out_of_oneof, "nanopinggrpc.logging.Options.lines: oneof None != 'optional_lines'"),
    (mark_proto3_optional, "nanopinggrpc.logging.Options.lines: proto3_optional True != False"),
    (change_type_name, "ItemsEntry.value: type_name '.nanopinggrpc.networks.Node' != "),
    (change_label, "GetPipelinesResponse.pipelines: label 'LABEL_OPTIONAL' != 'LABEL_REPEATED'"),
    (drop_reserved_name, "nanopinggrpc.logging.Options: reserved_names [] != ['resource_id']"),
    (
        change_go_package,
        "metrics.proto: go_package 'nanoping/grpc/other' != 'nanoping/grpc/metrics'",
    ),
    (
        change_package,
        "pipelines.proto: package 'nanopinggrpc.pipelines' != 'nanopinggrpc.pipeline'",
    ),
    (renumber_enum_value, "nanopinggrpc.hub.NodeService.HUB_SERVER: number 4 != 0"),
    (drop_message, "nanopinggrpc.hub: missing message GetNodesRequestMetadataFilter"),
    (drop_method_options, "getDefaultNetworkCarriers: options_present False != True"),
    (rename_method, "HubClientService: unexpected method GetLocalNodeId"),
]


def tampered_reference(tamper: Callable[[list[dpb.FileDescriptorProto]], None]) -> list[str]:
    """Differences between a tampered copy of the reference and the reference itself."""
    copy = reference_files()
    tamper(copy)
    return descriptor_differences(copy, reference_files())


def test_identical_sets_have_no_differences() -> None:
    assert descriptor_differences(reference_files(), reference_files()) == []


@pytest.mark.parametrize(
    ("tamper", "expected"), TAMPERINGS, ids=[t.__name__ for t, _ in TAMPERINGS]
)
def test_tampering_is_reported(
    tamper: Callable[[list[dpb.FileDescriptorProto]], None], expected: str
) -> None:
    diffs = tampered_reference(tamper)
    assert any(expected in diff for diff in diffs), "\n".join(diffs)


def test_missing_file_is_reported() -> None:
    diffs = descriptor_differences(reference_files()[1:], reference_files())
    assert diffs == ["<set>: missing file hub_node.proto"]


def test_file_outside_the_api_directory_is_reported() -> None:
    copy = reference_files()
    file_named(copy, "hub_node.proto").name = reference_name("elsewhere/hub_node.proto")
    diffs = descriptor_differences(copy, reference_files())
    assert "<set>: missing file hub_node.proto" in diffs
    assert "<set>: unexpected file (outside nanoping/api/) elsewhere/hub_node.proto" in diffs


def test_import_outside_the_api_directory_is_reported() -> None:
    copy = reference_files()
    file_named(copy, "hub_client.proto").dependency[0] = reference_name("hub_node.proto")
    diffs = descriptor_differences(copy, reference_files())
    assert diffs == [
        "hub_client.proto: dependency ['(outside nanoping/api/) hub_node.proto'] != "
        "['hub_node.proto']"
    ]


# ---------------------------------------------------------------------------------------------
# Every reference method is reachable on its wire path with its streaming kind


def reference_methods() -> list[tuple[str, str]]:
    """(wire path, grpc call kind) of every method in the reference."""
    return [
        (f"/{file.package}.{service.name}/{method.name}", call_kind(method))
        for file in reference_files()
        for service in file.service
        for method in service.method
    ]


def call_kind(method: dpb.MethodDescriptorProto) -> str:
    """The method's kind as grpc names it (unary_unary, unary_stream, ...)."""
    return kind_name(method.client_streaming, method.server_streaming)


def kind_name(request_streaming: bool, response_streaming: bool) -> str:
    """Streaming flags as grpc spells the multicallable kind."""
    side: Callable[[bool], str] = {True: "stream", False: "unary"}.__getitem__
    return f"{side(request_streaming)}_{side(response_streaming)}"


class RecordingChannel:
    """Stands in for grpc.Channel; remembers the path and kind each stub attribute asks for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def unary_unary(self, method: str, *args: object, **kwargs: object) -> None:
        self.calls.append((method, "unary_unary"))

    def unary_stream(self, method: str, *args: object, **kwargs: object) -> None:
        self.calls.append((method, "unary_stream"))

    def stream_unary(self, method: str, *args: object, **kwargs: object) -> None:
        self.calls.append((method, "stream_unary"))

    def stream_stream(self, method: str, *args: object, **kwargs: object) -> None:
        self.calls.append((method, "stream_stream"))


class RecordingServer:
    """Stands in for grpc.Server; remembers the handlers a servicer registers."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def add_generic_rpc_handlers(self, handlers: object) -> None:
        del handlers  # the same routes are registered again by name below

    def add_registered_method_handlers(
        self, service: str, handlers: dict[str, grpc.RpcMethodHandler[Any, Any]]
    ) -> None:
        for name, handler in handlers.items():
            kind = kind_name(handler.request_streaming, handler.response_streaming)
            self.calls.append((f"/{service}/{name}", kind))


def services_by_module() -> list[tuple[ModuleType, str]]:
    """(generated grpc module, service name) for every reference service."""
    return [
        (importlib.import_module(f"nanoping.api.{Path(file.name).stem}_pb2_grpc"), service.name)
        for file in reference_files()
        for service in file.service
    ]


def stub_paths() -> list[tuple[str, str]]:
    """What our generated client stubs call, for every reference service."""
    channel = RecordingChannel()
    for module, service in services_by_module():
        getattr(module, f"{service}Stub")(channel)
    return channel.calls


def servicer_paths() -> list[tuple[str, str]]:
    """What our generated servicer glue registers on a server, for every reference service."""
    server = RecordingServer()
    for module, service in services_by_module():
        servicer = getattr(module, f"{service}Servicer")()
        getattr(module, f"add_{service}Servicer_to_server")(servicer, server)
    return server.calls


def descriptor_paths() -> list[tuple[str, str]]:
    """Wire paths and kinds as our generated message modules describe them."""
    paths: list[tuple[str, str]] = []
    for module in api_modules():
        descriptor: FileDescriptor = module.DESCRIPTOR
        for service in descriptor.services_by_name.values():
            paths += [
                (
                    f"/{service.full_name}/{m.name}",
                    kind_name(m.client_streaming, m.server_streaming),
                )
                for m in service.methods
            ]
    return paths


REFERENCE_METHODS = reference_methods()


def test_reference_has_nine_services_and_46_methods() -> None:
    services = {path.split("/")[1] for path, _ in REFERENCE_METHODS}
    assert (len(services), len(REFERENCE_METHODS)) == (9, 46)


@pytest.mark.parametrize(("path", "kind"), REFERENCE_METHODS, ids=[p for p, _ in REFERENCE_METHODS])
def test_method_is_served_on_its_wire_path(path: str, kind: str) -> None:
    assert (path, kind) in stub_paths()
    assert (path, kind) in servicer_paths()
    assert (path, kind) in descriptor_paths()


def test_no_method_beyond_the_reference() -> None:
    expected = sorted(REFERENCE_METHODS)
    assert sorted(stub_paths()) == expected
    assert sorted(servicer_paths()) == expected
    assert sorted(descriptor_paths()) == expected
