"""Built-in pipeline components; importing this package registers them by config name."""

from nanoping.dataplane.components import (
    bandwidth,
    bomb,
    channel_model,
    impairment,
    router,
    tracker,
    traffic,
    tun,
    udp,
)

__all__ = [
    "bandwidth",
    "bomb",
    "channel_model",
    "impairment",
    "router",
    "tracker",
    "traffic",
    "tun",
    "udp",
]
