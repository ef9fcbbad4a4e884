"""The contract text and two normalised views of it, each mapped back to the original.

Every extracted value carries the span of the original text it came from, as Python
string offsets `[start, end)` into `Source.text`. Rules never search the original
directly: full-width digits and punctuation (２４, （, ：, ，), ideographic spaces and
line breaks in the middle of a word (PDF text layers wrap anywhere) would defeat them.
They search a view instead:

- `prose`: NFKC-normalised (full-width → half-width), all whitespace removed, so
  "至少提前 24 小时" and "2026年12\\n月31日" read "至少提前24小时", "2026年12月31日";
- `lines`: NFKC-normalised with line breaks kept and other whitespace as single spaces,
  for what is laid out in lines and columns (the price table, the signature block).

`View.span(i, j)` turns view offsets into original offsets.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

_ZERO_WIDTH = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad"}


def text_clean(text: str) -> str:
    """The stored form of a contract's text: newlines as \\n, no byte-order mark."""
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


@dataclass(frozen=True)
class View:
    text: str
    # For each character of the view, the original [start, end) it stands for.
    starts: tuple[int, ...]
    ends: tuple[int, ...]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of view characters [start, end)."""
        if end <= start:
            position = self.starts[start] if start < len(self.starts) else self.ends[-1]
            return position, position
        return self.starts[start], self.ends[end - 1]

    def lines(self) -> Iterator[tuple[int, str]]:
        """(view offset, line) for each line of the view."""
        offset = 0
        for line in self.text.split("\n"):
            yield offset, line
            offset += len(line) + 1


def _view(text: str, *, keep_lines: bool) -> View:
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for index, char in enumerate(text):
        if char in _ZERO_WIDTH:
            continue
        normal = unicodedata.normalize("NFKC", char)
        for piece in normal:
            if piece.isspace():
                if not keep_lines:
                    continue
                piece = "\n" if piece == "\n" else " "
                if piece == " " and out and out[-1] == " ":
                    ends[-1] = index + 1
                    continue
            out.append(piece)
            starts.append(index)
            ends.append(index + 1)
    return View("".join(out), tuple(starts), tuple(ends))


class Source:
    """A contract's text with its `prose` and `lines` views."""

    def __init__(self, text: str):
        self.text = text_clean(text)
        self.prose = _view(self.text, keep_lines=False)
        self.lines = _view(self.text, keep_lines=True)

    def excerpt(self, span: tuple[int, int] | None) -> str:
        if span is None:
            return ""
        return self.text[span[0] : span[1]]

    def compact(self, span: tuple[int, int]) -> str:
        """The original text of `span` without whitespace (for `stated` values)."""
        return re.sub(r"\s+", "", self.excerpt(span))
