"""The router's placement table: every API method has exactly one place to run."""

from __future__ import annotations

import pytest

from nanoping.hub.router import PLACEMENTS, Placement, placement
from nanoping.service.method_table import Method, MethodKind, MethodTable


def test_every_api_method_has_a_placement() -> None:
    table = MethodTable.build({})
    places = {method.path: placement(method) for method in table}
    assert len(places) == 46
    assert places["/nanopinggrpc.hub.HubClientService/getLocalNodeId"] is Placement.HERE
    assert places["/nanopinggrpc.hub.HubClientService/getNode"] is Placement.NAMED_NODE
    assert places["/nanopinggrpc.hub.HubServerService/getNodes"] is Placement.HUB
    assert places["/nanopinggrpc.networks.Networks/createNetwork"] is Placement.NETWORKS
    assert places["/nanopinggrpc.networks.Blueprints/getBlueprints"] is Placement.NETWORKS
    assert (
        places["/nanopinggrpc.networks.NetworkInstances/getNetworkInstances"] is Placement.NETWORKS
    )
    assert places["/nanopinggrpc.hub.ConfigService/setDefaultNetworkCarriers"] is (
        Placement.NAMED_NODE
    )


def test_services_placed_on_a_named_node_all_name_it() -> None:
    """A NAMED_NODE service whose request had no node_id could never be routed."""
    for method in MethodTable.build({}):
        if placement(method) is Placement.NAMED_NODE:
            assert "node_id" in method.request_type.DESCRIPTOR.fields_by_name, method.path


def test_a_service_missing_from_the_table_is_refused() -> None:
    async def handler(request: object) -> object:
        return request

    stray = Method(
        service="nanopinggrpc.example.Stray",
        name="call",
        kind=MethodKind.UNARY,
        request_type=MethodTable.build({}).__iter__().__next__().request_type,
        response_type=MethodTable.build({}).__iter__().__next__().response_type,
        handler=handler,  # type: ignore[arg-type]
        implemented=True,
    )
    assert "nanopinggrpc.example.Stray" not in PLACEMENTS
    with pytest.raises(KeyError, match=r"no placement for service nanopinggrpc\.example\.Stray"):
        placement(stray)
