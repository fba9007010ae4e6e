"""The one-call block functions of the native kernel (framing, coding, decode tables) agree with the
pure-Python reference, and Reed-Solomon through our kernel agrees with ISA-L through pyeclib."""

import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pyeclib.ec_iface import ECDriver

from nanoping.fec import _gf256, gf256, reference
from nanoping.fec.block import BlockConfig, ReedSolomonCode
from nanoping.fec.symbol import SymbolError
from tests.fec.kernels import available_kernels

payloads = st.lists(st.binary(max_size=120), min_size=1, max_size=8)
# Blocks whose payloads are all one size take the vector kernel end to end (its last partial
# vector included); mixed sizes take their shortest common part, then the per-row path.
block_payloads = st.one_of(
    st.lists(st.binary(max_size=300), max_size=12),
    st.integers(0, 300).flatmap(
        lambda n: st.lists(st.binary(min_size=n, max_size=n), min_size=1, max_size=12)
    ),
)


@given(
    prefix=st.binary(max_size=5),
    index_size=st.sampled_from([2, 4]),
    start=st.integers(0, 2**32 - 1),
    items=payloads,
)
def test_frame_matches_reference(
    prefix: bytes, index_size: int, start: int, items: list[bytes]
) -> None:
    native = gf256.frame(prefix, index_size, start, items)
    assert native == reference.frame(prefix, index_size, start, items)


@given(items=payloads, rows=st.integers(1, 4), extra=st.integers(0, 3), seed=st.integers(0, 999))
def test_encode_matches_reference(items: list[bytes], rows: int, extra: int, seed: int) -> None:
    headers = [bytes([r]) * r for r in range(rows)]
    matrix = gf256.coefficient_rows(seed, rows, len(items) + extra)
    assert gf256.native_encode(headers, items, matrix) == reference.encode(headers, items, matrix)


@pytest.mark.parametrize("kernel", available_kernels())
@settings(max_examples=60)
@given(
    items=block_payloads,
    split=st.integers(0, 12),
    short=st.integers(0, 2),
    repairs=st.integers(0, 6),
    seed=st.integers(0, 999),
)
def test_the_encoder_core_frames_and_codes_as_the_reference_does(
    kernel: str, items: list[bytes], split: int, short: int, repairs: int, seed: int
) -> None:
    # One block in two batches; a short one (fewer payloads than symbols) closed by poll.
    k = len(items) + short or 1
    matrix = gf256.coefficient_rows(seed, repairs, k)
    core = _gf256.EncoderCore(
        symbols=k,
        repair=repairs,
        source_type=0x30,
        repair_type=0x31,
        flush=1.0,
        matrix=matrix,
        seeded=False,
        error=SymbolError,
    )
    default = _gf256.kernel()
    _gf256.set_kernel(kernel)
    try:
        got = [
            d
            for batch in (items[:split], items[split:])
            for run in core.encode(batch, 0.0)
            for d in run[1] + run[2]
        ]
        got += core.poll(2.0)
    finally:
        _gf256.set_kernel(default)
    sources, coded = reference.encode_block(0x30, 0x31, 0, [], items, matrix, repairs)
    assert got == (sources + coded if items else [])


def test_the_encoder_core_refuses_bad_input_clearly() -> None:
    def core(**changes: object) -> _gf256.EncoderCore:
        settings: dict[str, Any] = {
            "symbols": 2,
            "repair": 1,
            "source_type": 0x30,
            "repair_type": 0x31,
            "flush": 1.0,
            "matrix": b"\x01\x01",
            "seeded": False,
            "error": SymbolError,
        }
        return _gf256.EncoderCore(**{**settings, **changes})

    with pytest.raises(SymbolError, match="payload of 70000 bytes is over the 65535-byte limit"):
        core().encode([b"a", bytes(70_000)], 0.0)
    with pytest.raises(TypeError, match="payloads must be bytes"):
        core().encode([b"a", 5], 0.0)  # type: ignore[list-item]
    with pytest.raises(ValueError, match="a matrix of repair x symbols bytes"):
        core(matrix=b"\x01")
    with pytest.raises(ValueError, match=r"symbols in 1\.\.65535"):
        core(symbols=0)
    with pytest.raises(TypeError, match="error must be an exception class"):
        core(error=5)
    live = core()
    with pytest.raises(RuntimeError, match="initialised once"):
        live.__init__(  # type: ignore[misc]
            symbols=9,
            repair=9,
            source_type=0,
            repair_type=0,
            flush=1.0,
            matrix=b"",
            seeded=True,
            error=SymbolError,
        )
    assert live.encode([b"a", b"b"], 0.0)[0][2] == [bytes([0x31, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 3])]
    with pytest.raises(RuntimeError, match="not initialised"):
        _gf256.EncoderCore.__new__(_gf256.EncoderCore).encode([b"a"], 0.0)


