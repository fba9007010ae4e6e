"""Block codes: any loss pattern within a code's power is repaired byte-identically; beyond it the
counters say exactly what was lost; reordering and duplicates change nothing."""

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nanoping.fec import gf256, reference
from nanoping.fec.block import (
    BlockCode,
    BlockConfig,
    BlockDecoder,
    BlockEncoder,
    Parity2dCode,
    ReedSolomonCode,
    RlncCode,
)
from nanoping.fec.symbol import SymbolError

K, M = 6, 3


def codes() -> list[BlockCode]:
    config = BlockConfig(symbols=K, repair=M, timeout=10.0)
    return [RlncCode(config), ReedSolomonCode(config), Parity2dCode(config, columns=3)]


def transfer(
    code: BlockCode, payloads: list[bytes], drop: set[int], seed: int
) -> tuple[list[bytes], BlockDecoder]:
    encoder, decoder = BlockEncoder(code), BlockDecoder(code)
    datagrams: list[bytes] = []
    for payload in payloads:
        datagrams += encoder.encode(payload, 0.0)
    datagrams += encoder.poll(1.0)  # the last, short block
    kept = [d for i, d in enumerate(datagrams) if i not in drop]
    rng = random.Random(seed)
    rng.shuffle(kept)
    kept += rng.sample(kept, min(len(kept), 3))  # duplicates
    delivered: list[bytes] = []
    for datagram in kept:
        delivered += decoder.receive(datagram, 2.0)
    decoder.poll(100.0)
    return delivered, decoder


def blocks_of(payload_count: int, repairs: int) -> list[tuple[list[int], list[int]]]:
    """Datagram indexes of each block: (sources, repairs)."""
    out, index = [], 0
    for start in range(0, payload_count, K):
        n = min(K, payload_count - start)
        out.append((list(range(index, index + n)), list(range(index + n, index + n + repairs))))
        index += n + repairs
    return out


payload_lists = st.lists(st.binary(max_size=200), min_size=1, max_size=40).map(
    lambda ps: [i.to_bytes(2, "big") + p for i, p in enumerate(ps)]
)


@pytest.mark.parametrize("code", codes(), ids=lambda c: c.name)
@settings(max_examples=40, deadline=None)
@given(payloads=payload_lists, data=st.data())
def test_within_the_codes_power_every_source_comes_back(
    code: BlockCode, payloads: list[bytes], data: st.DataObject
) -> None:
    # RLNC and RS rebuild any M losses of a block; 2-D parity any single loss.
    power = 1 if isinstance(code, Parity2dCode) else M
    drop: set[int] = set()
    for sources, repairs in blocks_of(len(payloads), code.repair_count()):
        packets = sources + repairs
        drop |= set(data.draw(st.lists(st.sampled_from(packets), max_size=power)))
    delivered, decoder = transfer(code, payloads, drop, seed=len(drop))
    assert sorted(delivered) == payloads
    if not isinstance(code, RlncCode):  # random coefficients: rank may (rarely) fall short
        assert decoder.counters.lost == 0


@pytest.mark.parametrize("code", codes(), ids=lambda c: c.name)
@settings(max_examples=40, deadline=None)
@given(payloads=payload_lists, loss=st.floats(0, 0.7), seed=st.integers(0, 1000))
def test_beyond_it_the_counters_say_exactly_what_was_lost(
    code: BlockCode, payloads: list[bytes], loss: float, seed: int
) -> None:
    rng = random.Random(seed)
    layout = blocks_of(len(payloads), code.repair_count())
    drop = set()
    for sources, repairs in layout:
        drop |= {i for i in sources + repairs[1:] if rng.random() < loss}  # one repair arrives
    delivered, decoder = transfer(code, payloads, drop, seed=seed)
    assert len(set(delivered)) == len(delivered)
    assert set(delivered) <= set(payloads)
    assert len(delivered) + decoder.counters.lost == len(payloads)
    assert decoder.counters.decode_failures == 0


def test_rlnc_and_reed_solomon_rebuild_from_repairs_alone() -> None:
    for code in codes()[:2]:
        payloads = [bytes([i]) * (10 * i) for i in range(K)]
        drop = {0, 1, 2}  # three sources lost, three repairs arrive
        delivered, decoder = transfer(code, payloads, drop, seed=1)
        assert sorted(delivered) == sorted(payloads)
        assert decoder.counters.recovered == 3


def test_a_decoder_gives_up_on_a_block_after_its_timeout() -> None:
    code = ReedSolomonCode(BlockConfig(symbols=4, repair=1, timeout=0.5))
    encoder, decoder = BlockEncoder(code), BlockDecoder(code)
    sent = [d for i in range(4) for d in encoder.encode(bytes([i]), 0.0)]
    for datagram in sent[2:4]:
        decoder.receive(datagram, 1.0)
    assert decoder.next_deadline() == 1.5
    decoder.poll(1.49)
    assert decoder.counters.open_blocks == 1
    decoder.poll(1.5)
    assert decoder.counters.lost == 2
    assert decoder.receive(sent[4], 1.6) == []  # the repair, too late
    assert decoder.counters.late == 1


