"""What the networks node stores: blueprints, and each member's generated pipelines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BlueprintRecord:
    """A blueprint: a template rendering one pipeline config per node."""

    id: str
    name: str
    template: str
    read_only: bool = False
    """True for the built-in blueprints."""


@dataclass(frozen=True)
class InstanceRecord:
    """A network's footprint on one member node."""

    id: str
    network_id: str
    node_id: str


@dataclass(frozen=True)
class NetworkPipelineRecord:
    """One pipeline generated for an instance from one blueprint."""

    id: str
    network_id: str
    instance_id: str
    node_id: str
    slot: str
    """Which generated pipeline of the instance it is: ``relay``, ``client`` or
    ``relay-client:<client node id>``."""
    blueprint_id: str
    pipeline_name: str
    config: str
    """The rendered, validated config the pipeline should have."""
    enabled: bool
    """Whether it should be running (toggleNetworkPipeline flips it)."""
    reference_node_id: str | None = None
    """The client a relay-client pipeline serves."""
    pipeline_id: str | None = None
    """Id of the pipeline on the node, once created there."""
    deployed_config: str | None = None
    """The config the node's pipeline has (differs from ``config`` until deployed)."""
    removed: bool = False
    """No longer wanted: deleted from the node, then forgotten."""
