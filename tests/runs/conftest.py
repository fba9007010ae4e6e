"""Fixtures of the run tests: a node process and a PipelinesService client on it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from nanoping.testing.node_process import NodeProcess
from nanoping.testing.reference_client import ReferenceApi

from .harness import PipelinesApi


@pytest.fixture
def node(data_dir: Path) -> Iterator[NodeProcess]:
    with NodeProcess(data_dir=data_dir) as started:
        yield started


@pytest.fixture
def pipelines(reference_api: ReferenceApi, node: NodeProcess) -> Iterator[PipelinesApi]:
    with grpc.insecure_channel(node.grpc_address) as channel:
        yield PipelinesApi(reference_api, channel)
