"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from nanoping.testing.reference_client import ReferenceApi

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def reference_api() -> ReferenceApi:
    """Message classes built only from the public reference descriptor set."""
    return ReferenceApi(DATA / "nanoping.fds")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A fresh data dir path (not created yet: the node creates it)."""
    return tmp_path / "node-data"