def test_malformed_packets_are_counted_not_raised() -> None:
    code = codes()[1]
    decoder = BlockDecoder(code)
    for datagram in [b"", b"\x30\x00", b"\x31" + bytes(8), b"\x30\x00\x00\x00\x00\xff\xff"]:
        assert decoder.receive(datagram, 0.0) == []
    assert decoder.counters.decode_failures == 4


def test_parity_2d_needs_whole_rows() -> None:
    with pytest.raises(ValueError, match=r"symbols \(10\) must be a multiple of columns \(4\)"):
        Parity2dCode(BlockConfig(symbols=10), columns=4)


@pytest.mark.parametrize("repair", [4, 6])
def test_reed_solomon_repairs_are_the_documented_matrix(repair: int) -> None:
    # Up to 4 repairs: repair r = sum over j of (2^r)^j * symbol j (ISA-L Vandermonde);
    # beyond: repair r = sum over j of 1/((k + r) xor j) * symbol j (ISA-L Cauchy).
    k = 10
    code = ReedSolomonCode(BlockConfig(symbols=k, repair=repair))
    rng = random.Random(repair)
    symbols = [rng.randbytes(64) for _ in range(k)]
    for r, data in enumerate(code.repairs(0, symbols)):
        if repair <= 4:
            coefs = bytes(gf256.EXP[(r * j) % 255] for j in range(k))
        else:
            coefs = bytes(gf256.inverse((k + r) ^ j) for j in range(k))
        expected = bytearray(64)
        gf256.combine(expected, symbols, coefs)
        assert data == expected


def test_rlnc_repairs_are_the_documented_combination() -> None:
    code = RlncCode(BlockConfig(symbols=4, repair=2))
    symbols = [bytes([i]) * 8 for i in range(1, 5)]
    for j, data in enumerate(code.repairs(7, symbols)):
        expected = bytearray(8)
        gf256.combine(expected, symbols, gf256.coefficients((7 << 8) | j, 4))
        assert data == expected


def lossy_run(
    code: BlockCode, payloads: list[bytes], drop: set[int]
) -> tuple[list[bytes], BlockDecoder]:
    encoder, decoder = BlockEncoder(code), BlockDecoder(code)
    datagrams = [d for p in payloads for d in encoder.encode(p, 0.0)] + encoder.poll(1.0)
    delivered = [
        p for i, d in enumerate(datagrams) if i not in drop for p in decoder.receive(d, 0.5)
    ]
    return delivered, decoder


@pytest.mark.parametrize("kind", [RlncCode, ReedSolomonCode])
@settings(max_examples=30, deadline=None)
@given(payloads=payload_lists, data=st.data())
def test_decode_tables_change_nothing_but_the_work(
    kind: type[RlncCode] | type[ReedSolomonCode], payloads: list[bytes], data: st.DataObject
) -> None:
    drop: set[int] = set()
    for sources, repairs in blocks_of(len(payloads), M):
        drop |= set(data.draw(st.lists(st.sampled_from(sources + repairs), max_size=M)))
    runs = []
    for tables in (0, 2, 256):
        config = BlockConfig(symbols=K, repair=M, repeat_coefficients=True, decode_tables=tables)
        delivered, decoder = lossy_run(kind(config), payloads, drop)
        assert decoder.decode_tables <= tables  # the cache stays within its bound
        runs.append((delivered, decoder.counters.recovered, decoder.counters.lost))
    assert runs[0] == runs[1] == runs[2]


@pytest.mark.parametrize("repeat", [False, True])
def test_a_repeated_loss_pattern_reuses_its_decode_table(repeat: bool) -> None:
    config = BlockConfig(symbols=K, repair=M, repeat_coefficients=repeat)
    payloads = [bytes([i]) * (i + 1) for i in range(5 * K)]
    per_block = K + M
    drop = {b * per_block + i for b in range(5) for i in (1, 4)}  # the same two in each block
    delivered, decoder = lossy_run(RlncCode(config), payloads, drop)
    assert sorted(delivered) == payloads
    hits, misses = decoder.counters.decode_table_hits, decoder.counters.decode_table_misses
    # RLNC's coefficients change per block unless repeated; Reed-Solomon's never change.
    assert (hits, misses) == ((4, 1) if repeat else (0, 5))
    _, rs = lossy_run(ReedSolomonCode(config), payloads, drop)
    assert (rs.counters.decode_table_hits, rs.counters.decode_table_misses) == (4, 1)


@settings(max_examples=40, deadline=None)
@given(
    payloads=payload_lists,
    cuts=st.lists(st.integers(0, 40), max_size=6),
    code_index=st.integers(0, 2),
)
def test_a_batch_encodes_to_the_same_datagrams_as_its_packets_one_by_one(
    payloads: list[bytes], cuts: list[int], code_index: int
) -> None:
    code = codes()[code_index]
    one, many = BlockEncoder(code), BlockEncoder(code)
    expected = [d for p in payloads for d in one.encode(p, 0.0)]
    got: list[bytes] = []
    bounds = sorted({0, len(payloads), *(c for c in cuts if c < len(payloads))})
    for a, b in itertools.pairwise(bounds):
        for start, sources, repairs in many.encode_batch(payloads[a:b], 0.0):
            assert len(sources) >= 1
            assert start < b - a
            got += sources + repairs
    assert got == expected
    assert one.counters == many.counters


