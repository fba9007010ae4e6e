"""The GF(2^8) kernels this machine's CPU can run, for tests that check each one."""

from __future__ import annotations

from nanoping.fec import _gf256


def available_kernels() -> list[str]:
    """Names of the kernels ``_gf256.set_kernel`` accepts here (scalar always); the default
    kernel is selected again afterwards."""
    default = _gf256.kernel()
    names = []
    for name in ("avx2", "ssse3", "scalar"):
        try:
            _gf256.set_kernel(name)
        except ValueError:
            continue
        names.append(name)
    _gf256.set_kernel(default)
    return names
