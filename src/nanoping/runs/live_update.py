"""Which config changes a running run takes without a restart.

The rule: the new graph has the same component ids, each of the same type, wired by exactly
the same links, and every parameter whose value changed is one its component type declares in
``live_parameters`` (components refresh what they derived from it in ``reconfigure``). Anything
else (a component added, removed or retyped, a link moved, a socket address or a packet count
changed) needs a new run. The node checks this before it instructs a run, and the run checks it
again before it applies anything, so a refused change leaves the run untouched.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from nanoping.dataplane.component import component_types
from nanoping.dataplane.config import ComponentSpec, PipelineGraph


def live_update_refusal(current: PipelineGraph, new: PipelineGraph) -> str | None:
    """Why ``new`` cannot be applied to a run of ``current``; None when it can."""
    old_ids = {spec.id for spec in current.components}
    new_ids = {spec.id for spec in new.components}
    if old_ids != new_ids:
        return _membership_change(old_ids, new_ids)
    for spec in new.components:
        old = current.component(spec.id)
        if old.type_name != spec.type_name:
            return (
                f"component '{spec.id}' changes type from '{old.type_name}' to '{spec.type_name}'"
            )
    if set(current.links) != set(new.links):
        return "the wiring between components changes"
    for spec in new.components:
        refusal = _parameter_refusal(current.component(spec.id), spec)
        if refusal is not None:
            return refusal
    return None


def changed_components(current: PipelineGraph, new: PipelineGraph) -> list[ComponentSpec]:
    """The components of ``new`` whose parameters differ from ``current`` (same ids assumed)."""
    return [spec for spec in new.components if current.component(spec.id).params != spec.params]


def changed_parameters(old: Any, new: Any) -> list[str]:
    """Names of the fields that differ between two parameter dataclasses of one type."""
    return [item.name for item in fields(old) if getattr(old, item.name) != getattr(new, item.name)]


def _parameter_refusal(old: ComponentSpec, new: ComponentSpec) -> str | None:
    live = component_types()[new.type_name].live_parameters
    fixed = [name for name in changed_parameters(old.params, new.params) if name not in live]
    if not fixed:
        return None
    allowed = ", ".join(sorted(live)) if live else "none"
    return (
        f"component '{new.id}' ({new.type_name}) cannot change {', '.join(fixed)} while it "
        f"runs (parameters it takes live: {allowed})"
    )


def _membership_change(old_ids: set[str], new_ids: set[str]) -> str:
    parts = []
    if added := sorted(new_ids - old_ids):
        parts.append(f"adds {', '.join(added)}")
    if removed := sorted(old_ids - new_ids):
        parts.append(f"removes {', '.join(removed)}")
    return f"the new config {' and '.join(parts)}"
