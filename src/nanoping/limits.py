"""Documented size limits of what a node says about itself: id, name and metadata.

The same limits hold at every door: ``setNode`` (checked before anything is stored), join
requests (checked at the hub before an approver sees them) and the link's Hello and NodeUpdate.
They keep every node description far below any client's message limit, so one node cannot make
``getNodes`` or the approvers fail for the whole cluster.
"""

from __future__ import annotations

from nanoping.api import hub_node_pb2
from nanoping.errors import InvalidArgument
from nanoping.quoting import quoted

MAX_NODE_ID = 128
"""Characters of a node id (nodes make UUIDs: 36)."""
MAX_NAME = 256
"""Characters of a node name."""
MAX_METADATA_ITEMS = 64
"""Metadata items of one node."""
MAX_METADATA_KEY = 128
"""Characters of a metadata key."""
MAX_METADATA_VALUE = 1024
"""Characters (string values) or bytes (bytes values) of one metadata value."""
MAX_JOIN_REQUEST = 64 * 1024
"""Bytes of one encoded join request; far above what the limits above allow."""


def check_node_id(node_id: str) -> None:
    """InvalidArgument unless ``node_id`` is a non-empty id of printable characters."""
    if not node_id:
        raise InvalidArgument("the node id is empty")
    if len(node_id) > MAX_NODE_ID:
        raise InvalidArgument(f"node id {quoted(node_id)} is longer than {MAX_NODE_ID} characters")
    if not node_id.isprintable():
        raise InvalidArgument(f"node id {quoted(node_id)} contains control characters")


def check_details(name: str, metadata: hub_node_pb2.NodeMetadata) -> None:
    """InvalidArgument naming the first name or metadata entry over its limit."""
    if len(name) > MAX_NAME:
        raise InvalidArgument(f"name {quoted(name)} is longer than {MAX_NAME} characters")
    items = metadata.items
    if len(items) > MAX_METADATA_ITEMS:
        raise InvalidArgument(
            f"metadata has {len(items)} items; at most {MAX_METADATA_ITEMS} are allowed"
        )
    for key, item in items.items():
        _check_item(key, item)


def check_node(node: hub_node_pb2.Node) -> None:
    """Id, name and metadata of a node description within their limits."""
    check_node_id(node.id)
    check_details(node.name, node.metadata)


def _check_item(key: str, item: hub_node_pb2.NodeMetadataItem) -> None:
    if not key or len(key) > MAX_METADATA_KEY:
        raise InvalidArgument(
            f"metadata key {quoted(key)} must have 1 to {MAX_METADATA_KEY} characters"
        )
    kind = item.WhichOneof("value")
    if kind is None:
        raise InvalidArgument(f"metadata item {quoted(key)} has no value set")
    value = getattr(item, kind)
    if isinstance(value, str | bytes) and len(value) > MAX_METADATA_VALUE:
        raise InvalidArgument(
            f"metadata item {quoted(key)}: its value of {len(value)} is longer than "
            f"{MAX_METADATA_VALUE} characters"
        )
