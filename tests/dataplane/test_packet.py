"""The data plane's Packet type (made in C for speed) keeps the behaviour of the Python class
it replaced: three slots, metadata made on first use, derive copying the metadata."""

from __future__ import annotations

import gc

import pytest

from nanoping.dataplane.packet import Packet, PacketMeta


def test_positional_and_keyword_construction_give_the_same_packet() -> None:
    a = Packet(b"abc", 1.5)
    b = Packet(payload=b"abc", created=1.5)
    c = Packet(b"abc", created=1.5, meta=None)
    for packet in (a, b, c):
        assert (packet.payload, packet.created, packet.meta) == (b"abc", 1.5, None)


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [
        ((b"x",), {}),
        ((), {"payload": b"x"}),
        ((b"x", 1.0, None, None), {}),
        ((b"x", 1.0), {"colour": "red"}),
        ((b"x",), {"payload": b"y", "created": 1.0}),
    ],
)
def test_wrong_arguments_are_a_type_error(
    args: tuple[object, ...], kwargs: dict[str, object]
) -> None:
    with pytest.raises(TypeError):
        Packet(*args, **kwargs)  # type: ignore[arg-type]


def test_slots_can_be_rewritten_as_components_do() -> None:
    packet = Packet(b"sealed?", 0.0)
    packet.payload = b"sealed!"
    packet.created = 2.0
    packet.meta = PacketMeta(stream=7)
    assert (packet.payload, packet.created, packet.meta.stream) == (b"sealed!", 2.0, 7)
    with pytest.raises(AttributeError):
        packet.colour = "red"  # type: ignore[attr-defined]


def test_info_makes_metadata_once_and_keeps_it() -> None:
    packet = Packet(b"x", 0.0)
    assert packet.meta is None
    info = packet.info
    assert isinstance(info, PacketMeta)
    info.stream = 3
    assert packet.info is info
    assert packet.meta is info


def test_derive_shares_the_bytes_and_copies_the_metadata() -> None:
    payload = bytes(1200)
    packet = Packet(payload, 4.0, PacketMeta(stream=1, timestamps={"sent": 1.0}))
    copy = packet.derive()
    assert copy.payload is payload
    assert copy.created == 4.0
    assert copy.meta is not None
    assert copy.meta is not packet.meta
    copy.info.timestamps["sent"] = 9.0
    copy.info.carrier = 2
    assert packet.info.timestamps == {"sent": 1.0}
    assert packet.info.carrier is None
    assert packet.derive(b"other").payload == b"other"
    assert packet.derive(payload=b"kw").payload == b"kw"
    assert Packet(b"y", 0.0).derive().meta is None
    with pytest.raises(TypeError):
        packet.derive(b"a", b"b")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        packet.derive(data=b"a")  # type: ignore[call-arg]


def test_repr_names_size_time_and_metadata() -> None:
    assert repr(Packet(b"abc", 1.5)) == "Packet(3 bytes, created=1.500000)"
    labelled = repr(Packet(b"", 0.0, PacketMeta(stream=2)))
    assert labelled.startswith("Packet(0 bytes, created=0.000000, PacketMeta(stream=2")


def test_a_packet_in_a_reference_cycle_is_collected() -> None:
    gc.collect()
    before = sum(isinstance(o, Packet) for o in gc.get_objects())
    for _ in range(100):
        packet = Packet(b"x", 0.0)
        packet.meta = PacketMeta(timestamps={"self": packet})  # type: ignore[dict-item]
    del packet
    gc.collect()
    assert sum(isinstance(o, Packet) for o in gc.get_objects()) == before
