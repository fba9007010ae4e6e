"""Parse and check a pipeline's ``json_config`` (schema version 13) into a PipelineGraph.

Pure functions, no I/O and nothing started: the API calls :func:`validate_config` on
createPipeline to reject invalid configs with a message naming the component and key, and the
run process calls it again to obtain the graph it will run.

Document shape::

    {"version": 13,
     "plumr_config": {"pipeline": {"<instance id>": {"<component type>": {<parameters>}}}}}

Other top-level and ``plumr_config`` keys (sections this node does not implement, such as KPI
definitions) are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from typing import Any

from nanoping.dataplane.component import component_types
from nanoping.dataplane.errors import ConfigError, IncompatibleVersionError, ParamError
from nanoping.dataplane.parameter import json_type, link_fields, parse_params
from nanoping.dataplane.ports import Ports
from nanoping.dataplane.wiring import Link, WiringError, parse_link

SUPPORTED_VERSION = 13
_FORBIDDEN_ID_CHARS = "[]|"


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentSpec:
    """One component instance of a checked pipeline."""

    id: str
    """Instance id, unique in the pipeline."""
    type_name: str
    """Registered component type."""
    params: Any
    """The component's parameter dataclass, defaults filled in."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineGraph:
    """A checked pipeline: components in config order and the links between their ports."""

    version: int
    """Schema version of the source document."""
    components: tuple[ComponentSpec, ...]
    """Component instances in configuration order."""
    links: tuple[Link, ...]
    """Every link, each once."""

    def component(self, component_id: str) -> ComponentSpec:
        """The spec of instance ``component_id``; KeyError when absent."""
        for spec in self.components:
            if spec.id == component_id:
                return spec
        raise KeyError(component_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class _LinkUse:
    link: Link
    component_id: str
    key: str


def parse_json_config(text: str) -> PipelineGraph:
    """Decode a ``json_config`` string and check it (see :func:`validate_config`)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(None, "json_config", f"invalid JSON: {exc}") from None
    return validate_config(doc)


def validate_config(doc: object) -> PipelineGraph:
    """Check a decoded config document and build its graph.

    Raises ConfigError for an invalid document and IncompatibleVersionError for a version
    newer than :data:`SUPPORTED_VERSION`.
    """
    root = _expect_object(doc, None, "json_config")
    version = _check_version(root)
    plumr = _expect_object(_require(root, "plumr_config", None), None, "plumr_config")
    pipeline = _expect_object(
        _require(plumr, "pipeline", "plumr_config"), None, "plumr_config.pipeline"
    )
    if not pipeline:
        raise ConfigError(None, "plumr_config.pipeline", "must define at least one component")
    specs = tuple(_component(str(cid), entry) for cid, entry in pipeline.items())
    return PipelineGraph(version=version, components=specs, links=_check_links(specs))


def _check_version(root: Mapping[str, object]) -> int:
    version = _require(root, "version", None)
    if not isinstance(version, int) or isinstance(version, bool):
        raise ConfigError(None, "version", f"expected an integer, got {json_type(version)}")
    if version > SUPPORTED_VERSION:
        raise IncompatibleVersionError(version, SUPPORTED_VERSION)
    if version < SUPPORTED_VERSION:
        raise ConfigError(
            None,
            "version",
            f"unsupported version {version}; this node reads version {SUPPORTED_VERSION}",
        )
    return version


def _component(component_id: str, entry: object) -> ComponentSpec:
    _check_id(component_id)
    body = _expect_object(entry, component_id, "type")
    if len(body) != 1:
        names = ", ".join(sorted(map(str, body))) or "none"
        raise ConfigError(
            component_id,
            "type",
            f"expected exactly one component type key, got {len(body)} ({names})",
        )
    type_name, raw = next(iter(body.items()))
    cls = component_types().get(type_name)
    if cls is None:
        raise ConfigError(component_id, type_name, f"unknown component type '{type_name}'")
    try:
        params = parse_params(cls.params_type, raw)
    except ParamError as exc:
        raise ConfigError(component_id, exc.key, exc.message) from None
    return ComponentSpec(id=component_id, type_name=type_name, params=params)


def _check_id(component_id: str) -> None:
    if not component_id or any(c in component_id for c in _FORBIDDEN_ID_CHARS):
        raise ConfigError(
            component_id,
            "id",
            "component id must be non-empty and must not contain '[', ']' or '|'",
        )


def _check_links(specs: tuple[ComponentSpec, ...]) -> tuple[Link, ...]:
    by_id = {spec.id: spec for spec in specs}
    outputs: list[_LinkUse] = []
    inputs: list[_LinkUse] = []
    for spec in specs:
        for key, role, text in _wiring_fields(spec.params):
            use = _parse_use(spec, key, role, text)
            (outputs if role == "output" else inputs).append(use)
    for uses in (outputs, inputs):
        _check_known(uses, by_id)
    for uses in (outputs, inputs):
        _check_ranges(uses, by_id)
    for spec in specs:
        _check_groups(spec)
    _check_duplicates(outputs, "output")
    _check_duplicates(inputs, "input")
    _check_pairs(outputs, inputs, "input")
    _check_pairs(inputs, outputs, "output")
    return tuple(use.link for use in outputs)


def _wiring_fields(params: Any, prefix: str = "") -> Iterator[tuple[str, str, str]]:
    """Yield (key path, 'input'|'output', wiring string) for every set link field."""
    for name in link_fields(type(params)):
        value = getattr(params, name)
        if isinstance(value, str):
            yield prefix + name, name, value
    for field in fields(params):
        value = getattr(params, field.name)
        if isinstance(value, tuple):
            for i, record in enumerate(value):
                yield from _wiring_fields(record, f"{prefix}{field.name}[{i}].")


def _parse_use(spec: ComponentSpec, key: str, role: str, text: str) -> _LinkUse:
    try:
        link = parse_link(text)
    except WiringError as exc:
        raise ConfigError(spec.id, key, str(exc)) from None
    own = link.producer if role == "output" else link.consumer
    side = "producer" if role == "output" else "consumer"
    if own != spec.id:
        raise ConfigError(
            spec.id, key, f"link '{text}' names {side} '{own}', expected this component '{spec.id}'"
        )
    return _LinkUse(link=link, component_id=spec.id, key=key)


def _check_known(uses: list[_LinkUse], by_id: Mapping[str, ComponentSpec]) -> None:
    for use in uses:
        for peer in (use.link.producer, use.link.consumer):
            if peer not in by_id:
                raise ConfigError(
                    use.component_id, use.key, f"link '{use.link}' names unknown component '{peer}'"
                )


def _check_ranges(uses: list[_LinkUse], by_id: Mapping[str, ComponentSpec]) -> None:
    for use in uses:
        ends = (
            (use.link.producer, "output", use.link.out_port),
            (use.link.consumer, "input", use.link.in_port),
        )
        for component_id, role, port in ends:
            spec = by_id[component_id]
            ports = component_types()[spec.type_name].declare_ports(spec.params)
            output = role == "output"
            count = ports.output_count if output else ports.input_count
            if port >= count:
                name = f"out:{port}" if output else f"in:{port}"
                raise ConfigError(
                    use.component_id,
                    use.key,
                    f"port {name} is out of range; '{spec.type_name}' has {count} {role} port(s) "
                    f"here{_groups_note(ports, output=output)}",
                )


def _check_groups(spec: ComponentSpec) -> None:
    """A group named after a repeated-record parameter takes exactly that parameter's links.

    E.g. a transport declaring ``streams`` and ``carriers`` groups: ``streams[i].input`` must
    name one of the streams ports, ``carriers[j].output`` one of the carriers ports.
    """
    ports = component_types()[spec.type_name].declare_ports(spec.params)
    names = {field.name for field in fields(spec.params)}
    for output, groups in ((False, ports.inputs), (True, ports.outputs)):
        first = 0
        for group in groups:
            records = getattr(spec.params, group.name, None) if group.name in names else None
            if isinstance(records, tuple):
                _check_group(spec, ports, group.name, records, first, group.count, output=output)
            first += group.count


def _check_group(
    spec: ComponentSpec,
    ports: Ports,
    name: str,
    records: tuple[Any, ...],
    first: int,
    count: int,
    *,
    output: bool,
) -> None:
    role = "output" if output else "input"
    for index, record in enumerate(records):
        text = getattr(record, role, None)
        if not isinstance(text, str):
            continue
        link = parse_link(text)
        port = link.out_port if output else link.in_port
        if not first <= port < first + count:
            label = f"out:{port}" if output else f"in:{port}"
            raise ConfigError(
                spec.id,
                f"{name}[{index}].{role}",
                f"port {label} is not one of the '{name}' {role} ports "
                f"({ports.describe(output=output)})",
            )


def _check_duplicates(uses: list[_LinkUse], role: str) -> None:
    taken: dict[tuple[str, int], _LinkUse] = {}
    for use in uses:
        port = use.link.out_port if role == "output" else use.link.in_port
        previous = taken.get((use.component_id, port))
        if previous is not None:
            name = f"out:{port}" if role == "output" else f"in:{port}"
            raise ConfigError(
                use.component_id,
                use.key,
                f"duplicate connection: port {name} is already connected by '{previous.key}'",
            )
        taken[(use.component_id, port)] = use


def _check_pairs(uses: list[_LinkUse], others: list[_LinkUse], peer_role: str) -> None:
    listed = {use.link for use in others}
    for use in uses:
        if use.link not in listed:
            peer = use.link.consumer if peer_role == "input" else use.link.producer
            raise ConfigError(
                use.component_id,
                use.key,
                f"link '{use.link}' is not listed in an {peer_role} of component '{peer}'",
            )


def _groups_note(ports: Ports, *, output: bool) -> str:
    """Name the port groups when a side has several, so the message says which role is which."""
    groups = ports.outputs if output else ports.inputs
    return f" ({ports.describe(output=output)})" if len(groups) > 1 else ""


def _require(obj: Mapping[str, object], key: str, parent: str | None) -> object:
    if key not in obj:
        path = f"{parent}.{key}" if parent else key
        raise ConfigError(None, path, "required key is missing")
    return obj[key]


def _expect_object(value: object, component_id: str | None, key: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise ConfigError(component_id, key, f"expected an object, got {json_type(value)}")
    return value
