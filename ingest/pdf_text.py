"""A PDF's text layer as paragraphs: visual lines joined, hyphenation undone, running headers and page numbers gone."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median
from typing import Any

_LIGATURES = str.maketrans({"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"})
_PAGE_NUMBER = re.compile(r"(?i)^[-–—\s]*(?:(?:seite|page|s\.|p\.)\s*)?\d{1,4}(?:\s*(?:/|von|of)\s*\d{1,4})?[-–—\s]*$")
# A word after a line-end hyphen that shows the hyphen belongs to the text: "Nord- und Südamerika".
_CONJUNCTIONS = frozenset(["und", "oder", "bis", "sowie", "bzw", "als", "wie", "noch", "and", "or", "to"])
_SHORT_LINE = 0.65  # of the usual full line length: a line this short ends its paragraph
_SIZE_CHANGE = 0.15  # a font size this much larger or smaller starts a new paragraph
_GAP = 0.4  # a step between lines this much (in font sizes) above the usual line spacing starts a new paragraph


@dataclass(frozen=True)
class Line:
    """One visual line of a page: its text, baseline height on the page and font size (both in points)."""

    text: str
    y: float
    size: float


def page_lines(page: Any) -> list[Line]:
    """The visual lines of a pypdf page in content order, from pypdf's plain text extraction."""
    lines: list[Line] = []
    parts: list[str] = []
    position: tuple[float, float] | None = None

    def visit(text: str, cm: Sequence[float], tm: Sequence[float], _font: object, font_size: float) -> None:
        nonlocal position
        pieces = text.split("\n")
        for k, piece in enumerate(pieces):
            if piece.strip() and position is None:
                position = _position(cm, tm, font_size)
            parts.append(piece)
            if k < len(pieces) - 1:
                end_line()

    def end_line() -> None:
        nonlocal position
        text = " ".join("".join(parts).translate(_LIGATURES).split())
        if text and position is not None:
            lines.append(Line(text, *position))
        parts.clear()
        position = None

    page.extract_text(visitor_text=visit)
    end_line()
    return lines


def _position(cm: Sequence[float], tm: Sequence[float], font_size: float) -> tuple[float, float]:
    """Baseline height and rendered font size of text drawn with text matrix ``tm`` under ``cm``."""
    y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
    scale = math.hypot(tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
    return y, abs(font_size * scale) or 1.0


def drop_furniture(pages: list[list[Line]]) -> list[list[Line]]:
    """Remove page numbers ("3", "- 3 -", "Seite 3 von 5") and running headers and footers: the top or bottom
    line of a page that, digits aside, is the same line at the same height on another page."""
    def key(line: Line) -> tuple[str, int]:
        return re.sub(r"\d+", "#", line.text.casefold()), round(line.y)

    edges = [_edges(lines) for lines in pages]
    seen = Counter(key(line) for edge in edges for line in edge)
    def furniture(line: Line, edge: set[Line]) -> bool:
        return bool(_PAGE_NUMBER.match(line.text)) or (line in edge and seen[key(line)] >= 2)

    return [[line for line in lines if not furniture(line, edge)] for lines, edge in zip(pages, edges, strict=True)]


def _edges(lines: list[Line]) -> set[Line]:
    """The top and bottom line of a page (by height: headers and footers are often drawn first or last)."""
    if not lines:
        return set()
    return {max(lines, key=lambda line: line.y), min(lines, key=lambda line: line.y)}


def paragraphs(pages: list[list[Line]]) -> list[list[str]]:
    """Each page's lines joined into paragraphs. A paragraph ends where the font size changes, where the step to
    the next line is clearly larger than the usual line spacing or goes up (a new column or box), and after a
    line clearly shorter than a full line of its size."""
    full = _full_line_lengths([line for lines in pages for line in lines])
    spacing = _line_spacings(pages)
    out: list[list[str]] = []
    for lines in pages:
        paras: list[str] = []
        current = ""
        for prev, line in zip([None, *lines], lines, strict=False):
            if prev is None or _breaks(prev, line, full, spacing):
                if current:
                    paras.append(current)
                current = line.text
            else:
                current = _join(current, line.text)
        if current:
            paras.append(current)
        out.append(paras)
    return out


def _size_key(size: float) -> int:
    return round(size * 2)  # half-point buckets


def _full_line_lengths(lines: list[Line]) -> dict[int, float]:
    """Per font size: the length of a full line (in characters), the 90th percentile of the lines' lengths."""
    by_size: dict[int, list[int]] = {}
    for line in lines:
        by_size.setdefault(_size_key(line.size), []).append(len(line.text))
    return {k: sorted(v)[int(0.9 * (len(v) - 1))] for k, v in by_size.items()}


def _line_spacings(pages: list[list[Line]]) -> dict[int, float]:
    """Per font size: the usual step from one line down to the next (the median of the small steps)."""
    steps: dict[int, list[float]] = {}
    for lines in pages:
        for prev, line in zip(lines, lines[1:], strict=False):
            step = prev.y - line.y
            if _size_key(prev.size) == _size_key(line.size) and 0.5 * line.size < step < 3 * line.size:
                steps.setdefault(_size_key(line.size), []).append(step)
    return {k: median(v) for k, v in steps.items()}


def _breaks(prev: Line, line: Line, full: dict[int, float], spacing: dict[int, float]) -> bool:
    if abs(prev.size - line.size) > _SIZE_CHANGE * max(prev.size, line.size):
        return True
    step = prev.y - line.y
    usual = spacing.get(_size_key(line.size), 1.2 * line.size)
    if step < 0.5 * line.size or step > usual + _GAP * line.size:
        return True
    return len(prev.text) < _SHORT_LINE * full.get(_size_key(prev.size), len(prev.text))


def _join(text: str, following: str) -> str:
    """Join a visual line to the next one, undoing a hyphenation at the line end."""
    if text.endswith("\xad"):
        return text[:-1] + following
    if len(text) > 1 and text[-1] in "-‐" and text[-2].isalpha():
        word = following.split(" ", 1)[0].rstrip(".,;:").casefold()
        if following[:1].islower() and word not in _CONJUNCTIONS:
            return text[:-1] + following  # "Zusammen-" + "arbeit"
        if following[:1].isupper():
            return text + following  # "Elektro-" + "Autos"
    return f"{text} {following}"

