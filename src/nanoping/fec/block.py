"""Systematic block codes: block RLNC, Reed-Solomon (ISA-L's matrices) and 2-D parity.

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
from typing import ClassVar

from nanoping.fec._gf256 import BlockCore, EncoderCore
from nanoping.fec.gf256 import (
    EXP,
    coefficient_rows,
    combine,
    decode_matrix,
    inverse,
    native_recover,
)
from nanoping.fec.linear_system import LinearSystem
from nanoping.fec.symbol import SymbolError, from_symbol, to_symbol

_SOURCE = struct.Struct(">BIH")
_SOURCE_SIZE = _SOURCE.size
_unpack_source = _SOURCE.unpack_from
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
    repeat_coefficients: bool = False
    """RLNC: repair r of every block uses coefficients(r) instead of coefficients(block << 8 | r),
    so a loss pattern seen before reuses its decode table (both ends must agree)."""
    decode_tables: int = 256
    """Decode tables (one per loss pattern and coefficient set) the decoder keeps."""

    def __post_init__(self) -> None:
        if not 1 <= self.symbols <= 1024:
            raise ValueError(f"symbols must be in 1..1024, got {self.symbols}")
        if not 0 <= self.repair <= 255:
            raise ValueError(f"repair must be in 0..255, got {self.repair}")
        if not (self.flush > 0 and self.timeout > 0 and self.max_blocks >= 1):
            raise ValueError("flush and timeout must be > 0 seconds and max_blocks >= 1")
        if not 0 <= self.decode_tables <= 65536:
            raise ValueError(f"decode_tables must be in 0..65536, got {self.decode_tables}")


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
    decode_table_hits: int = 0
    """Rebuilds that reused the decode table of a loss pattern seen before."""
    decode_table_misses: int = 0
    """Rebuilds that had to compute their decode table (a matrix inversion)."""
    decode_tables: int = 0
    """Decode tables cached now."""
    open_blocks: int = 0
    """Blocks waiting for packets now."""


class BlockCode:
    """The maths of one block code: repairs from sources, and sources back from a partial block.

    A *linear* code (RLNC, Reed-Solomon) is fully described by :meth:`matrix`: repair r is
    ``sum matrix[r][j] * symbol j``; the decoder rebuilds from that matrix alone. Other codes
    (2-D parity) set ``linear = False`` and override :meth:`recover`.
    """

    name: ClassVar[str] = ""
    source_type: ClassVar[int] = 0
    repair_type: ClassVar[int] = 0
    linear: ClassVar[bool] = True

    def __init__(self, config: BlockConfig) -> None:
        self.config = config

    def repair_count(self) -> int:
        """Repairs per block."""
        return self.config.repair

    def matrix(self, block: int) -> bytes:
        """The block's coding coefficients: ``repair_count()`` rows of ``symbols`` bytes."""
        raise NotImplementedError

    def coefficient_key(self, block: int) -> int | None:
        """What :meth:`matrix` depends on: None when it is the same for every block."""
        return None

    @property
    def seeded(self) -> bool:
        """Whether every block has new coefficients (RLNC without ``repeat_coefficients``):
        the native cores then draw them from the block number themselves."""
        return self.linear and self.coefficient_key(0) is not None

    def repairs(self, block: int, symbols: list[bytes]) -> list[bytes]:
        """Repair data of a block; ``symbols`` has ``config.symbols`` entries, padded to one size."""
        k = len(symbols)
        matrix = self.matrix(block)
        out = []
        for r in range(self.repair_count()):
            data = bytearray(len(symbols[0]))
            combine(data, symbols, matrix[r * k : (r + 1) * k])
            out.append(bytes(data))
        return out

    def recover(self, state: BlockState) -> dict[int, bytes]:
        """Missing symbols (index -> padded symbol) that the received packets determine, by
        elimination over every repair (the general path: any linear code, any loss pattern)."""
        k = self.config.symbols
        missing = state.missing()
        if len(missing) > len(state.repairs):
            return {}
        size = len(next(iter(state.repairs.values()))) - _REPAIR.size
        known = state.padded(size)
        order = sorted(known)
        matrix = self.matrix(state.block)
        system = LinearSystem(max_rows=len(missing))
        solved: dict[int, bytes] = {}
        for index, datagram in state.repairs.items():
            coefs = matrix[index * k : (index + 1) * k]
            row = bytearray(datagram[_REPAIR.size :])
            combine(row, [known[i] for i in order], bytes(coefs[i] for i in order))
            for unknown, symbol in system.add({i: coefs[i] for i in missing}, row):
                solved[unknown] = bytes(symbol)
        return solved


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
    """Payloads received or rebuilt, by index."""
    repairs: dict[int, bytes] = field(default_factory=dict)
    """Repair datagrams received (header included), by repair index."""
    count: int | None = None
    """Sources the block really holds (from its repairs); None until a repair arrives."""

    def missing(self) -> list[int]:
        """Source indexes known to exist but not received."""
        assert self.count is not None
        sources = self.sources
        return [i for i in range(self.count) if i not in sources]

    def complete(self) -> bool:
        """True when every source the block holds is here."""
        count = self.count
        return count is not None and len(self.sources) >= count and not self.missing()

    def padded(self, size: int) -> dict[int, bytes]:
        """Known symbols, zero-padded to ``size`` (short blocks: zero symbols after count)."""
        assert self.count is not None
        out = {i: to_symbol(p).ljust(size, b"\0") for i, p in self.sources.items()}
        for i in range(self.count, self.code_symbols):
            out[i] = bytes(size)
        return out

    def known_payloads(self, missing: set[int]) -> list[bytes]:
        """Payloads of every index not in ``missing``, in index order; after ``count`` the
        implicit zero symbols, which are the symbols of empty payloads."""
        get = self.sources.get
        return [get(i, b"") for i in range(self.code_symbols) if i not in missing]


