"""Sliding-window random linear code over GF(2^8) (RFC 8681 style): the codec of ``rely`` and Raft.

Contract, for every user of this module (the ``rely_*`` components, the Raft transport):

* **Encoder** — ``SlidingWindowEncoder(config)``. ``encode(payload, now)`` returns the datagrams
  to send now: the source datagram first (the payload, unchanged, behind a 5-byte header), then
  any repair datagrams the repair credit has paid for. ``poll(now)`` returns the flush repairs
  that are due; call it at ``next_deadline()`` (None = nothing scheduled). Nothing else is sent.
* **Decoder** — ``SlidingWindowDecoder(config)``. ``receive(datagram, now)`` takes any datagram
  of the encoder (in any order, duplicated or not) and returns the payloads delivered by it:
  a source's own payload at once (or, with ``release_in_order``, when every earlier one is
  delivered or given up), and every payload that became decodable. ``poll(now)`` gives up on
  missing packets whose ``timeout`` has passed and returns what that releases; call it at
  ``next_deadline()``. Malformed datagrams raise nothing: they are counted and dropped.
* **now** is a float in seconds on any monotonic clock, the same clock for every call of one
  object; it is the only source of time (tests use a fake clock). Both sides keep time only
  from the arrival of source packets, so no clock synchronisation is needed.
* **Counters** are plain attributes (see ``EncoderCounters`` / ``DecoderCounters``).

Coding: the encoder keeps the sources of the last ``window_time`` seconds, at most
``max_window`` of them. Every source adds ``repair_rate`` to a credit; each whole unit of credit
sends one repair over the current window. When the first source not yet covered by a repair is
about to leave the window, one *flush* repair is sent (and the credit reset) so no source goes
unprotected. A repair is ``sum c_i * symbol_i`` over the window, where ``symbol_i`` is the
payload with its 2-byte length in front, zero-padded to the longest in the window, and the
``c_i`` are ``gf256.coefficients(repair_key, nss)``. The wire format is in docs/fec-wire-formats.md.
"""

from __future__ import annotations

import bisect
import math
import struct
from dataclasses import dataclass
from itertools import repeat

from nanoping.fec.gf256 import (
    coefficients,
    decode_matrix,
    frame,
    mul_add,
    native_encode,
    native_recover,
    sources_in_sequence,
)
from nanoping.fec.linear_system import LinearSystem
from nanoping.fec.symbol import MAX_PAYLOAD, SymbolError, from_symbol, to_symbol

