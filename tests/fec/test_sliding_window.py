"""Sliding-window RLC codec: recovery within its power, exact accounting beyond it, fake-clock timing."""

import itertools
import random
from dataclasses import asdict

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nanoping.fec import gf256
from nanoping.fec.sliding_window import (
    REPAIR_TYPE,
    SOURCE_TYPE,
    SlidingWindowConfig,
    SlidingWindowDecoder,
    SlidingWindowEncoder,
)

payload_lists = st.lists(st.binary(min_size=0, max_size=300), min_size=1, max_size=120)


def run(
    config: SlidingWindowConfig, payloads: list[bytes], drop: set[int], *, seed: int = 0
) -> tuple[list[bytes], SlidingWindowDecoder]:
    """Encode every payload 1 ms apart, drop the datagrams whose index is in ``drop``, reorder
    neighbours and duplicate some (seeded), flush, and decode everything."""
    encoder, decoder = SlidingWindowEncoder(config), SlidingWindowDecoder(config)
    datagrams: list[bytes] = []
    for index, payload in enumerate(payloads):
        datagrams += encoder.encode(payload, index * 0.001)
    last = len(datagrams) - 1  # the last datagram and the flush always arrive
    datagrams = [d for i, d in enumerate(datagrams) if i not in drop or i == last]
    datagrams += encoder.poll(encoder.next_deadline() or 0.0)
    rng = random.Random(seed)
    for i in range(1, len(datagrams) - 1):
        if rng.random() < 0.2:
            datagrams[i], datagrams[i + 1] = datagrams[i + 1], datagrams[i]
    delivered: list[bytes] = []
    for datagram in datagrams:
        for _ in range(2 if rng.random() < 0.1 else 1):
            delivered += decoder.receive(datagram, 1.0)
    delivered += decoder.poll(1.0 + config.timeout)
    return delivered, decoder


@settings(max_examples=60, deadline=None)
@given(payloads=payload_lists, losses=st.data(), seed=st.integers(0, 1000))
def test_every_source_comes_back_byte_identical_within_the_codes_power(
    payloads: list[bytes], losses: st.DataObject, seed: int
) -> None:
    # One repair after every 4 sources over a long window: one lost datagram in each group of
    # five (4 sources + 1 repair) is always recoverable.
    config = SlidingWindowConfig(
        repair_rate=0.25, window_time=10.0, max_window=200, timeout=5.0, release_in_order=True
    )
    groups = (len(payloads) + 3) // 4
    drop = {
        5 * group + losses.draw(st.integers(0, 4), label=f"lost in group {group}")
        for group in range(groups)
        if losses.draw(st.booleans(), label=f"group {group} loses one")
    }
    drop.discard(0)  # the decoder starts at the first datagram it sees
    delivered, decoder = run(config, payloads, drop, seed=seed)
    assert delivered == payloads
    assert decoder.counters.lost == 0
    assert decoder.counters.decode_failures == 0


def _lossy_config(in_order: bool) -> SlidingWindowConfig:
    """A 16-packet window at 20 % repair, loose enough in time that only losses decide."""
    return SlidingWindowConfig(
        repair_rate=0.2, window_time=10.0, max_window=16, timeout=5.0, release_in_order=in_order
    )


def _random_drops(sources: int, loss: float, seed: int) -> set[int]:
    """Datagram indexes (sources and repairs, never the first) lost at random rate ``loss``."""
    rng = random.Random(seed)
    return {i for i in range(1, 2 * sources) if rng.random() < loss}


@settings(max_examples=60, deadline=None)
@given(
    payloads=payload_lists,
    loss=st.floats(0.0, 0.6),
    seed=st.integers(0, 2**16),
    in_order=st.booleans(),
)
def test_beyond_its_power_the_counters_say_exactly_what_was_lost(
    payloads: list[bytes], loss: float, seed: int, in_order: bool
) -> None:
    config = _lossy_config(in_order)
    payloads = [i.to_bytes(2, "big") + payload for i, payload in enumerate(payloads)]
    drop = _random_drops(len(payloads), loss, seed)
    delivered, decoder = run(config, payloads, drop, seed=seed)
    counters = decoder.counters
    assert len(delivered) + counters.lost == len(payloads)
    assert len(set(delivered)) == len(delivered)
    assert set(delivered) <= set(payloads)
    assert counters.decode_failures == 0
    if in_order:
        assert delivered == sorted(delivered)