class BlockEncoder:
    """Sends sources at once and a block's repairs when it is full or its flush time has come.

    The state between batches (the block being filled, its flush time, the counters) lives in
    the native ``EncoderCore``: a batch is one call that frames every source and codes every
    block it fills.
    """

    def __init__(self, code: BlockCode) -> None:
        self.code = code
        self.config = code.config
        seeded = code.seeded
        self._core = EncoderCore(
            symbols=self.config.symbols,
            repair=code.repair_count(),
            source_type=code.source_type,
            repair_type=code.repair_type,
            flush=self.config.flush,
            matrix=b"" if seeded else code.matrix(0),
            seeded=seeded,
            error=SymbolError,
        )
        self.encode_batch = self._core.encode
        """``encode_batch(payloads, now)``: datagrams for a batch of payloads, per block
        touched: (index in ``payloads`` of the block's first payload here, their source
        datagrams, the repairs that block closed with). Raises SymbolError, sending nothing,
        when a payload is too big to code."""
        self.poll = self._core.poll
        """``poll(now)``: the repairs of a short block whose flush time has come."""
        self.next_deadline = self._core.next_deadline
        """``next_deadline()``: when the current short block will be flushed, or None."""

    @property
    def counters(self) -> BlockEncoderCounters:
        """What the encoder has sent so far."""
        sources, repairs, blocks, short, fill = self._core.counters()
        return BlockEncoderCounters(
            sources_sent=sources,
            repairs_sent=repairs,
            blocks=blocks,
            short_blocks=short,
            block_fill=fill,
        )

    def encode(self, payload: bytes, now: float) -> list[bytes]:
        """Datagrams to send for one payload: its source datagram, then the repairs if due."""
        ((_, sources, repairs),) = self.encode_batch([payload], now)
        return sources + repairs


