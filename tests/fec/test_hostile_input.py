"""Decoders and openers face the network: no datagram, however made, raises out of them, and
what they deliver afterwards is still right."""

import random
import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from nanoping.fec import gf256
from nanoping.fec.aead import Opener, Sealer
from nanoping.fec.block import (
    BlockConfig,
    BlockDecoder,
    BlockEncoder,
    Parity2dCode,
    ReedSolomonCode,
    RlncCode,
)
from nanoping.fec.linear_system import LinearSystem
from nanoping.fec.sliding_window import (
    HISTORY_WINDOWS,
    REPAIR_TYPE,
    SOURCE_TYPE,
    TERMS_PER_WINDOW,
    SlidingWindowConfig,
    SlidingWindowDecoder,
    SlidingWindowEncoder,
)


def valid_stream(kind: str) -> tuple[list[bytes], object]:
    if kind.startswith("rely"):
        in_order = kind == "rely-in-order"
        config = SlidingWindowConfig(repair_rate=0.3, max_window=16, release_in_order=in_order)
        encoder = SlidingWindowEncoder(config)
        decoder: object = SlidingWindowDecoder(config)
    else:
        block = BlockConfig(symbols=6, repair=2)
        code = {
            "rlnc": RlncCode(block),
            "reed_solomon": ReedSolomonCode(block),
            "parity_2d": Parity2dCode(block, columns=3),
        }[kind]
        encoder, decoder = BlockEncoder(code), BlockDecoder(code)  # type: ignore[assignment]
    datagrams = [d for i in range(30) for d in encoder.encode(bytes([i]) * (i % 7 * 40), 0.0)]
    return datagrams, decoder


def mutate(datagram: bytes, rng: random.Random) -> bytes:
    """A changed copy: a flipped bit, a cut, bytes added, or another header."""
    data = bytearray(datagram)
    choice = rng.randrange(4)
    if choice == 0 and data:
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif choice == 1 and data:
        del data[rng.randrange(len(data)) :]
    elif choice == 2:
        data += rng.randbytes(1 + rng.randrange(50))
    else:
        data[1:5] = rng.randbytes(4)
    return bytes(data)


@settings(max_examples=80, deadline=None)
@given(
    kind=st.sampled_from(["rely", "rely-in-order", "rlnc", "reed_solomon", "parity_2d"]),
    seed=st.integers(0, 2**32),
    garbage=st.lists(st.binary(max_size=80), max_size=10),
)
def test_decoders_survive_mutated_and_random_datagrams(
    kind: str, seed: int, garbage: list[bytes]
) -> None:
    datagrams, decoder = valid_stream(kind)
    rng = random.Random(seed)
    hostile = [mutate(d, rng) for d in datagrams if rng.random() < 0.3] + garbage
    stream = datagrams + hostile
    rng.shuffle(stream)
    for datagram in stream:
        out = decoder.receive(datagram, 0.0)  # type: ignore[attr-defined]
        assert isinstance(out, list)
    decoder.poll(1e9)  # type: ignore[attr-defined]


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32), garbage=st.lists(st.binary(max_size=60), max_size=10))
def test_opener_passes_only_what_was_sealed(seed: int, garbage: list[bytes]) -> None:
    sealer, opener = Sealer("chacha20_poly1305", bytes(32)), Opener("chacha20_poly1305", bytes(32))
    rng = random.Random(seed)
    sent = [rng.randbytes(rng.randrange(100)) for _ in range(20)]
    packets = [sealer.seal(p) for p in sent]
    hostile = [mutate(p, rng) for p in packets] + garbage
    opened = [opener.open(p) for p in hostile + packets]
    assert [p for p in opened if p is not None] == sent  # forgeries never pass; originals do


@settings(max_examples=60, deadline=None)
@given(
    truth=st.lists(st.binary(min_size=5, max_size=5), min_size=1, max_size=8),
    seeds=st.lists(st.integers(0, 2**32 - 1), min_size=12, max_size=12, unique=True),
)
def test_linear_system_solves_each_unknown_to_its_true_value(
    truth: list[bytes], seeds: list[int]
) -> None:
    system = LinearSystem(max_rows=64)
    solved: dict[int, bytes] = {}
    for seed in seeds:
        coefs = gf256.coefficients(seed, len(truth))
        data = bytearray(5)
        gf256.combine(data, truth, coefs)
        for known, symbol in solved.items():  # as the decoders do: known symbols go first
            gf256.mul_add(data, symbol, coefs[known])
        equation = {i: c for i, c in enumerate(coefs) if i not in solved}
        for unknown, found in system.add(equation, data):
            solved[unknown] = bytes(found)
    for unknown, symbol in solved.items():
        assert symbol == truth[unknown]
    # 12 dense random equations in at most 8 unknowns: full rank but with odds near 256^-4
    assert len(solved) == len(truth)
    assert len(system) == 0


def test_a_flood_of_repairs_over_missing_sources_costs_bounded_work_per_repair() -> None:
    """Repairs over nothing but missing packets (heavy loss, or a peer that wants our CPU):
    each costs the decoder a bounded amount of elimination, however long the flood lasts."""
    config = SlidingWindowConfig(repair_rate=0.1, max_window=255, timeout=10.0)
    decoder = SlidingWindowDecoder(config)
    system = decoder._system  # its work counter is what this test is about
    limit = TERMS_PER_WINDOW * config.max_window
    rng = random.Random(7)
    worst = 0
    decoder.receive(struct.pack(">BI", SOURCE_TYPE, 0) + b"first", 0.0)
    for _ in range(1500):
        first = rng.randrange(1, HISTORY_WINDOWS * config.max_window - config.max_window)
        header = struct.pack(">BHHI", REPAIR_TYPE, rng.randrange(1 << 16), 15 << 12 | 255, first)
        before = system.work
        assert decoder.receive(header + rng.randbytes(64), 0.0) == []
        worst = max(worst, system.work - before)
        assert sum(len(row.coefs) for row in system._rows.values()) <= limit
    assert worst <= 2 * limit
    assert decoder.counters.equations_dropped > 1000, decoder.counters
    assert decoder.counters.equations == len(system) <= limit // 2


def test_the_linear_system_drops_oldest_equations_beyond_its_bounds() -> None:
    system = LinearSystem(max_rows=100, max_terms=6, max_unknowns=3)
    assert system.add({1: 1, 2: 1, 3: 1, 4: 1}, bytearray(4)) == []  # too many unknowns
    assert (len(system), system.dropped) == (0, 1)
    system.add({1: 1, 2: 1}, bytearray(4))
    system.add({3: 1, 4: 1}, bytearray(4))
    system.add({5: 1, 6: 1, 7: 1}, bytearray(4))  # 7 coefficients: the oldest equation goes
    assert system.unknowns() == {3, 4, 5, 6, 7}
    assert (len(system), system.dropped) == (2, 2)
