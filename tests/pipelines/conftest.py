"""Fixtures for the pipeline tests: the seed's example config, a real database file, a service.

``async def`` tests run on a fresh event loop each (pytest-asyncio), so the service's
coroutines and streams are called directly, without a network.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from nanoping.service.pipelines import PipelinesService
from nanoping.storage.database import Database

# The only complete example config published for the product (the seed's guide, product §4.2),
# shipped with the Python walkthrough.
SEED_PIPELINE = Path(__file__).resolve().parents[2] / "examples" / "python" / "pipeline_config.json"
EXAMPLE_CONFIG = SEED_PIPELINE.read_text().strip()

NODE_ID = "8f1c8a43-8a3b-4c55-9d76-8b2d1f0e6a11"
CPU_THREADS = 4


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def example_config() -> str:
    """The seed's example ``json_config`` (compact whitespace, as clients usually send it)."""
    return EXAMPLE_CONFIG


@pytest.fixture
def node_id() -> str:
    """The id of the node the service runs on (it has 4 CPU threads)."""
    return NODE_ID


@pytest.fixture
def database_path(tmp_path: Path) -> Path:
    return tmp_path / "node.sqlite3"


@pytest.fixture
def database(database_path: Path) -> Iterator[Database]:
    """A real SQLite file, opened as the node opens it."""
    opened = Database.open(database_path)
    yield opened
    opened.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_service(database: Database, clock: FakeClock) -> Callable[[], PipelinesService]:
    """Builds services over the same database (a second call is like a node restart)."""

    def make() -> PipelinesService:
        return PipelinesService(
            database=database, node_id=NODE_ID, cpu_threads=CPU_THREADS, clock=clock
        )

    return make


@pytest.fixture
def service(make_service: Callable[[], PipelinesService]) -> PipelinesService:
    return make_service()