@given(seed=st.integers(0, 2**32 - 1), rows=st.integers(0, 5), count=st.integers(0, 40))
def test_coefficient_rows_are_consecutive_seeds(seed: int, rows: int, count: int) -> None:
    expected = b"".join(reference.coefficients((seed + r) % 2**32, count) for r in range(rows))
    assert gf256.coefficient_rows(seed, rows, count) == expected


@settings(max_examples=60)
@given(items=st.lists(st.binary(max_size=80), min_size=2, max_size=10), data=st.data())
def test_decode_matrix_and_recover_rebuild_what_was_lost(
    items: list[bytes], data: st.DataObject
) -> None:
    k = len(items)
    lost = data.draw(st.lists(st.integers(0, k - 1), min_size=1, max_size=k, unique=True))
    seed = data.draw(st.integers(0, 2**32 - 1))
    matrix = gf256.coefficient_rows(seed, len(lost), k)
    repairs = gf256.native_encode([b"hdr"] * len(lost), items, matrix)
    table = gf256.decode_matrix(matrix, k, bytes(lost))
    if table is None:  # random rows: rarely dependent; then every smaller view is too
        return
    known = [p for i, p in enumerate(items) if i not in lost]
    native = gf256.native_recover(known, repairs, 3, table)
    assert native == reference.recover(known, repairs, 3, table)
    assert native == [items[i] for i in lost]


def test_decode_matrix_reports_dependent_repairs() -> None:
    row = gf256.coefficients(5, 4)
    assert gf256.decode_matrix(row + row, 4, bytes([0, 1])) is None


def test_block_functions_refuse_bad_arguments_clearly() -> None:
    with pytest.raises(ValueError, match="index_size must be 2 or 4"):
        gf256.frame(b"", 3, 0, [b"a"])
    with pytest.raises(ValueError, match="does not give 2 rows of at least 3 coefficients"):
        gf256.native_encode([b"", b""], [b"a", b"b", b"c"], bytes(4))
    with pytest.raises(ValueError, match="over the 65535-byte limit"):
        gf256.native_encode([b""], [bytes(70_000)], b"\x01")
    with pytest.raises(ValueError, match="u distinct missing indexes below k"):
        gf256.decode_matrix(bytes(8), 4, bytes([1, 1]))
    with pytest.raises(ValueError, match="repairs of one size"):
        gf256.native_recover([b"a"], [b"xyz", b"xy"], 0, bytes(6))
    with pytest.raises(ValueError, match="repairs of one size"):
        gf256.native_recover([b"long source"], [b"xyz"], 0, bytes(2))


@pytest.mark.parametrize(("k", "m"), [(1, 1), (4, 2), (10, 4), (10, 6), (20, 10)])
def test_reed_solomon_repairs_and_rebuilds_agree_with_pyeclib(k: int, m: int) -> None:
    code = ReedSolomonCode(BlockConfig(symbols=k, repair=m))
    driver = ECDriver(k=k, m=m, ec_type="isa_l_rs_vand" if m <= 4 else "isa_l_rs_cauchy")
    rng = random.Random(k * 100 + m)
    for _ in range(5):
        items = [rng.randbytes(rng.randrange(0, 300)) for _ in range(k)]
        size = max(map(len, items)) + 2
        symbols = [(len(p).to_bytes(2, "big") + p).ljust(size, b"\0") for p in items]
        fragments = driver.encode(b"".join(symbols))
        ours = gf256.native_encode([b""] * m, items, code.matrix(0))
        assert ours == [bytes(f[-size:]) for f in fragments[k:]]
        lost = rng.sample(range(k), min(m, k))
        chosen = rng.sample(range(m), len(lost))
        rows = b"".join(code.matrix(0)[j * k : (j + 1) * k] for j in chosen)
        table = gf256.decode_matrix(rows, k, bytes(lost))
        assert table is not None  # MDS: every pattern within its power is decodable
        known = [p for i, p in enumerate(items) if i not in lost]
        rebuilt = gf256.native_recover(known, [ours[j] for j in chosen], 0, table)
        kept = [f for i, f in enumerate(fragments) if i not in lost]
        assert b"".join(symbols) == driver.decode(kept)  # the library rebuilds the same block
        assert rebuilt == [items[i] for i in lost]
