"""The `networks` config key: on by default on the hub node, refused elsewhere."""

from __future__ import annotations

import pytest

from nanoping.config import config_from_document
from nanoping.errors import ConfigError

HUB = {"http": {"address": "127.0.0.1:0"}, "hubServer": {}}


def test_networks_are_on_by_default_on_the_hub_node_only() -> None:
    assert config_from_document(HUB, source="t.yaml", path=None).networks_on
    assert not config_from_document({}, source="t.yaml", path=None).networks_on
    off = config_from_document({**HUB, "networks": {"enabled": False}}, source="t.yaml", path=None)
    assert not off.networks_on


def test_networks_enabled_without_a_hub_is_refused_naming_the_key() -> None:
    with pytest.raises(
        ConfigError, match=r"networks\.enabled.*only be enabled on the node hosting the hub"
    ):
        config_from_document({"networks": {}}, source="t.yaml", path=None)
    with pytest.raises(ConfigError, match=r"networks\.colour.*unknown key"):
        config_from_document({**HUB, "networks": {"colour": 1}}, source="t.yaml", path=None)
