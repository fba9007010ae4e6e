"""Built-in pipeline components; importing this package registers them by config name."""

from nanoping.dataplane.components import bomb, chatter, impairment, tracker, traffic, udp

__all__ = ["bomb", "chatter", "impairment", "tracker", "traffic", "udp"]
