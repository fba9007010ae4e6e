from collections.abc import Callable, Sequence
from typing import Any

from typing_extensions import Buffer

def seal(
    encrypt: Callable[..., bytes],
    suite: int,
    salt: int,
    first: int,
    payloads: Sequence[Buffer],
    /,
) -> list[bytes]: ...
def seal_packets(
    encrypt: Callable[..., bytes],
    suite: int,
    salt: int,
    first: int,
    packets: Sequence[Any],
    /,
) -> None: ...

class OpenerCore:
    def __init__(
        self,
        decrypt: Callable[..., bytes],
        invalid_tag: type[BaseException],
        suite: int,
    ) -> None: ...
    def open(self, datagram: Buffer, /) -> bytes | None: ...
    def open_batch(self, datagrams: Sequence[Buffer], /) -> tuple[list[bytes], list[int]]: ...
    def open_packets(self, packets: Sequence[Any], /) -> list[Any]: ...
    def counters(self) -> tuple[int, int, int, int, int]: ...