def test_the_decoder_gives_up_after_timeout_and_releases_in_order() -> None:
    config = SlidingWindowConfig(repair_rate=0.01, timeout=0.1, release_in_order=True)
    encoder, decoder = SlidingWindowEncoder(config), SlidingWindowDecoder(config)
    sent = [encoder.encode(bytes([i]), 0.0)[0] for i in range(4)]
    assert decoder.receive(sent[0], 0.0) == [b"\x00"]
    assert decoder.receive(sent[2], 0.01) == []  # held: packet 1 is missing
    assert decoder.receive(sent[3], 0.02) == []
    assert decoder.next_deadline() == 0.01 + 0.1
    assert decoder.poll(0.1) == []
    assert decoder.counters.missing == 1
    assert decoder.poll(0.11) == [b"\x02", b"\x03"]
    assert decoder.counters.lost == 1
    assert decoder.next_deadline() is None
    assert decoder.receive(sent[1], 0.2) == []  # too late: given up
    assert decoder.counters.late == 1


def test_without_release_in_order_sources_are_delivered_at_once() -> None:
    config = SlidingWindowConfig(repair_rate=0.01, timeout=0.1)
    encoder, decoder = SlidingWindowEncoder(config), SlidingWindowDecoder(config)
    sent = [encoder.encode(bytes([i]), 0.0)[0] for i in range(3)]
    assert decoder.receive(sent[0], 0.0) == [b"\x00"]
    assert decoder.receive(sent[2], 0.0) == [b"\x02"]
    assert decoder.receive(sent[1], 0.05) == [b"\x01"]  # reordered, still in time
    assert decoder.counters.lost == 0
    assert decoder.counters.missing == 0


def test_the_encoder_flushes_one_repair_when_the_window_ends() -> None:
    config = SlidingWindowConfig(repair_rate=0.1, window_time=0.075, timeout=0.2)
    encoder, decoder = SlidingWindowEncoder(config), SlidingWindowDecoder(config)
    first = encoder.encode(b"one", 10.0)
    second = encoder.encode(b"two!", 10.02)
    third = encoder.encode(b"three", 10.03)
    assert [len(datagrams) for datagrams in (first, second, third)] == [1, 1, 1]
    assert encoder.next_deadline() == 10.0 + 0.075
    assert encoder.poll(10.07) == []
    (flush,) = encoder.poll(10.075)
    assert flush[0] == REPAIR_TYPE
    assert int.from_bytes(flush[3:5], "big") & 0xFFF == 3  # covers the three sources
    assert encoder.next_deadline() is None
    assert encoder.counters.flushes == 1
    assert decoder.receive(first[0], 10.0) == [b"one"]
    assert decoder.receive(third[0], 10.03) == [b"three"]
    assert decoder.receive(flush, 10.08) == [b"two!"]  # rebuilt, its length restored
    assert decoder.counters.recovered == 1


def test_the_window_is_capped_in_time_and_in_packets() -> None:
    config = SlidingWindowConfig(repair_rate=0.5, window_time=0.01, max_window=3)
    encoder = SlidingWindowEncoder(config)
    for i in range(5):
        encoder.encode(bytes(10), i * 0.001)
    assert encoder.counters.window == 3
    out = encoder.encode(bytes(10), 1.0)  # the others are older than the window
    assert encoder.counters.window == 1
    assert [d[0] for d in out] == [SOURCE_TYPE, REPAIR_TYPE]


