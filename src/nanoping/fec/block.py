"""Systematic block codes: block RLNC, Reed-Solomon (pyeclib / ISA-L) and 2-D parity.

Sources go out at once behind a 7-byte header (``type | block u32 | index u16``); when a block
holds ``symbols`` sources (or when ``flush`` seconds passed since its first source) the encoder
sends the block's repairs (``type | block u32 | index u16 | count u16 | data``, ``count`` = the
sources in that block). The decoder delivers sources as they come (in any order, duplicates
dropped) and rebuilds the missing ones as soon as the block's code allows; it gives up on a
block ``timeout`` seconds after its first packet, or when more than ``max_blocks`` are open.
Symbols are the payload with its 2-byte length in front (``symbol.py``), zero-padded to the
longest one of the block; sources past ``count`` in a short block are all-zero symbols.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

from nanoping.fec.gf256 import coefficients, combine
from nanoping.fec.linear_system import LinearSystem
from nanoping.fec.symbol import SymbolError, from_symbol, to_symbol

if TYPE_CHECKING:
    from pyeclib.ec_iface import ECDriver

_SOURCE = struct.Struct(">BIH")
_REPAIR = struct.Struct(">BIHH")
_MASK32 = 0xFFFFFFFF


@dataclass(frozen=True, slots=True, kw_only=True)
class BlockConfig:
    """Settings of a block code, the same on both sides (``rows`` only for 2-D parity)."""

    symbols: int = 10
    """Sources per block."""
    repair: int = 2
    """Repairs per block (2-D parity: ignored, it sends rows + columns)."""
    flush: float = 0.05
    """Seconds after a block's first source at which a short block is closed and repaired."""
    timeout: float = 0.2
    """Seconds the decoder keeps a block open for repairs."""
    max_blocks: int = 64
    """Blocks the decoder keeps open at once."""

    def __post_init__(self) -> None:
        if not 1 <= self.symbols <= 1024:
            raise ValueError(f"symbols must be in 1..1024, got {self.symbols}")
        if not 0 <= self.repair <= 255:
            raise ValueError(f"repair must be in 0..255, got {self.repair}")
        if not (self.flush > 0 and self.timeout > 0 and self.max_blocks >= 1):
            raise ValueError("flush and timeout must be > 0 seconds and max_blocks >= 1")


@dataclass(slots=True)
class BlockEncoderCounters:
    """What a block encoder has sent."""

    sources_sent: int = 0
    """Source datagrams."""
    repairs_sent: int = 0
    """Repair datagrams."""
    blocks: int = 0
    """Blocks closed (full or flushed)."""
    short_blocks: int = 0
    """Blocks closed by the flush timer before they were full."""
    block_fill: int = 0
    """Sources in the block being filled."""


@dataclass(slots=True)
class BlockDecoderCounters:
    """What a block decoder has seen and done."""

    sources_received: int = 0
    """Source datagrams accepted (duplicates excluded)."""
    repairs_received: int = 0
    """Repair datagrams accepted."""
    recovered: int = 0
    """Missing sources rebuilt and delivered."""
    lost: int = 0
    """Missing sources of closed blocks: lost for good."""
    late: int = 0
    """Packets of blocks already closed with sources lost (dropped)."""
    unneeded: int = 0
    """Packets of blocks already complete (dropped)."""
    duplicates: int = 0
    """Packets seen before (dropped)."""
    decode_failures: int = 0
    """Malformed datagrams and decodes that failed their checks."""
    open_blocks: int = 0
    """Blocks waiting for packets now."""


class BlockCode:
    """The maths of one block code: repairs from sources, and sources back from a partial block."""

    name: ClassVar[str] = ""
    source_type: ClassVar[int] = 0
    repair_type: ClassVar[int] = 0

    def __init__(self, config: BlockConfig) -> None:
        self.config = config

    def repair_count(self) -> int:
        """Repairs per block."""
        return self.config.repair

    def repairs(self, block: int, symbols: list[bytes]) -> list[bytes]:
        """Repair data of a block; ``symbols`` has ``config.symbols`` entries, padded to one size."""
        raise NotImplementedError

    def recover(self, state: BlockState) -> dict[int, bytes]:
        """Missing symbols (index -> padded symbol) that the received packets determine."""
        raise NotImplementedError


