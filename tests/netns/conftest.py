"""Namespace tests need root and iproute2; they never skip silently (CI forbids skips)."""

import pytest

from nanoping.testing.netns import can_create_namespaces


@pytest.fixture(autouse=True)
def _namespaces_possible() -> None:
    reason = can_create_namespaces()
    if reason is not None:
        pytest.skip(f"cannot create network namespaces here: {reason}")