def test_malformed_datagrams_are_counted_and_dropped() -> None:
    config = SlidingWindowConfig()
    encoder, decoder = SlidingWindowEncoder(config), SlidingWindowDecoder(config)
    assert decoder.receive(encoder.encode(b"hello", 0.0)[0], 0.0) == [b"hello"]
    bad = [
        b"",
        b"\x99garbage",
        b"\x10\x00",  # truncated source header
        bytes([REPAIR_TYPE]) + b"\x00\x01\xf0\x00\x00\x00\x00\x00\xff\xff",  # empty window
        bytes([REPAIR_TYPE]) + b"\x00\x01\x10\x02\x00\x00\x00\x01\xff",  # density not 15
        # a repair shorter than a source it covers cannot be right
        bytes([REPAIR_TYPE]) + b"\x00\x01\xf0\x02\x00\x00\x00\x00\x00\x00",
    ]
    for datagram in bad:
        assert decoder.receive(datagram, 0.0) == []
    assert decoder.counters.decode_failures == len(bad)


def test_sequence_numbers_wrap_around() -> None:
    config = SlidingWindowConfig(repair_rate=0.5, timeout=1.0)
    encoder, decoder = SlidingWindowEncoder(config), SlidingWindowDecoder(config)
    encoder._first_esi = encoder._next_esi = 2**32 - 3  # start just before the wrap
    out: list[bytes] = []
    for i in range(8):
        datagrams = encoder.encode(bytes([i]) * 20, 0.0)
        if i == 4:
            datagrams = datagrams[1:]  # lose the source that crossed the wrap
        for datagram in datagrams:
            out += decoder.receive(datagram, 0.0)
    assert sorted(out) == [bytes([i]) * 20 for i in range(8)]
    assert decoder.counters.recovered == 1


def test_golden_bytes_of_sources_and_repairs() -> None:
    encoder = SlidingWindowEncoder(SlidingWindowConfig(repair_rate=0.5))
    assert encoder.encode(b"hi", 0.0) == [bytes.fromhex("10 00000000") + b"hi"]
    source, repair = encoder.encode(b"abc", 0.0)
    assert source == bytes.fromhex("10 00000001") + b"abc"
    c0, c1 = gf256.coefficients(0, 2)
    symbols = [b"\x00\x02hi\x00", b"\x00\x03abc"]
    data = bytes(gf256.mul(c0, a) ^ gf256.mul(c1, b) for a, b in zip(*symbols, strict=True))
    # key 0, DT 15 and NSS 2, first ESI 0, then the combination of the padded symbols
    assert repair == bytes.fromhex("11 0000 f002 00000000") + data


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 300), min_size=1, max_size=80),
    cuts=st.lists(st.integers(0, 80), max_size=8),
    rate=st.sampled_from([0.05, 0.1, 0.25, 1.0, 2.5]),
    window=st.integers(1, 20),
    tail=st.sampled_from([0, 3]),
    gaps=st.lists(st.sampled_from([0.001, 0.004, 0.03]), min_size=9, max_size=9),
)
def test_a_batch_encodes_to_the_same_datagrams_as_its_packets_one_by_one(
    sizes: list[int], cuts: list[int], rate: float, window: int, tail: int, gaps: list[float]
) -> None:
    config = SlidingWindowConfig(
        repair_rate=rate, max_window=window, window_time=0.01, tail_repairs=tail
    )
    one, many = SlidingWindowEncoder(config), SlidingWindowEncoder(config)
    payloads = [bytes([n % 251]) * n for n in sizes]
    bounds = sorted({0, len(payloads), *(c for c in cuts if c < len(payloads))})
    expected: list[bytes] = []
    got: list[bytes] = []
    now = 0.0
    for step, (a, b) in enumerate(itertools.pairwise(bounds)):
        # Batches 1 to 30 ms apart: sources leave the 10 ms window on the way, and with
        # tail repairs a pause makes the stream quiet.
        if step:
            now += gaps[step - 1]
            for encoder, out in ((one, expected), (many, got)):
                while (due := encoder.next_deadline()) is not None and due <= now:
                    out += encoder.poll(due)
        expected += [d for p in payloads[a:b] for d in one.encode(p, now)]
        for _, sources, repairs in many.encode_batch(payloads[a:b], now):
            got += sources + repairs
        assert one.next_deadline() == pytest.approx(many.next_deadline(), abs=1e-12)
    for encoder, out in ((one, expected), (many, got)):
        while (due := encoder.next_deadline()) is not None:
            out += encoder.poll(due)
    assert one.counters == many.counters