@dataclass(slots=True, kw_only=True)
class BlockState:
    """Everything the decoder holds for one block."""

    block: int
    """Block number."""
    opened: float
    """When its first packet arrived."""
    code_symbols: int
    """Sources per block in the configuration."""
    sources: dict[int, bytes] = field(default_factory=dict)
    """Symbols received or rebuilt, by index."""
    repairs: dict[int, bytes] = field(default_factory=dict)
    """Repair data received, by repair index."""
    count: int | None = None
    """Sources the block really holds (from its repairs); None until a repair arrives."""

    def missing(self) -> list[int]:
        """Source indexes known to exist but not received."""
        assert self.count is not None
        return [i for i in range(self.count) if i not in self.sources]

    def known_count(self) -> int:
        """Sources known: received, rebuilt, or implicit zeros after ``count``."""
        assert self.count is not None
        return len(self.sources) + self.code_symbols - self.count

    def padded(self, size: int) -> dict[int, bytes]:
        """Known symbols, zero-padded to ``size`` (short blocks: zero symbols after count)."""
        assert self.count is not None
        out = {i: s.ljust(size, b"\0") for i, s in self.sources.items()}
        for i in range(self.count, self.code_symbols):
            out[i] = bytes(size)
        return out


class BlockEncoder:
    """Sends sources at once and a block's repairs when it is full or its flush time has come."""

    def __init__(self, code: BlockCode) -> None:
        self.code = code
        self.config = code.config
        self.counters = BlockEncoderCounters()
        self._block = 0
        self._symbols: list[bytes] = []
        self._flush_at: float | None = None

    def encode(self, payload: bytes, now: float) -> list[bytes]:
        """Datagrams to send for one payload: its source datagram, then the repairs if due."""
        symbol = to_symbol(payload)
        index = len(self._symbols)
        self._symbols.append(symbol)
        if self._flush_at is None:
            self._flush_at = now + self.config.flush
        out = [_SOURCE.pack(self.code.source_type, self._block, index) + payload]
        self.counters.sources_sent += 1
        if len(self._symbols) == self.config.symbols:
            out += self._close()
        self.counters.block_fill = len(self._symbols)
        return out

    def poll(self, now: float) -> list[bytes]:
        """Repairs of a short block whose flush time has come."""
        if self._flush_at is None or now < self._flush_at:
            return []
        self.counters.short_blocks += 1
        return self._close()

    def next_deadline(self) -> float | None:
        """When the current short block will be flushed, or None."""
        return self._flush_at

    def _close(self) -> list[bytes]:
        count = len(self._symbols)
        size = max(map(len, self._symbols))
        symbols = [s.ljust(size, b"\0") for s in self._symbols]
        symbols += [bytes(size)] * (self.config.symbols - count)
        header = _REPAIR.pack
        kind, block = self.code.repair_type, self._block
        out = [
            header(kind, block, index, count) + data
            for index, data in enumerate(self.code.repairs(block, symbols))
        ]
        self.counters.repairs_sent += len(out)
        self.counters.blocks += 1
        self.counters.block_fill = 0
        self._block = (block + 1) & _MASK32
        self._symbols = []
        self._flush_at = None
        return out


