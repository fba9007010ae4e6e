"""The registry's filter index follows every change of a member's metadata and services."""

from __future__ import annotations

from pathlib import Path

from nanoping.api import hub_node_pb2
from nanoping.hub.registry import NodeRegistry
from nanoping.storage.database import Database

HUB = hub_node_pb2.Node(id="hub", name="hub", online=True)


def item(**value: object) -> hub_node_pb2.NodeMetadataItem:
    return hub_node_pb2.NodeMetadataItem(**value)  # type: ignore[arg-type]


def test_filters_see_updated_details_and_survive_a_restart(tmp_path: Path) -> None:
    database = Database.open(tmp_path / "db")
    members = NodeRegistry(database=database, hub_node=lambda: HUB)
    members.admit(hub_node_pb2.Node(id="a", metadata={"items": {"k": item(string_value="old")}}))
    old, new = {"k": item(string_value="old")}, {"k": item(string_value="new")}
    assert [n.id for n in members.filtered(old, [])] == ["a"]
    members.update_details(
        hub_node_pb2.Node(
            id="a",
            services=[hub_node_pb2.PIPELINES],
            metadata={"items": {"k": item(string_value="new")}},
        )
    )
    assert members.filtered(old, []) == []
    assert [n.id for n in members.filtered(new, [hub_node_pb2.PIPELINES])] == ["a"]
    assert [n.id for n in members.matching(new, [])] == ["a"]
    reloaded = NodeRegistry(database=database, hub_node=lambda: HUB)
    assert [n.id for n in reloaded.filtered(new, [hub_node_pb2.PIPELINES])] == ["a"]
    assert reloaded.filtered({"k": item(bytes_value=b"new")}, []) == []  # same value, other kind
    database.close()