class BlockDecoder:
    """Delivers sources at once and rebuilds a block's missing ones when its code allows.

    Linear codes rebuild through a decode table per loss pattern (which repairs came, which
    sources are missing, and the block's coefficients): computed once by a matrix inversion,
    then kept in a bounded LRU, so a loss pattern seen before costs one native call.

    The per-packet bookkeeping (headers, duplicates, blocks open and closed, counters) runs in
    the native ``BlockCore``, which calls back here once per block to rebuild; ``native=False``
    keeps it in Python, the reference the tests hold the native path to.
    """

    def __init__(self, code: BlockCode, *, native: bool = True) -> None:
        self.code = code
        self.config = code.config
        self.counters = BlockDecoderCounters()
        self._open: OrderedDict[int, BlockState] = OrderedDict()
        self._closed: OrderedDict[int, bool] = OrderedDict()  # block -> closed complete
        self._tables: OrderedDict[tuple[int | None, bytes, bytes], bytes | None] = OrderedDict()
        self._source_type = code.source_type
        # Coefficients new in every block (RLNC): no table is ever reused, so none is cached,
        # and the native core draws them and makes the table itself.
        self._seeded = code.seeded
        self._core: BlockCore | None = None
        if native and self.config.symbols <= 256:
            self._core = BlockCore(
                symbols=self.config.symbols,
                repair=code.repair_count(),
                source_type=code.source_type,
                repair_type=code.repair_type,
                max_blocks=self.config.max_blocks,
                timeout=self.config.timeout,
                eager=not code.linear,
                seeded=self._seeded,
            )

    @property
    def decode_tables(self) -> int:
        """Decode tables held now."""
        return len(self._tables)

    def receive(self, datagram: bytes, now: float) -> list[bytes]:
        """Payloads delivered because ``datagram`` arrived."""
        if self._core is not None:
            return self.receive_batch([datagram], now)[0]
        return self._receive(datagram, now)

    def receive_batch(self, datagrams: list[bytes], now: float) -> tuple[list[bytes], list[int]]:
        """Payloads a batch of datagrams delivers, in order, and for each payload the index in
        ``datagrams`` of the datagram that delivered it."""
        core = self._core
        if core is None:
            payloads: list[bytes] = []
            origins: list[int] = []
            for origin, datagram in enumerate(datagrams):
                got = self._receive(datagram, now)
                payloads += got
                origins += [origin] * len(got)
            return payloads, origins
        try:
            return core.receive(datagrams, now, self._core_table, self._rebuild)
        finally:
            self._sync()

    def _receive(self, datagram: bytes, now: float) -> list[bytes]:
        kind = datagram[0] if datagram else -1
        if kind == self._source_type and len(datagram) >= _SOURCE_SIZE:
            # The common case, kept short: a new source of a block still open.
            _, block, index = _unpack_source(datagram)
            state = self._open.get(block)
            if state is not None and index < state.code_symbols and index not in state.sources:
                payload = state.sources[index] = datagram[_SOURCE_SIZE:]
                self.counters.sources_received += 1
                if state.count is None or not state.repairs:
                    return [payload]
                return [payload, *self._try_recover(state)]
        try:
            if kind == self._source_type and len(datagram) >= _SOURCE_SIZE:
                return self._on_source(datagram, now)
            if kind == self.code.repair_type and len(datagram) >= _REPAIR.size + 2:
                return self._on_repair(datagram, now)
        except (SymbolError, ValueError):
            pass
        self.counters.decode_failures += 1
        return []

    def poll(self, now: float) -> list[bytes]:
        """Close blocks whose timeout passed (their missing sources are lost)."""
        if self._core is not None:
            self._core.poll(now)
            self._sync()
            return []
        timeout = self.config.timeout
        expired = [b for b, s in self._open.items() if s.opened + timeout <= now]
        for block in expired:
            self._close(block)
        return []

    def next_deadline(self) -> float | None:
        """When the oldest open block times out, or None."""
        if self._core is not None:
            return self._core.next_deadline()
        for state in self._open.values():
            return state.opened + self.config.timeout
        return None

    def _state(self, block: int, now: float) -> BlockState | None:
        state = self._open.get(block)
        if state is not None:
            return state
        complete = self._closed.get(block)
        if complete is not None:
            if complete:
                self.counters.unneeded += 1
            else:
                self.counters.late += 1
            return None
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
        payload = state.sources[index] = datagram[_SOURCE.size :]
        self.counters.sources_received += 1
        if state.count is None or not state.repairs:
            return [payload]
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
        state.repairs[index] = datagram
        self.counters.repairs_received += 1
        return self._try_recover(state)

    def _try_recover(self, state: BlockState) -> list[bytes]:
        assert state.count is not None
        missing = state.missing()
        if not missing:
            self._finish_if_complete(state)
            return []
        if self.code.linear and len(missing) > len(state.repairs):
            return []
        try:
            rebuilt = self._recover(state, missing)
        except ValueError:
            self.counters.decode_failures += 1
            return []
        out = []
        for index, payload in rebuilt.items():
            if payload is None:
                self.counters.decode_failures += 1
                continue
            state.sources[index] = payload
            self.counters.recovered += 1
            out.append(payload)
        self._finish_if_complete(state)
        return out

    def _recover(
        self, state: BlockState, missing: list[int], *, tables: bool = True
    ) -> dict[int, bytes | None]:
        """Payloads of the missing sources (None: a rebuilt symbol failed its checks)."""
        code = self.code
        if tables and code.linear and self.config.symbols <= 256:
            chosen = bytes(sorted(state.repairs)[: len(missing)])
            table = self._table(state.block, bytes(missing), chosen)
            if table is not None:
                known = state.known_payloads(set(missing))
                repairs = [state.repairs[j] for j in chosen]
                return dict(
                    zip(missing, native_recover(known, repairs, _REPAIR.size, table), strict=False)
                )
        out: dict[int, bytes | None] = {}
        for index, symbol in sorted(code.recover(state).items()):
            if index in state.sources or index >= state.count:  # type: ignore[operator]
                continue
            try:
                out[index] = from_symbol(symbol)
            except SymbolError:
                out[index] = None
        return out

    def _rebuild(
        self,
        block: int,
        count: int,
        missing: bytes,
        sources: list[bytes | None],
        repairs: list[bytes | None],
    ) -> dict[int, bytes | None] | None:
        """The native core's call when a block may be rebuilt: ``_recover`` on its packets
        (None: the attempt failed as a whole)."""
        state = BlockState(
            block=block,
            opened=0.0,
            code_symbols=self.config.symbols,
            sources={i: p for i, p in enumerate(sources) if p is not None},
            repairs={j: r for j, r in enumerate(repairs) if r is not None},
            count=count,
        )
        try:  # the core has tried the decode table already
            return self._recover(state, list(missing), tables=False)
        except ValueError:
            return None

    def _sync(self) -> None:
        assert self._core is not None
        c = self.counters
        (
            c.sources_received,
            c.repairs_received,
            c.recovered,
            c.lost,
            c.late,
            c.unneeded,
            c.duplicates,
            c.decode_failures,
            c.open_blocks,
            seeded_tables,
        ) = self._core.counters()
        if self._seeded:  # then the core makes every table: no call to _table
            c.decode_table_misses = seeded_tables

    def _core_table(self, block: int, missing: bytes, chosen: bytes) -> bytes | None:
        """The native core's call for the decode table of a loss pattern."""
        if self.code.linear:
            return self._table(block, missing, chosen)
        return None

    def _table(self, block: int, missing: bytes, chosen: bytes) -> bytes | None:
        """The decode table of this loss pattern (None: the chosen repairs are not independent)."""
        key = (self.code.coefficient_key(block), missing, chosen)
        tables = self._tables
        if key in tables:
            tables.move_to_end(key)
            self.counters.decode_table_hits += 1
            return tables[key]
        self.counters.decode_table_misses += 1
        k = self.config.symbols
        matrix = self.code.matrix(block)
        rows = b"".join(matrix[j * k : (j + 1) * k] for j in chosen)
        table = decode_matrix(rows, k, missing)
        if self.config.decode_tables and not self._seeded:
            tables[key] = table
            while len(tables) > self.config.decode_tables:
                tables.popitem(last=False)
            self.counters.decode_tables = len(tables)
        return table

    def _finish_if_complete(self, state: BlockState) -> None:
        if state.complete():
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
    """Random linear combinations over GF(2^8): repair j of block b uses coefficients(b*256+j),
    or coefficients(j) in every block with ``repeat_coefficients``."""

    name = "rlnc"
    source_type = 0x20
    repair_type = 0x21

    def __init__(self, config: BlockConfig) -> None:
        super().__init__(config)
        self._fixed = coefficient_rows(0, config.repair, config.symbols)

    def coefficient_key(self, block: int) -> int | None:
        return None if self.config.repeat_coefficients else block

    def matrix(self, block: int) -> bytes:
        # The native encoder and decoder cores draw these same rows themselves ("seeded").
        if self.config.repeat_coefficients:
            return self._fixed
        return coefficient_rows(_seed(block, 0), self.config.repair, self.config.symbols)