def test_a_loss_leaving_the_history_on_the_in_sequence_path_is_counted_once() -> None:
    config = SlidingWindowConfig(repair_rate=0.1, max_window=4, timeout=100.0)
    encoder, decoder = SlidingWindowEncoder(config), SlidingWindowDecoder(config)
    sources = [encoder.encode(bytes([i % 256]), 0.0)[0] for i in range(200)]
    delivered = [p for i, d in enumerate(sources) if i != 10 for p in decoder.receive(d, 0.0)]
    assert len(delivered) == 199
    # Source 10 left the 64-packet history long before its timeout: given up, exactly once.
    assert (decoder.counters.lost, decoder.counters.missing) == (1, 0)
    assert decoder.receive(sources[10], 0.0) == []
    assert decoder.counters.duplicates == 1


@settings(max_examples=60, deadline=None)
@given(
    payloads=st.lists(st.binary(max_size=80), min_size=1, max_size=150),
    seed=st.integers(0, 2**16),
    loss=st.sampled_from([0.0, 0.1, 0.3]),
    in_order=st.booleans(),
)
def test_receive_source_is_receive_of_the_source_datagram(
    payloads: list[bytes], seed: int, loss: float, in_order: bool
) -> None:
    config = SlidingWindowConfig(
        repair_rate=0.3, max_window=16, timeout=0.02, release_in_order=in_order
    )
    encoder = SlidingWindowEncoder(config)
    general, direct = SlidingWindowDecoder(config), SlidingWindowDecoder(config)
    rng = random.Random(seed)
    flight: list[tuple[float, bytes]] = []
    for index, payload in enumerate(payloads):
        now = index * 0.001
        flight += [(now + rng.random() * 0.03, d) for d in encoder.encode(payload, now)]
        flight += [(now + 0.001, d) for d in encoder.poll(now)]
    flight.sort(key=lambda item: item[0])
    for arrival, datagram in flight:
        if rng.random() < loss:
            continue
        for _ in range(2 if rng.random() < 0.1 else 1):
            expected = general.receive(datagram, arrival)
            if datagram[0] == SOURCE_TYPE:
                esi = int.from_bytes(datagram[1:5], "big")
                got = direct.receive_source(esi, datagram[5:], arrival)
            else:
                got = direct.receive(datagram, arrival)
            assert got == expected
        assert direct.poll(arrival) == general.poll(arrival)
        assert direct.counters == general.counters


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 200), min_size=1, max_size=80),
    gaps=st.lists(st.sampled_from([0.0, 0.001, 0.02]), min_size=80, max_size=80),
    rate=st.sampled_from([0.05, 0.1, 0.5, 1.5]),
)
def test_encode_repairs_is_encode_without_the_source_datagram(
    sizes: list[int], gaps: list[float], rate: float
) -> None:
    config = SlidingWindowConfig(repair_rate=rate, max_window=8, window_time=0.01)
    full, lean = SlidingWindowEncoder(config), SlidingWindowEncoder(config)
    now = 0.0
    for size, gap in zip(sizes, gaps, strict=False):
        now += gap
        assert full.poll(now) == lean.poll(now)
        payload = bytes([size % 251]) * size
        assert lean.encode_repairs(payload, now) == full.encode(payload, now)[1:]
        assert lean.next_deadline() == full.next_deadline()
    assert lean.counters == full.counters


@settings(max_examples=80, deadline=None)
@given(
    payloads=payload_lists,
    loss=st.floats(0.0, 0.4),
    seed=st.integers(0, 2**16),
    in_order=st.booleans(),
)
def test_a_repair_with_one_unknown_rebuilds_what_the_equations_would(
    payloads: list[bytes], loss: float, seed: int, in_order: bool
) -> None:
    config = _lossy_config(in_order)
    drop = _random_drops(len(payloads), loss, seed)
    fast, fast_decoder = run(config, payloads, drop, seed=seed)
    with pytest.MonkeyPatch.context() as patch:  # every repair through the linear system
        patch.setattr(SlidingWindowDecoder, "_solve_one", lambda *args: None)
        general, general_decoder = run(config, payloads, drop, seed=seed)
    assert sorted(fast) == sorted(general)
    if in_order:
        assert fast == general
    assert asdict(fast_decoder.counters) == asdict(general_decoder.counters)


