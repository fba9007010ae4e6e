"""Built-in pipeline components; importing this package registers them by config name."""

from nanoping.dataplane.components import bomb, impairment, router, tracker, traffic, tun, udp

__all__ = ["bomb", "impairment", "router", "tracker", "traffic", "tun", "udp"]
