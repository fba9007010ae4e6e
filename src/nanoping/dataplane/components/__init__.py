"""Built-in pipeline components; importing this package registers them by config name."""

from nanoping.dataplane.components import (
    bomb,
    encryption,
    fec,
    impairment,
    raft,
    tracker,
    traffic,
    udp,
)

__all__ = ["bomb", "encryption", "fec", "impairment", "raft", "tracker", "traffic", "udp"]