class BlockDecoder:
    """Delivers sources at once and rebuilds a block's missing ones when its code allows."""

    def __init__(self, code: BlockCode) -> None:
        self.code = code
        self.config = code.config
        self.counters = BlockDecoderCounters()
        self._open: OrderedDict[int, BlockState] = OrderedDict()
        self._closed: OrderedDict[int, bool] = OrderedDict()  # block -> closed complete

    def receive(self, datagram: bytes, now: float) -> list[bytes]:
        """Payloads delivered because ``datagram`` arrived."""
        kind = datagram[0] if datagram else -1
        try:
            if kind == self.code.source_type and len(datagram) >= _SOURCE.size:
                return self._on_source(datagram, now)
            if kind == self.code.repair_type and len(datagram) >= _REPAIR.size + 2:
                return self._on_repair(datagram, now)
        except (SymbolError, ValueError):
            pass
        self.counters.decode_failures += 1
        return []

    def poll(self, now: float) -> list[bytes]:
        """Close blocks whose timeout passed (their missing sources are lost)."""
        timeout = self.config.timeout
        expired = [b for b, s in self._open.items() if s.opened + timeout <= now]
        for block in expired:
            self._close(block)
        return []

    def next_deadline(self) -> float | None:
        """When the oldest open block times out, or None."""
        for state in self._open.values():
            return state.opened + self.config.timeout
        return None

    def _state(self, block: int, now: float) -> BlockState | None:
        complete = self._closed.get(block)
        if complete is not None:
            if complete:
                self.counters.unneeded += 1
            else:
                self.counters.late += 1
            return None
        state = self._open.get(block)
        if state is None:
            state = self._open[block] = BlockState(
                block=block, opened=now, code_symbols=self.config.symbols
            )
            while len(self._open) > self.config.max_blocks:
                self._close(next(iter(self._open)))
            self.counters.open_blocks = len(self._open)
        return state

    def _on_source(self, datagram: bytes, now: float) -> list[bytes]:
        _, block, index = _SOURCE.unpack_from(datagram)
        if index >= self.config.symbols:
            raise ValueError("source index out of the block")
        state = self._state(block, now)
        if state is None:
            return []
        if index in state.sources:
            self.counters.duplicates += 1
            return []
        payload = datagram[_SOURCE.size :]
        state.sources[index] = to_symbol(payload)
        self.counters.sources_received += 1
        return [payload, *self._try_recover(state)]

    def _on_repair(self, datagram: bytes, now: float) -> list[bytes]:
        _, block, index, count = _REPAIR.unpack_from(datagram)
        if index >= self.code.repair_count() or not 1 <= count <= self.config.symbols:
            raise ValueError("repair index or source count out of range")
        state = self._state(block, now)
        if state is None:
            return []
        if index in state.repairs or (state.count is not None and state.count != count):
            self.counters.duplicates += 1
            return []
        state.count = count
        state.repairs[index] = datagram[_REPAIR.size :]
        self.counters.repairs_received += 1
        return self._try_recover(state)

    def _try_recover(self, state: BlockState) -> list[bytes]:
        if state.count is None or not state.repairs or not state.missing():
            self._finish_if_complete(state)
            return []
        try:
            rebuilt = self.code.recover(state)
        except ValueError:
            self.counters.decode_failures += 1
            return []
        out = []
        for index, symbol in sorted(rebuilt.items()):
            if index in state.sources or index >= state.count:
                continue
            try:
                payload = from_symbol(symbol)
            except SymbolError:
                self.counters.decode_failures += 1
                continue
            state.sources[index] = to_symbol(payload)
            self.counters.recovered += 1
            out.append(payload)
        self._finish_if_complete(state)
        return out

    def _finish_if_complete(self, state: BlockState) -> None:
        if state.count is not None and not state.missing():
            self._close(state.block)

    def _close(self, block: int) -> None:
        state = self._open.pop(block)
        count = state.count if state.count is not None else self._assumed_count(state)
        lost = sum(1 for i in range(count) if i not in state.sources)
        self.counters.lost += lost
        self._closed[block] = lost == 0
        while len(self._closed) > 4 * self.config.max_blocks:
            self._closed.popitem(last=False)
        self.counters.open_blocks = len(self._open)

    def _assumed_count(self, state: BlockState) -> int:
        # Without a repair the block's size is unknown: a block followed by another one was
        # full; the last one counts up to its highest source seen.
        later = any(((b - state.block) & _MASK32) < 2**31 for b in self._open)
        return self.config.symbols if later else max(state.sources, default=-1) + 1


# ---- the codes ------------------------------------------------------------------------------


class RlncCode(BlockCode):
    """Random linear combinations over GF(2^8); repair j of block b uses coefficients(b*256+j)."""

    name = "rlnc"
    source_type = 0x20
    repair_type = 0x21

    def repairs(self, block: int, symbols: list[bytes]) -> list[bytes]:
        out = []
        for index in range(self.config.repair):
            data = bytearray(len(symbols[0]))
            combine(data, symbols, coefficients(_seed(block, index), len(symbols)))
            out.append(bytes(data))
        return out

    def recover(self, state: BlockState) -> dict[int, bytes]:
        if state.known_count() + len(state.repairs) < self.config.symbols:
            return {}
        size = max(len(r) for r in state.repairs.values())
        known = state.padded(size)
        missing = [i for i in range(self.config.symbols) if i not in known]
        system = LinearSystem(max_rows=len(missing))
        solved: dict[int, bytes] = {}
        for index, data in state.repairs.items():
            coefs = coefficients(_seed(state.block, index), self.config.symbols)
            row = bytearray(data)
            order = sorted(known)
            combine(row, [known[i] for i in order], bytes(coefs[i] for i in order))
            for unknown, symbol in system.add({i: coefs[i] for i in missing}, row):
                solved[unknown] = bytes(symbol)
        return solved


def _seed(block: int, index: int) -> int:
    return ((block << 8) | index) & _MASK32


