"""Golden bytes and round trips of the headers that cross UDP hops."""

from nanoping.dataplane.header import LatencyHeader, LossHeader, TrafficHeader


def test_traffic_header_golden_bytes() -> None:
    data = TrafficHeader.pack(258, 1.5)
    assert data == bytes.fromhex("4e54 0100 0000000000000102 000000000016e360")
    assert TrafficHeader.SIZE == len(data) == 20
    assert TrafficHeader.unpack(data + b"payload") == (258, 1.5)


def test_latency_header_golden_bytes() -> None:
    data = LatencyHeader.pack(1_700_000_000.25)
    assert data == bytes.fromhex("4e4c 0100 00060a2418221090")
    assert LatencyHeader.SIZE == len(data) == 12
    assert LatencyHeader.unpack(data) == 1_700_000_000.25


def test_loss_header_golden_bytes() -> None:
    data = LossHeader.pack(7)
    assert data == bytes.fromhex("4e53 0100 0000000000000007")
    assert LossHeader.unpack(data + b"x") == 7


def test_foreign_bytes_are_not_mistaken_for_headers() -> None:
    assert TrafficHeader.unpack(b"short") is None
    assert TrafficHeader.unpack(bytes(20)) is None
    assert LatencyHeader.unpack(LossHeader.pack(1)) is None
    assert LossHeader.unpack(LatencyHeader.pack(1.0)) is None
    assert LossHeader.unpack(b"NS\x02\x00" + bytes(8)) is None