def test_one_unknown_payloads_of_every_length_come_back() -> None:
    config = SlidingWindowConfig(repair_rate=0.5, window_time=10.0, max_window=8)
    payloads = [bytes([n % 251 + 1]) * n for n in (0, 1, 300, 7, 1400, 2)]
    encoder, decoder = SlidingWindowEncoder(config), SlidingWindowDecoder(config)
    datagrams = [d for i, p in enumerate(payloads) for d in encoder.encode(p, i * 0.001)]
    kinds = [d[0] for d in datagrams]
    assert kinds == [SOURCE_TYPE, SOURCE_TYPE, REPAIR_TYPE] * 3
    delivered = []
    for index, datagram in enumerate(datagrams):
        if index not in (1, 3, 7):  # one source lost before each repair
            delivered += decoder.receive(datagram, 0.0)
    assert sorted(delivered) == sorted(payloads)
    assert decoder.counters.recovered == 3
    assert decoder.counters.equations == 0


def _datagram(kind: int, esi: int, payload: bytes) -> bytes:
    return bytes([kind]) + (esi & 0xFFFFFFFF).to_bytes(4, "big") + payload


@settings(max_examples=150, deadline=None)
@given(
    start_esi=st.sampled_from([0, 5, 2**32 - 3]),
    steps=st.lists(
        st.tuples(
            st.sampled_from([SOURCE_TYPE, SOURCE_TYPE, SOURCE_TYPE, REPAIR_TYPE]),
            st.sampled_from([1, 1, 1, 0, 2]),
            st.binary(max_size=8),
        ),
        max_size=30,
    ),
    start=st.integers(0, 5),
    short=st.booleans(),
)
def test_sources_in_sequence_takes_the_run_python_would(
    start_esi: int, steps: list[tuple[int, int, bytes]], start: int, short: bool
) -> None:
    datagrams, esi = [], start_esi
    for kind, step, payload in steps:
        esi += step
        datagrams.append(_datagram(kind, esi, payload))
    if short and datagrams:
        datagrams[len(datagrams) // 2] = datagrams[len(datagrams) // 2][:4]
    expected, next_esi = [], (start_esi + 1) & 0xFFFFFFFF
    for datagram in datagrams[start:]:
        if len(datagram) < 5 or datagram[0] != SOURCE_TYPE:
            break
        if int.from_bytes(datagram[1:5], "big") != next_esi:
            break
        expected.append(datagram[5:])
        next_esi = (next_esi + 1) & 0xFFFFFFFF
    got = gf256.sources_in_sequence(datagrams, start, SOURCE_TYPE, (start_esi + 1) & 0xFFFFFFFF)
    assert got == expected


@settings(max_examples=60, deadline=None)
@given(
    payloads=payload_lists,
    loss=st.floats(0.0, 0.4),
    seed=st.integers(0, 2**16),
    in_order=st.booleans(),
    batch=st.integers(1, 25),
)
def test_a_batch_decodes_as_its_datagrams_one_by_one(
    payloads: list[bytes], loss: float, seed: int, in_order: bool, batch: int
) -> None:
    config = _lossy_config(in_order)
    encoder = SlidingWindowEncoder(config)
    datagrams = [d for i, p in enumerate(payloads) for d in encoder.encode(p, i * 0.001)]
    rng = random.Random(seed)
    datagrams = [d for d in datagrams if rng.random() >= loss]
    for i in range(len(datagrams) - 1):
        if rng.random() < 0.1:
            datagrams[i], datagrams[i + 1] = datagrams[i + 1], datagrams[i]
    datagrams += datagrams[: len(datagrams) // 5]  # late duplicates
    one, many = SlidingWindowDecoder(config), SlidingWindowDecoder(config)
    expected = [(p, i) for i, d in enumerate(datagrams) for p in one.receive(d, 1.0)]
    got = []
    for first in range(0, len(datagrams), batch):
        out, origins = many.receive_batch(datagrams[first : first + batch], 1.0)
        got += [(p, first + o) for p, o in zip(out, origins, strict=True)]
    assert got == expected
    assert asdict(many.counters) == asdict(one.counters)
