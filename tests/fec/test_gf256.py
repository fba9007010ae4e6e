"""The native GF(2^8) kernel agrees with the pure-Python reference, on every kernel the CPU has."""

import contextlib
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nanoping.fec import _gf256, gf256, reference
from tests.fec.kernels import available_kernels


@contextlib.contextmanager
def using(kernel: str) -> Iterator[None]:
    default = _gf256.kernel()
    _gf256.set_kernel(kernel)
    try:
        yield
    finally:
        _gf256.set_kernel(default)


def test_this_cpu_has_a_vector_kernel() -> None:
    assert gf256.kernel() in {"avx2", "ssse3"}
    assert "scalar" in available_kernels()


buffers = st.binary(min_size=0, max_size=200)


@pytest.mark.parametrize("kernel", available_kernels())
@given(src=buffers, extra=st.binary(max_size=40), coef=st.integers(0, 255))
def test_mul_add_matches_reference(kernel: str, src: bytes, extra: bytes, coef: int) -> None:
    start = bytes(reversed(src)) + extra
    native, slow = bytearray(start), bytearray(start)
    with using(kernel):
        gf256.mul_add(native, src, coef)
    reference.mul_add(slow, src, coef)
    assert native == slow


@pytest.mark.parametrize("kernel", available_kernels())
@given(
    sources=st.lists(buffers, min_size=0, max_size=6),
    seed=st.integers(0, 2**32 - 1),
)
def test_combine_matches_reference(kernel: str, sources: list[bytes], seed: int) -> None:
    size = max(map(len, sources), default=0)
    coefs = gf256.coefficients(seed, len(sources))
    native, slow = bytearray(size), bytearray(size)
    with using(kernel):
        gf256.combine(native, sources, coefs)
    reference.combine(slow, sources, coefs)
    assert native == slow


@given(data=buffers, coef=st.integers(1, 255))
def test_scale_then_inverse_scale_is_identity(data: bytes, coef: int) -> None:
    buf = bytearray(data)
    gf256.scale(buf, coef)
    assert bytes(buf) == bytes(gf256.mul(coef, byte) for byte in data)
    gf256.scale(buf, gf256.inverse(coef))
    assert buf == data


@given(a=st.integers(1, 255), b=st.integers(1, 255), c=st.integers(0, 255))
def test_field_laws(a: int, b: int, c: int) -> None:
    assert gf256.mul(a, gf256.inverse(a)) == 1
    assert gf256.mul(a, b) == gf256.mul(b, a)
    assert gf256.mul(a, b ^ c) == gf256.mul(a, b) ^ gf256.mul(a, c)


def test_tinymt32_known_answer() -> None:
    # First outputs of TinyMT32 seeded with 1, as published with the algorithm (RFC 8682).
    expected = [2545341989, 981918433, 3715302833, 2387538352, 3591001365]
    assert _gf256.tinymt32(1, 5) == expected
    generator = reference.TinyMT32(1)
    assert [generator.next_uint32() for _ in range(5)] == expected


@given(seed=st.integers(0, 2**32 - 1), count=st.integers(0, 300))
def test_coefficients_match_reference_and_are_never_zero(seed: int, count: int) -> None:
    native = gf256.coefficients(seed, count)
    assert native == reference.coefficients(seed, count)
    assert 0 not in native


def test_bad_arguments_are_refused_with_a_clear_error() -> None:
    with pytest.raises(ValueError, match=r"coefficient must be in 0\.\.255, got 256"):
        gf256.mul_add(bytearray(4), b"ab", 256)
    with pytest.raises(ValueError, match="source of 5 bytes does not fit a destination of 4"):
        gf256.mul_add(bytearray(4), b"abcde", 3)
    with pytest.raises(ValueError, match="2 sources but 1 coefficients"):
        gf256.combine(bytearray(4), [b"a", b"b"], b"\x01")
    with pytest.raises(TypeError):
        gf256.mul_add(b"read-only", b"a", 1)  # bytes are read-only
    with pytest.raises(ValueError, match="seed must fit 32 bits"):
        gf256.coefficients(2**32, 1)
    with pytest.raises(ZeroDivisionError):
        gf256.inverse(0)


def test_a_failed_combine_leaves_earlier_sources_applied_but_reports() -> None:
    dst = bytearray(2)
    with pytest.raises(ValueError, match="does not fit"):
        gf256.combine(dst, [b"\x01\x01", b"\x01\x01\x01"], b"\x01\x01")
    assert dst == b"\x01\x01"