def _seed(block: int, index: int) -> int:
    return ((block << 8) | index) & _MASK32


class ReedSolomonCode(BlockCode):
    """Systematic MDS Reed-Solomon with ISA-L's generator matrices: any k of k+m packets rebuild a
    block. The repairs are byte for byte those of ISA-L (through pyeclib, which the tests check
    them against); the coding itself runs in our GF(2^8) kernel, one call per block, because the
    library's per-call framing cost more than the coding of a 10-packet block.

    Up to 4 repairs it uses ISA-L's Vandermonde matrix (``isa_l_rs_vand``); with more, that
    matrix is not invertible for every loss pattern, so it uses ISA-L's Cauchy matrix.
    """

    name = "reed_solomon"
    source_type = 0x30
    repair_type = 0x31

    def __init__(self, config: BlockConfig) -> None:
        super().__init__(config)
        if config.repair < 1:
            raise ValueError("reed_solomon needs at least 1 repair per block")
        k, m = config.symbols, config.repair
        if k + m > 256:
            raise ValueError(f"reed_solomon needs symbols + repair <= 256, got {k + m}")
        self._matrix = _vandermonde(k, m) if m <= 4 else _cauchy(k, m)

    def matrix(self, block: int) -> bytes:
        return self._matrix


def _vandermonde(k: int, m: int) -> bytes:
    """ISA-L's gf_gen_rs_matrix parity rows: row r, column j is (2^r)^j."""
    return bytes(EXP[(r * j) % 255] for r in range(m) for j in range(k))


