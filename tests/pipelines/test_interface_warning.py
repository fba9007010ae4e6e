"""createPipeline stores a pipeline with a tun/tap component but warns when runs cannot start."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from nanoping.api import pipelines_pb2 as api
from nanoping.dataplane import validate_config
from nanoping.dataplane.fakes import config_doc, wire
from nanoping.dataplane.privileges import has_net_admin, privilege_warnings
from nanoping.service.pipelines import PipelinesService

LINK = wire("udp", 0, "dev", 0)
DOC = config_doc(
    {
        "dev": {"tun": {"output": LINK}},
        "udp": {"udp_socket": {"input": LINK, "remote_address": "127.0.0.1:9"}},
    }
)
WARNING = (
    "component 'dev' (tun) creates a network interface, which needs root or CAP_NET_ADMIN; "
    "this node has neither, so its runs will fail at start"
)


def test_warnings_name_each_interface_component_only_when_the_capability_is_missing() -> None:
    graph = validate_config(DOC)
    assert privilege_warnings(graph, net_admin=False) == [WARNING]
    assert privilege_warnings(graph, net_admin=True) == []


def test_the_capability_is_read_from_the_effective_set(tmp_path: Path) -> None:
    status = tmp_path / "status"
    status.write_text("Name:\tx\nCapEff:\t0000000000001000\n")
    assert has_net_admin(status)
    status.write_text("Name:\tx\nCapEff:\t0000000000000fff\n")
    assert not has_net_admin(status)
    assert not has_net_admin(tmp_path / "missing")


async def test_create_pipeline_logs_the_warning_and_still_stores(
    service: PipelinesService, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nanoping.dataplane.privileges.has_net_admin", lambda: False)
    request = api.CreatePipelineRequest(name="tunnel", json_config=json.dumps(DOC))
    with caplog.at_level(logging.WARNING, logger="nanoping.service.pipelines"):
        pipeline = (await service.create_pipeline(request)).pipeline
    assert [r.getMessage() for r in caplog.records] == [
        f"pipeline {pipeline.id} ('tunnel'): {WARNING}"
    ]
    listed = await service.get_pipelines(api.GetPipelinesRequest())
    assert [p.id for p in listed.pipelines] == [pipeline.id]
