"""Incremental Gaussian elimination over GF(2^8) for the decoders of the linear codes.

Unknowns are source symbols named by an integer id (a sequence number). Each equation says
``sum coef[id] * symbol[id] == data``; equations are kept in reduced row-echelon form, one row
per pivot unknown, so a row whose only unknown is its pivot *is* that symbol, solved. Row
operations on the data bytes run in the native kernel; the coefficient bookkeeping is small
(only the unknowns, i.e. the lost packets, appear in it).

Elimination costs about (equations kept) x (unknowns per equation) per new equation, so a
system is bounded in rows and in coefficients (``max_terms``) and never takes an equation of
more than ``max_unknowns`` unknowns: beyond that, heavy loss (or a peer sending repairs over
nothing but missing packets) would make the decoder's CPU grow without limit. The oldest
equations go first; :attr:`LinearSystem.dropped` counts what was dropped.
"""

from __future__ import annotations

from nanoping.fec.gf256 import EXP, LOG, inverse, mul, mul_add, scale


class _Row:
    __slots__ = ("coefs", "data")

    def __init__(self, coefs: dict[int, int], data: bytearray) -> None:
        self.coefs = coefs
        self.data = data

    def subtract(self, factor: int, other: _Row) -> None:
        """self -= factor * other (``factor`` non-zero; rows never keep a zero coefficient)."""
        coefs, exp, log = self.coefs, EXP, LOG
        log_factor = log[factor]
        for unknown, coef in other.coefs.items():
            value = coefs.get(unknown, 0) ^ exp[log_factor + log[coef]]
            if value:
                coefs[unknown] = value
            else:
                coefs.pop(unknown, None)
        if len(other.data) > len(self.data):
            self.data.extend(bytes(len(other.data) - len(self.data)))
        mul_add(self.data, other.data, factor)


class LinearSystem:
    """Equations in unknown symbols; reports each symbol as soon as the equations determine it."""

    def __init__(
        self, *, max_rows: int, max_terms: int | None = None, max_unknowns: int | None = None
    ) -> None:
        self.max_rows = max_rows
        self.max_terms = max_terms
        """Most coefficients kept over all equations (None: bounded by the rows only)."""
        self.max_unknowns = max_unknowns
        """Most unknowns one equation may have once reduced (None: any)."""
        self._rows: dict[int, _Row] = {}
        self.dropped = 0
        """Equations dropped to keep the system within its bounds (never solved)."""
        self.work = 0
        """Coefficients touched by row operations so far: the elimination's CPU, in units."""

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, coefs: dict[int, int], data: bytearray) -> list[tuple[int, bytearray]]:
        """Add one equation (``coefs`` maps unknown id to a non-zero coefficient); return the
        (id, symbol) pairs it solves. An equation that adds no information returns []."""
        row = _Row({k: v for k, v in coefs.items() if v}, data)
        limit = self.max_unknowns
        if limit is not None and len(row.coefs) > limit:
            self.dropped += 1
            return []
        for unknown in list(row.coefs):
            pivot = self._rows.get(unknown)
            factor = row.coefs.get(unknown, 0)
            if pivot is not None and factor:
                self.work += len(pivot.coefs)
                row.subtract(factor, pivot)
        if not row.coefs:
            return []
        if limit is not None and len(row.coefs) > limit:
            self.dropped += 1
            return []
        self._insert(row)
        return self._take_solved()

    def known(self, unknown: int, symbol: bytes) -> list[tuple[int, bytearray]]:
        """A symbol became known from elsewhere (it arrived late); return what that solves."""
        pivot_row = self._rows.pop(unknown, None)
        for row in self._rows.values():
            factor = row.coefs.pop(unknown, 0)
            if factor:
                _fit(row, len(symbol))
                mul_add(row.data, symbol, factor)
        solved = self._take_solved()
        if pivot_row is not None:
            factor = pivot_row.coefs.pop(unknown)
            _fit(pivot_row, len(symbol))
            mul_add(pivot_row.data, symbol, factor)
            if pivot_row.coefs:
                solved += self.add(pivot_row.coefs, pivot_row.data)
        return solved

    def forget(self, unknown: int) -> None:
        """Drop every equation involving ``unknown`` (given up on), to keep the system small."""
        for pivot in [p for p, row in self._rows.items() if unknown in row.coefs]:
            del self._rows[pivot]

    def unknowns(self) -> set[int]:
        """Ids that appear in the pending equations."""
        return {unknown for row in self._rows.values() for unknown in row.coefs}

    def _insert(self, row: _Row) -> None:
        pivot = min(row.coefs)
        factor = inverse(row.coefs[pivot])
        if factor != 1:
            row.coefs = {k: mul(factor, v) for k, v in row.coefs.items()}
            scale(row.data, factor)
        terms = len(row.coefs)
        for other in self._rows.values():
            coef = other.coefs.get(pivot, 0)
            if coef:
                self.work += terms
                other.subtract(coef, row)
        self._rows[pivot] = row
        while len(self._rows) > self.max_rows:
            self._drop_oldest()
        if self.max_terms is not None:
            kept = sum(len(other.coefs) for other in self._rows.values())
            while kept > self.max_terms:
                kept -= self._drop_oldest()

    def _drop_oldest(self) -> int:
        """Drop the equation of the oldest pivot (the oldest unknowns expire first); its size."""
        self.dropped += 1
        return len(self._rows.pop(min(self._rows)).coefs)

    def _take_solved(self) -> list[tuple[int, bytearray]]:
        solved = [p for p, row in self._rows.items() if len(row.coefs) == 1]
        return [(pivot, self._rows.pop(pivot).data) for pivot in solved]


def _fit(row: _Row, length: int) -> None:
    if length > len(row.data):
        row.data.extend(bytes(length - len(row.data)))