class ReedSolomonCode(BlockCode):
    """Systematic MDS Reed-Solomon (ISA-L through pyeclib): any k of k+m packets rebuild a block.

    Up to 4 repairs it uses ISA-L's Vandermonde matrix (``isa_l_rs_vand``); with more, that
    matrix is not invertible for every loss pattern, so it uses ISA-L's Cauchy matrix.
    """

    name = "reed_solomon"
    source_type = 0x30
    repair_type = 0x31
    _TEMPLATES_KEPT = 32

    def __init__(self, config: BlockConfig) -> None:
        super().__init__(config)
        if config.repair < 1:
            raise ValueError("reed_solomon needs at least 1 repair per block")
        # Imported here: every pipeline run imports all components, few use this one.
        from pyeclib.ec_iface import ECDriver, ECDriverError

        kind = "isa_l_rs_vand" if config.repair <= 4 else "isa_l_rs_cauchy"
        self._driver: ECDriver = ECDriver(k=config.symbols, m=config.repair, ec_type=kind)
        self._driver_error = ECDriverError
        self._templates: OrderedDict[int, list[bytes]] = OrderedDict()

    def repairs(self, block: int, symbols: list[bytes]) -> list[bytes]:
        fragments = self._driver.encode(b"".join(symbols))
        size = len(symbols[0])
        return [bytes(f[-size:]) for f in fragments[self.config.symbols :]]

    def recover(self, state: BlockState) -> dict[int, bytes]:
        k = self.config.symbols
        if state.known_count() + len(state.repairs) < k:
            return {}
        size = max(len(r) for r in state.repairs.values())
        known = state.padded(size)
        if any(len(s) != size for s in (*known.values(), *state.repairs.values())):
            raise ValueError("a block's packets disagree on its symbol size")
        headers = self._headers(size)
        fragments = [headers[i] + s for i, s in known.items()]
        fragments += [headers[k + j] + data for j, data in state.repairs.items()]
        try:
            data = self._driver.decode(fragments)
        except self._driver_error as error:
            raise ValueError(f"reed-solomon decode failed: {error}") from None
        return {i: data[i * size : (i + 1) * size] for i in range(k) if i not in known}

    def _headers(self, size: int) -> list[bytes]:
        """pyeclib's fragment headers for this geometry; they depend on the size only, so
        they are made once by encoding zeros, and the wire carries just the symbols."""
        headers = self._templates.get(size)
        if headers is None:
            fragments = self._driver.encode(bytes(size * self.config.symbols))
            headers = [f[: len(f) - size] for f in fragments]
            self._templates[size] = headers
            if len(self._templates) > self._TEMPLATES_KEPT:
                self._templates.popitem(last=False)
        return headers


class Parity2dCode(BlockCode):
    """Row and column XOR parity over a rows x columns block (SMPTE 2022-1 style)."""

    name = "parity_2d"
    source_type = 0x40
    repair_type = 0x41

    def __init__(self, config: BlockConfig, *, columns: int) -> None:
        super().__init__(config)
        if columns < 1 or config.symbols % columns:
            raise ValueError(
                f"symbols ({config.symbols}) must be a multiple of columns ({columns})"
            )
        self.columns = columns
        self.rows = config.symbols // columns

    def repair_count(self) -> int:
        return self.rows + self.columns

    def lines(self) -> list[list[int]]:
        """Source indexes of each parity: the rows first, then the columns."""
        c = self.columns
        rows = [list(range(r * c, (r + 1) * c)) for r in range(self.rows)]
        return rows + [list(range(col, self.config.symbols, c)) for col in range(c)]

    def repairs(self, block: int, symbols: list[bytes]) -> list[bytes]:
        out = []
        for line in self.lines():
            data = bytearray(len(symbols[0]))
            combine(data, [symbols[i] for i in line], b"\x01" * len(line))
            out.append(bytes(data))
        return out

    def recover(self, state: BlockState) -> dict[int, bytes]:
        size = max(len(r) for r in state.repairs.values())
        known = state.padded(size)
        lines = self.lines()
        solved: dict[int, bytes] = {}
        progress = True
        while progress:  # peel: any parity line missing exactly one source rebuilds it
            progress = False
            for index, data in state.repairs.items():
                line = lines[index]
                absent = [i for i in line if i not in known]
                if len(absent) != 1:
                    continue
                row = bytearray(data)
                present = [known[i] for i in line if i in known]
                combine(row, present, b"\x01" * len(present))
                known[absent[0]] = solved[absent[0]] = bytes(row)
                progress = True
        return solved
