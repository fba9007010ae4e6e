"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
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


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With NANOPING_FORBID_SKIPS set (CI sets it), any skipped test fails the run."""
    if not os.environ.get("NANOPING_FORBID_SKIPS"):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if skipped:
        for report in skipped:
            print(f"skipped but skips are forbidden here: {report.nodeid}: {report.longrepr}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
