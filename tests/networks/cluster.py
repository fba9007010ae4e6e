"""A controller (the networks node) and a client as real processes, driven through gRPC."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import grpc
import pytest

from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

NETWORKS = "/nanopinggrpc.networks.Networks/"
BLUEPRINTS = "/nanopinggrpc.networks.Blueprints/"
INSTANCES = "/nanopinggrpc.networks.NetworkInstances/"
PIPELINES = "/nanopinggrpc.pipeline.PipelinesService/"
CONFIG = "/nanopinggrpc.hub.ConfigService/"

# A blueprint of in-process components only (no traffic leaves the run): one endless, slow
# traffic source into a sink, with values taken from the template data.
TEST_TEMPLATE = """{
  "version": 13,
  "plumr_config": {
    "pipeline": {
      "traffic_sink-1": {
        "traffic_sink": {
          "input": "[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]",
          "mtu": {{ or .parameters.mtu 1500 }}
        }
      },
      "uniform_traffic_source-1": {
        "uniform_traffic_source": {
          "output": "[traffic_sink-1|in:0]-[uniform_traffic_source-1|out:0]",
          "total_packets": 0,
          "interval": 1000,
          "packet_size": {{ printf "%d00" .node.numeric_id }}
        }
      }
    }
  }
}
"""


class Door:
    """One node's gRPC API, any service."""

    def __init__(self, api: ReferenceApi, node: NodeProcess) -> None:
        self.api = api
        self.node = node
        self.channel = grpc.insecure_channel(node.grpc_address)

    def call(self, path: str, *, timeout: float = 60, **fields: Any) -> Any:
        return self.api.call(self.channel, path, self.api.request(path, **fields), timeout=timeout)

    def error(self, path: str, **fields: Any) -> Any:
        """The failed call (``code()``, ``details()``) of a call that must fail."""
        with pytest.raises(grpc.RpcError) as raised:
            self.call(path, **fields)
        return raised.value

    def pipelines(self, node_id: str) -> dict[str, Any]:
        found = self.call(PIPELINES + "getPipelines", node_id=node_id).pipelines
        return {pipeline.id: pipeline for pipeline in found}

    def close(self) -> None:
        self.channel.close()


def config_value(pipeline: Any, component: str, key: str) -> object:
    document = json.loads(pipeline.json_config)
    entry = document["plumr_config"]["pipeline"][component]
    return next(iter(entry.values()))[key]


def all_roles(blueprint_id: str) -> dict[str, str]:
    return {
        "relay_blueprint": blueprint_id,
        "relay_client_blueprint": blueprint_id,
        "client_blueprint": blueprint_id,
    }


def data_dir(tmp_path: Path, name: str) -> Path:
    return tmp_path / name
