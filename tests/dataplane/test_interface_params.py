"""tun/tap parameters: documented defaults, and each bad value refused naming the key."""

import ipaddress

import pytest

from nanoping.dataplane import ConfigError, validate_config
from nanoping.dataplane.components.tun import TapParams, TunParams, prefix_length
from nanoping.dataplane.fakes import config_doc


def test_defaults_are_the_documented_ones() -> None:
    tun, tap = TunParams(), TapParams()
    assert (tun.interface_name, tap.interface_name) == ("tun0", "tap0")
    for params in (tun, tap):
        assert (params.ip, params.netmask, params.is_default_route, params.mtu) == (
            "10.0.0.1",
            "255.255.255.0",
            False,
            1280,
        )
    assert tun.generic_offload is False
    assert not hasattr(tap, "generic_offload")


@pytest.mark.parametrize(
    ("kind", "key", "value", "message"),
    [
        ("tun", "interface_name", "a-name-far-too-long", "interface names have 1 to 15 bytes"),
        ("tap", "interface_name", "a/b", "is not a valid interface name"),
        ("tun", "ip", "10.0.0", "expected an IPv4 or IPv6 address, got '10.0.0'"),
        ("tap", "netmask", "255.0.255.0", "expected a netmask such as 255.255.255.0"),
        ("tap", "netmask", "129", "expected a netmask such as 255.255.255.0"),
        ("tun", "mtu", 40, "must be >= 68, got 40"),
        ("tap", "generic_offload", False, "unknown parameter"),
    ],
)
def test_bad_values_are_refused_naming_the_key(
    kind: str, key: str, value: object, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        validate_config(config_doc({"dev": {kind: {key: value}}}))
    assert f"component 'dev', key '{key}': " in str(caught.value)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("ip", "netmask", "length"),
    [
        ("10.0.0.1", "255.255.255.0", 24),
        ("10.0.0.1", "16", 16),
        ("fd00::1", "64", 64),
        ("fd00::1", "255.255.255.0", 128),
    ],
)
def test_prefix_lengths_follow_the_address_family(ip: str, netmask: str, length: int) -> None:
    assert prefix_length(ipaddress.ip_address(ip), netmask) == length


def test_an_ipv4_prefix_longer_than_32_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match=r"prefix length 64 is too long for 10\.0\.0\.1"):
        prefix_length(ipaddress.ip_address("10.0.0.1"), "64")
