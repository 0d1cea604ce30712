"""Single date expressions in a question, German or English, each with its place and its ISO bounds."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from assistant import date_words as words
from assistant.date_values import iso, months_back, precision_of, valid_day, valid_month, years_back


@dataclass(frozen=True)
class Span:
    """Where in the question something was found."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Atom:
    """One date expression: where it stands in the question and the ISO dates it covers."""

    start: int
    end: int
    date_from: str
    date_to: str
    relative: bool = False
    bare_month: int | None = None  # a month without a year: only as the first date of a pair


# adds the atom (priority, match, date_from, date_to) when both dates are valid
_AddAtom = Callable[[int, re.Match[str], str | None, str | None], None]
# the (date_from, date_to) of a relative expression, counted from the reference date
_Relative = Callable[[date], tuple[str, str]]


def absolute_atoms(text: str) -> list[tuple[int, Atom]]:
    """(priority, atom) for every absolute date expression; lower priority numbers win overlaps."""
    out: list[tuple[int, Atom]] = []

    def add(priority: int, m: re.Match[str], lo: str | None, hi: str | None) -> None:
        if lo and hi:
            out.append((priority, Atom(m.start(), m.end(), lo, hi)))

    f = re.IGNORECASE
    for m in re.finditer(r"(?<![\d-])(?P<y>(?:19|20)\d\d)-(?P<m>\d\d)-(?P<d>\d\d)(?!\d)", text):
        day = valid_day(int(m["y"]), int(m["m"]), int(m["d"]))
        add(0, m, day, day)
    for m in re.finditer(r"(?<![\d.])(?P<d>\d{1,2})\.\s?(?P<m>\d{1,2})\.\s?(?P<y>(?:19|20)\d\d)(?!\d)", text):
        day = valid_day(int(m["y"]), int(m["m"]), int(m["d"]))
        add(0, m, day, day)
    for m in re.finditer(r"(?<![\d.])(?P<d1>\d{1,2})\.?\s*(?:bis|-|–|to|and|und)\s*(?P<d2>\d{1,2})(?:\.|st|nd|rd|th)?"
                         r"\s+(?:of\s+)?" + words.MONTH + r"\s+" + words.YEAR, text, f):
        y, mo = int(m["year"]), words.MONTHS[m["month"].lower()]
        add(0, m, valid_day(y, mo, int(m["d1"])), valid_day(y, mo, int(m["d2"])))
    day_month_year = r"(?<![\d.])(?P<d>\d{1,2})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?" + words.MONTH + r",?\s+" + words.YEAR
    for m in re.finditer(day_month_year, text, f):
        day = valid_day(int(m["year"]), words.MONTHS[m["month"].lower()], int(m["d"]))
        add(1, m, day, day)
    for m in re.finditer(r"\b" + words.MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+" + words.YEAR, text, f):
        day = valid_day(int(m["year"]), words.MONTHS[m["month"].lower()], int(m["d"]))
        add(1, m, day, day)
    for m in re.finditer(r"(?<![\d-])(?P<y>(?:19|20)\d\d)-(?P<m>0[1-9]|1[0-2])(?![\d-])", text):
        month = valid_month(int(m["y"]), int(m["m"]))
        add(1, m, month, month)
    for m in re.finditer(r"\b" + words.MONTH + r"\s+(?:des\s+jahres\s+|of\s+)?" + words.YEAR, text, f):
        month = valid_month(int(m["year"]), words.MONTHS[m["month"].lower()])
        add(2, m, month, month)
    for m in re.finditer(r"(?<![\d.,/])(?P<m>0?[1-9]|1[0-2])[/.](?P<y>(?:19|20)\d\d)(?![\d.,/])", text):
        month = valid_month(int(m["y"]), int(m["m"]))
        add(2, m, month, month)
    for m in re.finditer(r"\b(?P<q>erste[nm]?|zweite[nm]?|dritte[nm]?|vierte[nm]?|[1-4]\.|first|second|third|fourth"
                         r"|1st|2nd|3rd|4th)\s+(?P<what>quartals?|quarter|halbjahr(?:es)?|half|jahreshälfte)\s+"
                         r"(?:des\s+jahres\s+|of\s+(?:the\s+year\s+)?)?" + words.YEAR, text, f):
        _period(add, m, int(m["year"]), words.ordinal(m["q"]), 3 if m["what"].lower().startswith("quar") else 6)
    for m in re.finditer(r"\b(?P<what>[QH])(?P<q>[1-4])\s*[/-]?\s*" + words.YEAR, text):
        _period(add, m, int(m["year"]), int(m["q"]), 3 if m["what"] == "Q" else 6)
    for m in re.finditer(r"(?<![\d.,/])(?P<y1>(?:19|20)\d\d)\s*/\s*(?P<y2>\d\d|(?:19|20)\d\d)(?![\d/])", text):
        y1, y2 = int(m["y1"]), int(m["y2"])
        y2 = y2 if y2 > 99 else y1 // 100 * 100 + y2
        if y2 == y1 + 1:
            add(1, m, str(y1), str(y2))
    for m in re.finditer(r"(?<![\d.,/])(?P<y1>(?:19|20)\d\d)\s*[-–—]\s*(?P<y2>(?:19|20)\d\d)(?![\d/])", text):
        if int(m["y1"]) < int(m["y2"]):
            add(1, m, m["y1"], m["y2"])
    for m in re.finditer(r"\b(?:(?P<c>19|20)(?P<d>\d)0(?:er(?:\s+jahren?)?|s)|(?P<short>[3-9])0er(?:\s+jahren?)"
                         r"|the\s+'?(?P<en>[3-9])0s)\b", text, f):
        if m["c"]:
            lo = int(m["c"] + m["d"] + "0")
        else:
            lo = 1900 + 10 * int(m["short"] or m["en"])
        add(2, m, str(lo), str(lo + 9))
    for m in re.finditer(r"(?:(?<=mid-)|(?<![\w.,/:-]))" + words.YEAR + r"(?!\s*[/–—-]\s*\d)(?![.,:]\d)(?!\w)", text):
        if not words.counted(text, m.start(), m.end()):
            add(4, m, m["year"], m["year"])
    return out


def _period(add: _AddAtom, m: re.Match[str], year: int, n: int, months: int) -> None:
    if 1 <= n <= 12 // months:
        first = (n - 1) * months + 1
        add(0, m, valid_month(year, first), valid_month(year, first + months - 1))


def relative_atoms(text: str, ref: date | None) -> list[tuple[int, Atom | Span]]:
    """Relative expressions as atoms (or as a bare Span when there is no reference date to count from)."""
    out: list[tuple[int, Atom | Span]] = []
    f = re.IGNORECASE

    def add(m: re.Match[str], make: _Relative) -> None:
        if ref is None:
            out.append((0, Span(m.start(), m.end(), m.group())))
            return
        lo, hi = make(ref)
        out.append((0, Atom(m.start(), m.end(), lo, hi, relative=True)))

    def year(n: int) -> _Relative:
        return lambda r: (str(r.year - n),) * 2

    def month(n: int) -> _Relative:
        return lambda r: (iso(months_back(r, n), "month"),) * 2

    def day(n: int) -> _Relative:
        return lambda r: ((r - timedelta(days=n)).isoformat(),) * 2

    def week(n: int) -> _Relative:
        def make(r: date) -> tuple[str, str]:
            monday = r - timedelta(days=r.weekday()) - timedelta(days=7 * n)
            end = monday + timedelta(days=6)
            return monday.isoformat(), min(end, r).isoformat()
        return make

    def last(n: int, unit: str) -> _Relative:
        def make(r: date) -> tuple[str, str]:
            start = {"year": lambda: years_back(r, n), "month": lambda: months_back(r, n),
                     "week": lambda: r - timedelta(days=7 * n), "day": lambda: r - timedelta(days=n)}[unit]()
            return start.isoformat(), r.isoformat()
        return make

    units_de = r"(?P<unit>jahr|monat|woche|tag)(?:en|e|es|s|n)?"
    units_en = r"(?P<unit>year|month|week|day)s?"
    by_unit = {"year": year, "month": month, "week": week, "day": day}
    for m in re.finditer(r"\b(?:in\s+den|während\s+der|innerhalb\s+der|in\s+the|over\s+the|during\s+the|within\s+the"
                         r"|for\s+the)?\s*(?:letzten|vergangenen|last|past)\s+" + words.N + r"\s+"
                         r"(?P<unit>jahr|monat|woche|tag|year|month|week|day)(?:en|e|es|s|n)?\b", text, f):
        n = words.number(m["n"])
        if n:
            add(m, last(n, words.unit(m["unit"])))
    for m in re.finditer(r"\b(?:im|in\s+the)\s+(?:letzten|vergangenen|last|past)\s+(?:jahrzehnt|decade)\b", text, f):
        add(m, last(10, "year"))
    for m in re.finditer(r"\b(?:in\s+the|over\s+the|during\s+the|within\s+the)\s+past\s+(?P<unit>year|month|week)\b",
                         text, f):
        add(m, last(1, m["unit"].lower()))
    for m in re.finditer(r"\bvor\s+" + words.N + r"\s+" + units_de + r"\b", text, f):
        n = words.number(m["n"])
        if n:
            add(m, by_unit[words.unit(m["unit"])](n))
    for m in re.finditer(r"\b" + words.N + r"\s+" + units_en + r"\s+ago\b", text, f):
        n = words.number(m["n"])
        if n:
            add(m, by_unit[words.unit(m["unit"])](n))
    for m in re.finditer(r"\b(?:(?:im\s+|in\s+)?(?:letzte[nmrs]?|vergangene[nmrs]?|vorige[nmrs]?)\s+"
                         r"(?P<de>jahr|monat|woche)(?:e?s)?|last\s+(?P<en>year|month|week))\b", text, f):
        unit = words.unit(m["de"] or m["en"])
        add(m, by_unit[unit](1))
    for m in re.finditer(r"\b(?:(?:in\s+)?(?:diese[nmrs]?|laufenden)\s+(?P<de>jahr|monat|woche)(?:e?s)?|heuer"
                         r"|this\s+(?P<en>year|month|week)|in\s+the\s+current\s+(?P<cur>year|month))\b", text, f):
        unit = words.unit(m["de"] or m["en"] or m["cur"] or "jahr")
        add(m, week(0) if unit == "week" else by_unit[unit](0))
    for m in re.finditer(r"\b(?:vorgestern|the\s+day\s+before\s+yesterday)\b", text, f):
        add(m, day(2))
    for m in re.finditer(r"\b(?:gestern|yesterday)\b", text, f):
        add(m, day(1))
    return out


def select(candidates: list[tuple[int, Atom | Span]]) -> list[Atom | Span]:
    """Non-overlapping atoms: the higher priority first, then the longer, then the earlier."""
    chosen: list[Atom | Span] = []
    for _, a in sorted(candidates, key=lambda pa: (pa[0], -(pa[1].end - pa[1].start), pa[1].start)):
        if all(a.end <= c.start or a.start >= c.end for c in chosen):
            chosen.append(a)
    return sorted(chosen, key=lambda a: a.start)


def with_bare_months(text: str, atoms: list[Atom]) -> list[Atom]:
    """Add a month (or day) without a year where it opens a pair with a dated one: "zwischen März und Mai
    2020", "zwischen dem 1. März und dem 15. April 2020"."""
    out = list(atoms)
    day = r"(?:(?<![\d.])(?P<day>\d{1,2})(?:\.|st|nd|rd|th)?\s*(?:of\s+)?)?"
    for m in re.finditer(day + r"\b" + words.MONTH_FULL + r"\b", text, re.IGNORECASE):
        nxt = next((a for a in atoms if a.start >= m.end()), None)
        if nxt is None or any(a.start <= m.start() < a.end for a in atoms):
            continue
        precision = "day" if m["day"] else "month"
        if not words.CONNECTOR.fullmatch(text[m.end():nxt.start]) or precision_of(nxt.date_from) != precision:
            continue
        number = words.MONTHS[m["month"].lower()]
        year = int(nxt.date_from[:4])
        value = valid_day(year, number, int(m["day"])) if m["day"] else valid_month(year, number)
        if value and value <= nxt.date_from:
            out.append(Atom(m.start(), m.end(), value, value, bare_month=number))
    return sorted(out, key=lambda a: a.start)