SOURCE_TYPE = 0x10
REPAIR_TYPE = 0x11
MAX_WINDOW = 4095
"""Most sources one repair can cover (its NSS field is 12 bits)."""
HISTORY_WINDOWS = 4
"""The decoder keeps the last HISTORY_WINDOWS x max_window sources and equations."""
TERMS_PER_WINDOW = 8
"""The decoder's pending equations hold at most TERMS_PER_WINDOW x max_window coefficients.

Elimination work grows with equations x unknowns, so this bounds the decoder's CPU per
repair whatever the loss or a hostile peer sends. The transport scenarios peak below half
of it (S5, bursts of 8 at 10 % loss, window 255: 61 equations, 973 coefficients)."""
QUIET_INTERVALS = 4
"""A stream is quiet after this many of its mean source intervals without a new source."""
MIN_TAIL_SPACING = 0.005
"""Least time between two tail repairs, seconds (one loss burst should not take them all)."""
TAIL_REPAIRS = 3
"""Tail repairs the codec's users ask for (rely_encoder, Raft): a loss burst at a stream's end
that takes two sources, or the last source and its repair, leaves one repair short, and with
no later source nothing else would reveal the loss."""
MAX_TAIL_REPAIRS = 16
"""Most tail repairs a configuration may ask for."""
_SOURCE = struct.Struct(">BI")
_SOURCE_SIZE = _SOURCE.size
_unpack_source = _SOURCE.unpack_from
_TYPE_PREFIX = bytes([SOURCE_TYPE])
_NO_HEADER = [b""]
_REPAIR = struct.Struct(">BHHI")
_DT_DENSE = 15 << 12
_MASK32 = 0xFFFFFFFF
_WHOLE_CREDIT = 1.0 - 1e-9
"""A credit this close to 1 pays a repair: ten additions of 0.1 fall short of 1.0 in floats."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SlidingWindowConfig:
    """Settings shared by the encoder and the decoder of one stream."""

    repair_rate: float = 0.1
    """Repair packets per source packet (0.1 = 10 % extra packets)."""
    window_time: float = 0.075
    """Seconds a source stays in the encoding window."""
    max_window: int = 64
    """Most sources in the encoding window (1..4095)."""
    timeout: float = 0.1
    """Seconds the decoder waits for a missing packet before giving up on it."""
    release_in_order: bool = False
    """Decoder: deliver in sequence order (waiting for gaps) instead of at once."""
    tail_repairs: int = 0
    """Encoder: extra repairs over what is left of the window once the stream goes quiet
    (see :data:`QUIET_INTERVALS`), so a loss among its last packets is not left to a single
    repair. 0 = none."""

    def __post_init__(self) -> None:
        if not 0 < self.repair_rate <= 16:
            raise ValueError(f"repair_rate must be in (0, 16], got {self.repair_rate}")
        if not self.window_time > 0:
            raise ValueError(f"window_time must be > 0 seconds, got {self.window_time}")
        if not 1 <= self.max_window <= MAX_WINDOW:
            raise ValueError(f"max_window must be in 1..{MAX_WINDOW}, got {self.max_window}")
        if not self.timeout > 0:
            raise ValueError(f"timeout must be > 0 seconds, got {self.timeout}")
        if not 0 <= self.tail_repairs <= MAX_TAIL_REPAIRS:
            raise ValueError(
                f"tail_repairs must be in 0..{MAX_TAIL_REPAIRS}, got {self.tail_repairs}"
            )


@dataclass(slots=True)
class EncoderCounters:
    """What a sliding-window encoder has done."""

    sources_sent: int = 0
    """Source datagrams produced."""
    repairs_sent: int = 0
    """Repair datagrams produced (flushes included)."""
    flushes: int = 0
    """Repairs sent because a source was about to leave the window unprotected."""
    tail_repairs: int = 0
    """Repairs sent after the stream went quiet, over what was left of the window."""
    window: int = 0
    """Sources in the encoding window now."""


@dataclass(slots=True)
class DecoderCounters:
    """What a sliding-window decoder has seen and done."""

    sources_received: int = 0
    """Source datagrams accepted (duplicates excluded)."""
    repairs_received: int = 0
    """Repair datagrams accepted."""
    recovered: int = 0
    """Missing sources rebuilt from repairs and delivered."""
    lost: int = 0
    """Missing sources given up on (timeout or out of the decoding window): lost for good."""
    late: int = 0
    """Sources that arrived or were rebuilt after they had been given up (dropped)."""
    duplicates: int = 0
    """Source datagrams seen before (dropped)."""
    decode_failures: int = 0
    """Malformed datagrams and rebuilt symbols that failed their checks (dropped)."""
    repairs_useless: int = 0
    """Repairs that covered no missing source or added no information."""
    equations_dropped: int = 0
    """Repair equations dropped unsolved to bound the decoding work: the oldest beyond the
    pending limit, and any over more missing sources than ``max_window``."""
    missing: int = 0
    """Sources known missing and still waited for."""
    equations: int = 0
    """Pending repair equations."""


class SlidingWindowEncoder:
    """Sends each payload at once and interleaves repairs over a window bounded in time and size."""

    def __init__(self, config: SlidingWindowConfig) -> None:
        self.config = config
        self.counters = EncoderCounters()
        # The window as two parallel lists (payloads, arrival times, both oldest first) and the
        # ESI of its first payload, so a repair hands the payloads to the kernel in one call.
        self._payloads: list[bytes] = []
        self._times: list[float] = []
        self._first_esi = 0
        self._next_esi = 0
        self._repair_key = 0
        self._credit = 0.0
        self._flush_at: float | None = None
        self._last_source = -1.0
        self._interval = 0.0
        """Mean time between sources (moving average over about 16), for the tail repairs."""
        self._tail_left = 0
        self._tail_at: float | None = None

    def encode(self, payload: bytes, now: float) -> list[bytes]:
        """Datagrams to send for one new payload: its source datagram, then due repairs."""
        ((_, sources, repairs),) = self.encode_batch([payload], now)
        return sources + repairs

    def encode_repairs(self, payload: bytes, now: float) -> list[bytes]:
        """``encode(payload, now)`` without its source datagram: the repairs due once the
        payload is in the window (for a user that sends its sources in its own packets)."""
        if len(payload) > MAX_PAYLOAD:
            raise SymbolError(f"a payload is over the {MAX_PAYLOAD}-byte limit")
        self._evict(now)
        self._append([payload], now)
        self._note_sources(1, now)
        repairs = self._due_repairs(1)
        self.counters.sources_sent += 1
        self.counters.window = len(self._payloads)
        return repairs

    def encode_batch(
        self, payloads: list[bytes], now: float
    ) -> list[tuple[int, list[bytes], list[bytes]]]:
        """Datagrams for payloads that all arrived at ``now``, as runs that each end where repairs
        are due: (index in ``payloads`` of the run's first, its source datagrams, the repairs
        after it). The same datagrams as ``encode`` on each payload in turn. Raises SymbolError,
        sending nothing, when a payload is too big to code."""
        if payloads and max(map(len, payloads)) > MAX_PAYLOAD:
            raise SymbolError(f"a payload is over the {MAX_PAYLOAD}-byte limit")
        self._evict(now)
        if payloads:
            self._note_sources(len(payloads), now)
        rate = self.config.repair_rate
        out = []
        start, total = 0, len(payloads)
        while start < total:
            need = _WHOLE_CREDIT - self._credit
            run = 1 if need <= rate else math.ceil(need / rate)
            chunk = payloads[start : start + run]
            out.append((start, self._add(chunk, now), self._due_repairs(len(chunk))))
            start += len(chunk)
        self.counters.sources_sent += total
        self.counters.window = len(self._payloads)
        return out

    def poll(self, now: float) -> list[bytes]:
        """Repairs due at ``now``: the flush, then the tail repairs of a quiet stream.

        With ``tail_repairs`` set, once no source came for :data:`QUIET_INTERVALS` mean source
        intervals (at least :data:`MIN_TAIL_SPACING`), up to ``tail_repairs`` repairs over what
        is left of the window follow, that far apart, while the window still holds sources; a
        new source starts over.
        """
        out = []
        if self._flush_at is not None and now >= self._flush_at:
            self._credit = 0.0
            self.counters.flushes += 1
            if self._payloads:
                out.append(self._repair())
            self._flush_at = None
            self.counters.window = len(self._payloads)
        if self._tail_at is not None and now >= self._tail_at:
            self._evict(now)
            self.counters.window = len(self._payloads)
            self._tail_left -= 1
            if not self._payloads or self._tail_left <= 0:
                self._tail_at = None
            else:
                self._tail_at = now + self._tail_spacing()
            if self._payloads:
                out.append(self._repair())
                self.counters.tail_repairs += 1
        return out

    def next_deadline(self) -> float | None:
        """When ``poll`` has repairs to send, or None."""
        flush, tail = self._flush_at, self._tail_at
        if tail is None:
            return flush
        return tail if flush is None else min(flush, tail)

    def _note_sources(self, count: int, now: float) -> None:
        """``count`` sources arrived at ``now``: follow the pace, put the tail repairs off."""
        if not self.config.tail_repairs:
            return
        interval = self._interval
        if self._last_source >= 0:
            gap = now - self._last_source
            interval += (gap - interval) / 16 if interval else gap
        if count > 1 and interval:
            interval *= (15 / 16) ** (count - 1)  # the batch's other sources: gaps of 0
        self._interval = interval
        self._last_source = now
        self._tail_left = self.config.tail_repairs
        self._tail_at = now + self._tail_spacing()

    def _tail_spacing(self) -> float:
        # Relative to the stream's own pace: a slow stream is never taken for a quiet one
        # (its sources leave the window before the tail repairs would start, so none is sent).
        return max(MIN_TAIL_SPACING, QUIET_INTERVALS * self._interval)

    def _add(self, chunk: list[bytes], now: float) -> list[bytes]:
        """Source datagrams of ``chunk``, now in the window."""
        esi = self._next_esi
        self._append(chunk, now)
        return frame(_TYPE_PREFIX, 4, esi, chunk)

    def _append(self, chunk: list[bytes], now: float) -> None:
        """Put ``chunk`` in the window (the next ESIs) and schedule the flush it needs."""
        self._next_esi = (self._next_esi + len(chunk)) & _MASK32
        self._payloads += chunk
        self._times += [now] * len(chunk)
        over = len(self._payloads) - self.config.max_window
        if over > 0:
            self._drop_oldest(over)
        if self._flush_at is None:
            self._flush_at = now + self.config.window_time

    def _due_repairs(self, added: int) -> list[bytes]:
        self._credit += added * self.config.repair_rate
        out = []
        while self._credit >= _WHOLE_CREDIT:
            self._credit -= 1.0
            out.append(self._repair())
        return out

    def _evict(self, now: float) -> None:
        gone = bisect.bisect_left(self._times, now - self.config.window_time)
        if gone:
            self._drop_oldest(gone)

    def _drop_oldest(self, count: int) -> None:
        del self._payloads[:count]
        del self._times[:count]
        self._first_esi = (self._first_esi + count) & _MASK32

    def _repair(self) -> bytes:
        payloads = self._payloads
        count = len(payloads)
        key = self._repair_key
        self._repair_key = (key + 1) & 0xFFFF
        header = _REPAIR.pack(REPAIR_TYPE, key, _DT_DENSE | count, self._first_esi)
        self._flush_at = None
        self.counters.repairs_sent += 1
        return native_encode([header], payloads, coefficients(key, count))[0]


class SlidingWindowDecoder:
    """Delivers sources as they arrive and rebuilds lost ones from repairs while it still can."""

    def __init__(self, config: SlidingWindowConfig) -> None:
        self.config = config
        self.counters = DecoderCounters()
        # Sources kept to rebuild from: 4 encoding windows. Twice the window (the usual rule)
        # gives up on chains of overlapping losses too early: at 10 % loss and 20 % repair it
        # left 1.6e-4 of the packets lost where 4 windows leave none in 300,000.
        self._history = max(HISTORY_WINDOWS * config.max_window, 64)
        self._in_order = config.release_in_order
        self._symbols: dict[int, bytes] = {}  # payloads received or rebuilt, by ESI
        self._missing: dict[int, float] = {}
        self._given_up: set[int] = set()
        self._held: dict[int, bytes] = {}
        self._system = LinearSystem(
            max_rows=self._history,
            max_terms=TERMS_PER_WINDOW * config.max_window,
            max_unknowns=config.max_window,
        )
        self._highest = -1
        self._floor = 0
        self._next_release = -1

    @property
    def held(self) -> int:
        """Payloads held back for in-order release."""
        return len(self._held)

    # ---- inputs -----------------------------------------------------------------------------

    def receive(self, datagram: bytes, now: float) -> list[bytes]:
        """Payloads delivered because ``datagram`` arrived."""
        kind = datagram[0] if datagram else -1
        if kind == SOURCE_TYPE and len(datagram) >= _SOURCE_SIZE and not self._in_order:
            highest = self._highest
            if highest >= 0 and _unpack_source(datagram)[1] == (highest + 1) & _MASK32:
                payload = datagram[_SOURCE_SIZE:]
                self._next_in_sequence(payload)  # the common case, kept short
                return [payload]
        try:
            if kind == SOURCE_TYPE and len(datagram) >= _SOURCE.size:
                return self._on_source(datagram, now)
            if kind == REPAIR_TYPE and len(datagram) >= _REPAIR.size + 2:
                return self._on_repair(datagram, now)
        except (SymbolError, ValueError):
            pass
        self.counters.decode_failures += 1
        return []

    def _next_in_sequence(self, payload: bytes) -> None:
        """Take the source numbered right after the highest one seen: what _on_source does then,
        in short (nothing missing to note, nothing to solve)."""
        esi = self._highest = self._highest + 1
        self._symbols[esi] = payload
        self.counters.sources_received += 1
        leaving = self._floor
        if esi - self._history == leaving and not (
            leaving in self._missing or leaving in self._given_up
        ):  # one source leaves the history, nothing waited on it: _evict in short
            self._symbols.pop(leaving, None)
            self._floor = leaving + 1
        elif esi - self._history >= leaving:
            self._evict()
            self._update_gauges()

    def receive_source(self, esi: int, payload: bytes, now: float) -> list[bytes]:
        """What :meth:`receive` returns for the source datagram of ``payload`` with ESI ``esi``
        (mod 2^32), without that datagram being built and taken apart (Raft's received DATA)."""
        highest = self._highest
        if highest >= 0 and esi == (highest + 1) & _MASK32 and not self._in_order:
            self._next_in_sequence(payload)  # the common case, as in receive()
            return [payload]
        try:
            return self._source(esi & _MASK32, payload, now)
        except (SymbolError, ValueError):
            self.counters.decode_failures += 1
            return []

    def receive_batch(self, datagrams: list[bytes], now: float) -> tuple[list[bytes], list[int]]:
        """Payloads a batch of datagrams delivers, in order, and for each payload the index in
        ``datagrams`` of the datagram that delivered it (``receive`` on each in turn)."""
        payloads: list[bytes] = []
        origins: list[int] = []
        receive = self.receive
        index, total = 0, len(datagrams)
        while index < total:
            if self._highest >= 0 and not self._in_order:
                run = sources_in_sequence(
                    datagrams, index, SOURCE_TYPE, (self._highest + 1) & _MASK32
                )
                if run:  # sources in sequence: receive's common case, a run at a time
                    self._in_sequence(run)
                    payloads += run
                    origins += range(index, index + len(run))
                    index += len(run)
                    continue
            got = receive(datagrams[index], now)
            if got:
                payloads += got
                origins += [index] * len(got)
            index += 1
        return payloads, origins

    def _in_sequence(self, run: list[bytes]) -> None:
        """Take the payloads of sources numbered right after the highest one seen (nothing
        missing to note, nothing to solve), as ``receive`` does with each in turn."""
        first = self._highest + 1
        self._symbols.update(enumerate(run, first))
        self._highest = first + len(run) - 1
        self.counters.sources_received += len(run)
        if self._highest - self._history >= self._floor:
            waited = len(self._missing) + len(self._given_up)
            self._evict()
            if len(self._missing) + len(self._given_up) != waited:
                self._update_gauges()

    def poll(self, now: float) -> list[bytes]:
        """Give up on packets whose timeout passed; payloads that releases (in-order mode)."""
        missing = self._missing
        expired = []
        for esi, deadline in missing.items():
            if deadline > now:
                break
            expired.append(esi)
        for esi in expired:
            self._give_up(esi)
        self._update_gauges()
        return self._release() if expired else []

    def next_deadline(self) -> float | None:
        """When the oldest missing packet times out, or None."""
        for deadline in self._missing.values():
            return deadline
        return None

    # ---- sources ----------------------------------------------------------------------------

    def _on_source(self, datagram: bytes, now: float) -> list[bytes]:
        return self._source(_SOURCE.unpack_from(datagram)[1], datagram[_SOURCE.size :], now)

    def _source(self, wire_esi: int, payload: bytes, now: float) -> list[bytes]:
        esi = self._unwrap(wire_esi)
        if esi in self._symbols or esi < self._floor:
            self.counters.duplicates += 1
            return []
        late = esi in self._given_up  # not delivered, but it may still rebuild others
        if late:
            self.counters.late += 1
        else:
            self.counters.sources_received += 1
        self._extend(esi, now)
        self._symbols[esi] = payload
        was_missing = self._missing.pop(esi, None) is not None
        solved = self._system.known(esi, to_symbol(payload)) if was_missing or late else []
        out = [] if late else self._deliver(esi, payload)
        for other, data in solved:
            out += self._recovered(other, data)
        self._update_gauges()
        return out

    def _extend(self, last: int, now: float, *, seen: bool = True) -> None:
        """Note that sources up to ``last`` exist; the ones never seen are missing from now
        (``last`` itself too unless ``seen``)."""
        if self._highest < 0:
            self._highest = last - 1
            self._floor = self._next_release = last
        if last <= self._highest:
            return
        deadline = now + self.config.timeout
        first = max(self._highest + 1, last - self._history)
        self.counters.lost += first - (self._highest + 1)
        for esi in range(first, last if seen else last + 1):
            self._missing[esi] = deadline
        self._highest = last
        self._evict()

    def _evict(self) -> None:
        floor = self._highest - self._history + 1
        if floor <= self._floor:
            return
        if floor - self._floor <= self._history:  # the usual small step
            for esi in range(self._floor, floor):
                self._symbols.pop(esi, None)
                if esi in self._missing:
                    self._give_up(esi)
                if esi in self._given_up:
                    self._given_up.discard(esi)
                    self._system.forget(esi)
        else:  # a jump (a long silence, or a hostile sequence number): filter, never count up
            for esi in [e for e in self._missing if e < floor]:
                self._give_up(esi)
            for esi in [e for e in self._given_up if e < floor]:
                self._given_up.discard(esi)
                self._system.forget(esi)
            self._symbols = {e: s for e, s in self._symbols.items() if e >= floor}
        self._floor = floor

    # ---- repairs ----------------------------------------------------------------------------

    def _on_repair(self, datagram: bytes, now: float) -> list[bytes]:
        _, key, dt_nss, fss = _REPAIR.unpack_from(datagram)
        count = dt_nss & 0xFFF
        if dt_nss >> 12 != 15 or count == 0:
            raise ValueError("unsupported repair density or empty window")
        self.counters.repairs_received += 1
        first = self._unwrap(fss)
        self._extend(first + count - 1, now, seen=False)
        if first < self._floor:
            self.counters.repairs_useless += 1
            return []
        unknown = self._unknown(first, first + count)
        if not unknown:
            self.counters.repairs_useless += 1
            return []
        if len(unknown) == 1:  # the usual case at low loss: one scaled XOR, no equation kept
            rebuilt = self._solve_one(datagram, key, first, count, unknown[0])
            if rebuilt is not None:
                return rebuilt
        solved = self._system.add(*self._equation(datagram, key, first, count, unknown))
        if not solved:
            self._update_gauges()
            return []
        out: list[bytes] = []
        for esi, data in solved:
            out += self._recovered(esi, data)
        self._update_gauges()
        return out

    def _equation(
        self, datagram: bytes, key: int, first: int, count: int, unknown: list[int]
    ) -> tuple[dict[int, int], bytearray]:
        coefs = coefficients(key, count)
        data = bytearray(datagram[_REPAIR.size :])
        if len(unknown) < count:
            # Subtract the known sources in one native call: the unknown ones get coefficient
            # 0 (and an empty stand-in), so the kernel skips them.
            known_coefs = bytearray(coefs)
            for esi in unknown:
                known_coefs[esi - first] = 0
            payloads = list(map(self._symbols.get, range(first, first + count), repeat(b"")))
            (known,) = native_encode(_NO_HEADER, payloads, known_coefs)
            mul_add(data, known, 1)
        return {esi: coefs[esi - first] for esi in unknown}, data

    def _solve_one(
        self, datagram: bytes, key: int, first: int, count: int, esi: int
    ) -> list[bytes] | None:
        """Payloads delivered by rebuilding ``esi``, the one source of the repair's window not
        here, with the kernel's 1-loss decode call (what the equation would solve to, without
        the elimination); None when the decode table cannot be made."""
        table = decode_matrix(coefficients(key, count), count, bytes([esi - first]))
        if table is None:
            return None
        symbols = self._symbols
        known = [symbols[e] for e in range(first, first + count) if e != esi]
        (payload,) = native_recover(known, [datagram], _REPAIR.size, table)
        if payload is None:
            self.counters.decode_failures += 1
            return []
        out = self._rebuilt(esi, payload)
        self._update_gauges()
        return out

    def _unknown(self, first: int, end: int) -> list[int]:
        """Sources of [first, end) not here: every one is missing or given up (the repair's
        range was just noted as existing, and it starts at or above the floor)."""
        symbols = self._symbols
        out = [esi for esi in self._missing if first <= esi < end]
        out += [esi for esi in self._given_up if first <= esi < end and esi not in symbols]
        return sorted(out)

    # ---- delivery ---------------------------------------------------------------------------

    def _recovered(self, esi: int, data: bytearray) -> list[bytes]:
        if esi < self._floor or esi in self._symbols:
            return []
        try:
            payload = from_symbol(data)
        except SymbolError:
            self.counters.decode_failures += 1
            return []
        return self._rebuilt(esi, payload)

    def _rebuilt(self, esi: int, payload: bytes) -> list[bytes]:
        """Payloads delivered now that ``esi`` was rebuilt: its own, and what it solves."""
        self._symbols[esi] = payload
        solved = self._system.known(esi, to_symbol(payload)) if len(self._system) else []
        if esi in self._given_up:
            self.counters.late += 1
            out = []
        else:
            self._missing.pop(esi, None)
            self.counters.recovered += 1
            out = self._deliver(esi, payload)
        for other, more in solved:
            out += self._recovered(other, more)
        return out

    def _deliver(self, esi: int, payload: bytes) -> list[bytes]:
        if not self.config.release_in_order:
            return [payload]
        self._held[esi] = payload
        return self._release()

    def _release(self) -> list[bytes]:
        if not self.config.release_in_order:
            return []
        out = []
        held, given_up = self._held, self._given_up
        esi = self._next_release
        while esi <= self._highest:
            if esi in held:
                out.append(held.pop(esi))
            elif esi < self._floor:  # nothing more can come below the window: skip to what can
                esi = min(min(held, default=self._floor), self._floor)
                continue
            elif esi not in given_up:
                break
            esi += 1
        self._next_release = esi
        return out

    def _give_up(self, esi: int) -> None:
        # Its equations stay: solving them may still rebuild younger packets in time.
        del self._missing[esi]
        self._given_up.add(esi)
        self.counters.lost += 1

    def _unwrap(self, wire: int) -> int:
        if self._highest < 0:
            return wire
        offset = (wire - self._highest + 0x80000000) & _MASK32
        return self._highest + offset - 0x80000000

    def _update_gauges(self) -> None:
        self.counters.missing = len(self._missing)
        self.counters.equations = len(self._system)
        self.counters.equations_dropped = self._system.dropped