def _cauchy(k: int, m: int) -> bytes:
    """ISA-L's gf_gen_cauchy1_matrix parity rows: row r, column j is 1 / ((k + r) xor j)."""
    return bytes(inverse((k + r) ^ j) for r in range(m) for j in range(k))


class Parity2dCode(BlockCode):
    """Row and column XOR parity over a rows x columns block (SMPTE 2022-1 style)."""

    name = "parity_2d"
    source_type = 0x40
    repair_type = 0x41
    linear = False

    def __init__(self, config: BlockConfig, *, columns: int) -> None:
        super().__init__(config)
        if columns < 1 or config.symbols % columns:
            raise ValueError(
                f"symbols ({config.symbols}) must be a multiple of columns ({columns})"
            )
        self.columns = columns
        self.rows = config.symbols // columns
        k = config.symbols
        self._matrix = bytes(int(j in line) for line in self.lines() for j in range(k))

    def repair_count(self) -> int:
        return self.rows + self.columns

    def lines(self) -> list[list[int]]:
        """Source indexes of each parity: the rows first, then the columns."""
        c = self.columns
        rows = [list(range(r * c, (r + 1) * c)) for r in range(self.rows)]
        return rows + [list(range(col, self.config.symbols, c)) for col in range(c)]

    def matrix(self, block: int) -> bytes:
        return self._matrix

    def recover(self, state: BlockState) -> dict[int, bytes]:
        size = len(next(iter(state.repairs.values()))) - _REPAIR.size
        known = state.padded(size)
        lines = self.lines()
        solved: dict[int, bytes] = {}
        progress = True
        while progress:  # peel: any parity line missing exactly one source rebuilds it
            progress = False
            for index, datagram in sorted(state.repairs.items()):  # not arrival order
                line = lines[index]
                absent = [i for i in line if i not in known]
                if len(absent) != 1:
                    continue
                row = bytearray(datagram[_REPAIR.size :])
                if len(row) != size:
                    raise ValueError("a block's repairs disagree on its symbol size")
                present = [known[i] for i in line if i in known]
                combine(row, present, b"\x01" * len(present))
                known[absent[0]] = solved[absent[0]] = bytes(row)
                progress = True
        return solved