@pytest.mark.parametrize("code", codes(), ids=lambda c: c.name)
@settings(max_examples=40, deadline=None)
@given(payloads=payload_lists, data=st.data())
def test_the_native_decoder_does_exactly_what_the_python_one_does(
    code: BlockCode, payloads: list[bytes], data: st.DataObject
) -> None:
    # Loss, reordering, duplicates, junk, blocks evicted (max_blocks) and timed out on the way.
    config = BlockConfig(symbols=K, repair=M, timeout=0.05, max_blocks=3)
    code = type(code)(config, columns=3) if isinstance(code, Parity2dCode) else type(code)(config)
    encoder = BlockEncoder(code)
    datagrams = [d for p in payloads for d in encoder.encode(p, 0.0)] + encoder.poll(1.0)
    junk = [b"", bytes([code.source_type]) + bytes(6), bytes([code.repair_type, 0, 0, 0, 0, 0, 9])]
    stream = data.draw(st.permutations(datagrams + junk))
    stream = [d for d in stream if data.draw(st.floats(0, 1)) > 0.2]
    stream += data.draw(st.lists(st.sampled_from(stream), max_size=4)) if stream else []
    cuts = sorted(set(data.draw(st.lists(st.integers(0, len(stream)), max_size=5))))
    native, python = BlockDecoder(code), BlockDecoder(code, native=False)
    now = 0.0
    for a, b in itertools.pairwise([0, *cuts, len(stream)]):
        now += data.draw(st.sampled_from([0.0, 0.01, 0.06]))
        assert native.receive_batch(stream[a:b], now) == python.receive_batch(stream[a:b], now)
        assert native.next_deadline() == python.next_deadline()
        native.poll(now)
        python.poll(now)
    native.poll(now + 1.0)
    python.poll(now + 1.0)
    assert native.counters == python.counters


@pytest.mark.parametrize("code_index", [0, 1, 2])
@settings(max_examples=30, deadline=None)
@given(
    payloads=payload_lists,
    cuts=st.lists(st.integers(0, 40), max_size=6),
    flushes=st.sets(st.integers(0, 40), max_size=3),
    repeat=st.booleans(),
)
def test_the_encoder_sends_the_documented_datagrams(
    code_index: int, payloads: list[bytes], cuts: list[int], flushes: set[int], repeat: bool
) -> None:
    # Against the reference framing and coding with the code's own matrix of each block:
    # batches of any size, short blocks flushed between them, RLNC seeded per block or not.
    config = BlockConfig(symbols=K, repair=M, repeat_coefficients=repeat)
    code = [RlncCode(config), ReedSolomonCode(config), Parity2dCode(config, columns=3)][code_index]
    encoder = BlockEncoder(code)
    got: list[bytes] = []
    expected: list[bytes] = []
    block, held = 0, list[bytes]()
    now = 0.0

    def close() -> None:
        nonlocal block, held
        matrix = code.matrix(block)
        repairs = code.repair_count()
        _, datagrams = reference.encode_block(
            code.source_type, code.repair_type, block, held, [], matrix, repairs
        )
        expected.extend(datagrams)
        block, held = block + 1, []

    bounds = sorted({0, len(payloads), *(c for c in cuts if c < len(payloads))})
    for a, b in itertools.pairwise(bounds):
        for _, sources, repairs in encoder.encode_batch(payloads[a:b], now):
            got += sources + repairs
        for payload in payloads[a:b]:
            expected += reference.encode_block(
                code.source_type, code.repair_type, block, held, [payload], b"", 0
            )[0]
            held = [*held, payload]
            if len(held) == K:
                close()
        if a in flushes:
            now += 1.0
            got += encoder.poll(now)
            if held:
                close()
    assert got == expected
    assert encoder.counters.sources_sent == len(payloads)
    assert encoder.counters.block_fill == len(held)


def test_an_oversized_payload_sends_nothing_and_changes_nothing() -> None:
    encoder = BlockEncoder(ReedSolomonCode(BlockConfig(symbols=K, repair=M)))
    encoder.encode_batch([b"a"], 0.0)
    before = encoder.counters
    with pytest.raises(SymbolError, match="payload of 70000 bytes is over the 65535-byte limit"):
        encoder.encode_batch([b"b"] * K + [bytes(70_000)], 1.0)
    assert encoder.counters == before
    assert encoder.next_deadline() == BlockConfig().flush
    with pytest.raises(TypeError, match="payloads must be bytes"):
        encoder.encode_batch([bytearray(b"c")], 1.0)  # type: ignore[list-item]
    assert [d[5:] for d in encoder.encode_batch([b"b"], 1.0)[0][1]] == [b"\0\x01b"]
