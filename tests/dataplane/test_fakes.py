"""The shipped test doubles behave as documented."""

import pytest

from nanoping.dataplane.fakes import FakeClock, FakeDatagramLink


def test_fake_clock_moves_only_forward() -> None:
    clock = FakeClock(5.0)
    clock.advance(0.5)
    clock.set(6.0)
    assert clock.now() == 6.0
    with pytest.raises(ValueError, match="backwards"):
        clock.set(1.0)
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(-1.0)


def fates(seed: int) -> tuple[list[bytes], int, int, int]:
    link = FakeDatagramLink(seed=seed, loss=0.1, duplication=0.05, reorder=0.1, delay=0.01)
    for i in range(1000):
        link.send(i.to_bytes(2, "big"), i * 0.0001)
    return link.receive(10.0), link.lost, link.duplicated, link.reordered


def test_datagram_link_is_repeatable_per_seed() -> None:
    assert fates(3) == fates(3)
    assert fates(3) != fates(4)


def test_datagram_link_loses_duplicates_and_reorders() -> None:
    arrived, lost, duplicated, reordered = fates(3)
    numbers = [int.from_bytes(data, "big") for data in arrived]
    assert len(numbers) == 1000 - lost + duplicated
    assert len(set(numbers)) == 1000 - lost
    assert numbers != sorted(numbers)
    assert min(lost, duplicated, reordered) > 0


def test_datagram_link_delivers_after_its_delay() -> None:
    link = FakeDatagramLink(delay=0.02)
    link.send(b"x", 1.0)
    assert link.next_deadline() == 1.02
    assert link.receive(1.019) == []
    assert link.receive(1.02) == [b"x"]
    assert link.next_deadline() is None
