"""Template text with positions: turns an offset into a line and a column."""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Source:
    """A template's name and text; positions are offsets into ``text``."""

    name: str
    text: str
    _line_starts: list[int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        starts = [0] + [index + 1 for index, char in enumerate(self.text) if char == "\n"]
        object.__setattr__(self, "_line_starts", starts)

    def line_column(self, offset: int) -> tuple[int, int]:
        """1-based line and column (in characters) of ``offset``."""
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1
