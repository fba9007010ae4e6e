from collections.abc import Callable, Sequence

from typing_extensions import Buffer

def mul_add(dst: Buffer, src: Buffer, coef: int, /) -> None: ...
def combine(dst: Buffer, sources: Sequence[Buffer], coefs: bytes, /) -> None: ...
def scale(buf: Buffer, coef: int, /) -> None: ...
def coefficients(seed: int, count: int, /) -> bytes: ...
def coefficient_rows(seed: int, rows: int, count: int, /) -> bytes: ...
def tinymt32(seed: int, count: int, /) -> list[int]: ...
def frame(
    prefix: Buffer, index_size: int, start: int, payloads: Sequence[Buffer], /
) -> list[bytes]: ...
def sources_in_sequence(
    datagrams: Sequence[bytes], start: int, type: int, esi: int, /
) -> list[bytes]: ...
def encode(
    headers: Sequence[Buffer], payloads: Sequence[Buffer], matrix: Buffer, /
) -> list[bytes]: ...
def encode_block(
    source_type: int,
    repair_type: int,
    block: int,
    held: Sequence[Buffer],
    payloads: Sequence[Buffer],
    matrix: Buffer,
    repairs: int,
    /,
) -> tuple[list[bytes], list[bytes]]: ...
def recover(
    payloads: Sequence[Buffer], repairs: Sequence[Buffer], skip: int, matrix: Buffer, /
) -> list[bytes | None]: ...
def decode_matrix(rows: Buffer, k: int, missing: Buffer, /) -> bytes | None: ...
def kernel() -> str: ...
def set_kernel(name: str, /) -> None: ...

class BlockCore:
    def __init__(
        self,
        *,
        symbols: int,
        repair: int,
        source_type: int,
        repair_type: int,
        max_blocks: int,
        timeout: float,
        eager: bool,
        seeded: bool,
    ) -> None: ...
    def receive(
        self,
        datagrams: Sequence[bytes],
        now: float,
        table: Callable[[int, bytes, bytes], bytes | None] | None,
        recover: Callable[
            [int, int, bytes, list[bytes | None], list[bytes | None]],
            dict[int, bytes | None] | None,
        ],
        /,
    ) -> tuple[list[bytes], list[int]]: ...
    def poll(self, now: float, /) -> None: ...
    def next_deadline(self) -> float | None: ...
    def counters(self) -> tuple[int, int, int, int, int, int, int, int, int, int]: ...

class EncoderCore:
    def __init__(
        self,
        *,
        symbols: int,
        repair: int,
        source_type: int,
        repair_type: int,
        flush: float,
        matrix: bytes,
        seeded: bool,
        error: type[Exception],
    ) -> None: ...
    def encode(
        self, payloads: Sequence[bytes], now: float, /
    ) -> list[tuple[int, list[bytes], list[bytes]]]: ...
    def poll(self, now: float, /) -> list[bytes]: ...
    def next_deadline(self) -> float | None: ...
    def counters(self) -> tuple[int, int, int, int, int]: ...
