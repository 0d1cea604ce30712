"""Dates in a question, German or English: a date range ("2018", "im Dezember 2018", "seit 2019", "letztes
Jahr"), a newest-first order ("neueste", "zuletzt", "the latest") or an event to be dated ("vor der Insolvenz
von GM"), each with the words it came from.

Conventions (the eval set ``eval/dates.jsonl`` follows them):

- a year, month or day is that period: "2018" -> 2018..2018, "Dezember 2018" -> 2018-12..2018-12;
- several dates cover the span between them: "2015 und 2018", "zwischen 2017 und 2019" -> 2017..2019;
- "seit/ab/since 2019" -> from 2019; "nach/after 2019" -> from 2020; "bis/until 2018" -> up to 2018;
  "vor/before 2018" -> up to 2017 (at the precision given: "vor März 2019" -> up to 2019-02);
- relative words count from a reference date R (the newest article, or the request's): "letztes Jahr" is
  the calendar year before R's, "vor zwei Monaten" the month two before R's, "letzte Woche" Monday to Sunday
  of the week before R's, "in den letzten drei Jahren" R minus three years .. R (days);
- not dates of articles, so no filter: a date after R ("bis 2030", a target; reported as ignored), "für/for
  2024" (the period a figure or plan is for), a month without a year, weekdays, "heute", durations ("seit
  zwei Jahren"), "Vorjahr", and numbers that count ("2000 Mitarbeiter", "Paragraf 219a", "Boeing 747").
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta

from assistant import date_words as words
from assistant.date_values import (
    following,
    iso,
    lower_bound,
    months_back,
    precision_of,
    previous,
    upper_bound,
    valid_day,
    valid_month,
    years_back,
)
from assistant.date_words import Relation
from assistant.text import bm25_tokens

# --- what the parser returns ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Span:
    """Where in the question something was found."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class DateRange:
    """Articles dated date_from..date_to (ISO, partial allowed; None = open), from the words at ``spans``."""

    date_from: str | None
    date_to: str | None
    spans: tuple[Span, ...]
    relative: bool = False  # counted from the reference date

    @property
    def text(self) -> str:
        return " … ".join(s.text for s in self.spans)


@dataclass(frozen=True)
class EventAnchor:
    """A date relative to an event ("vor der Insolvenz von GM"): the index has to date the event."""

    relation: Relation
    words: str  # "Insolvenz von GM"
    span: Span


@dataclass(frozen=True)
class Ignored:
    """Date words that are not taken as a filter, and why."""

    span: Span
    reason: str
    date_from: str | None = None
    date_to: str | None = None


@dataclass(frozen=True)
class QuestionDates:
    """Everything date-like in one question."""

    range: DateRange | None = None
    newest_first: Span | None = None
    event: EventAnchor | None = None
    ignored: list[Ignored] = field(default_factory=list)
    needs_reference: Span | None = None  # relative words, but no reference date to count from

    @property
    def empty(self) -> bool:
        return not (self.range or self.newest_first or self.event or self.ignored or self.needs_reference)


# --- atoms: one date expression each -------------------------------------------------------------------


@dataclass(frozen=True)
class _Atom:
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


def _absolute_atoms(text: str) -> list[tuple[int, _Atom]]:
    """(priority, atom) for every absolute date expression; lower priority numbers win overlaps."""
    out: list[tuple[int, _Atom]] = []

    def add(priority: int, m: re.Match[str], lo: str | None, hi: str | None) -> None:
        if lo and hi:
            out.append((priority, _Atom(m.start(), m.end(), lo, hi)))

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


def _relative_atoms(text: str, ref: date | None) -> list[tuple[int, _Atom | Span]]:
    """Relative expressions as atoms (or as a bare Span when there is no reference date to count from)."""
    out: list[tuple[int, _Atom | Span]] = []
    f = re.IGNORECASE

    def add(m: re.Match[str], make: _Relative) -> None:
        if ref is None:
            out.append((0, Span(m.start(), m.end(), m.group())))
            return
        lo, hi = make(ref)
        out.append((0, _Atom(m.start(), m.end(), lo, hi, relative=True)))

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


def _select(candidates: list[tuple[int, _Atom | Span]]) -> list[_Atom | Span]:
    """Non-overlapping atoms: the higher priority first, then the longer, then the earlier."""
    chosen: list[_Atom | Span] = []
    for _, a in sorted(candidates, key=lambda pa: (pa[0], -(pa[1].end - pa[1].start), pa[1].start)):
        if all(a.end <= c.start or a.start >= c.end for c in chosen):
            chosen.append(a)
    return sorted(chosen, key=lambda a: a.start)


# --- the parser ----------------------------------------------------------------------------------------


def parse(question: str, reference: date | None = None) -> QuestionDates:
    """The dates of ``question``; relative words count from ``reference`` (none: they are reported in
    ``needs_reference``), and dates after it are targets, not filters."""
    text = question
    atoms = _select([*_absolute_atoms(text), *_relative_atoms(text, reference)])
    needs = next((a for a in atoms if isinstance(a, Span)), None)
    dated = [a for a in atoms if isinstance(a, _Atom)]
    dated = _with_bare_months(text, dated)
    intervals: list[tuple[str | None, str | None, list[Span], bool]] = []
    ignored: list[Ignored] = []
    lo: str | None
    hi: str | None
    i = 0
    while i < len(dated):
        a = dated[i]
        b = dated[i + 1] if i + 1 < len(dated) else None
        if b is not None and words.CONNECTOR.fullmatch(text[a.end:b.start]):  # "2017 bis 2019", "März und Mai 2020"
            start = _modifier_start(text, a.start, pair=True)
            lo, hi = min(a.date_from, b.date_from, key=lower_bound), max(a.date_to, b.date_to, key=upper_bound)
            intervals.append((lo, hi, [Span(start, b.end, text[start:b.end])], a.relative or b.relative))
            i += 2
            continue
        i += 1
        if a.bare_month:
            continue
        mod = words.MODIFIER.search(text[max(0, a.start - 40):a.start])
        kind = words.MODIFIERS[mod["mod"].split()[0].lower()] if mod else None
        start = a.start - len(mod.group()) if mod else a.start
        span = Span(start, a.end, text[start:a.end])
        if kind == "from" and a.date_from != a.date_to:
            kind = None  # "vom 1. bis 15. März": the words open the date's own span
        if kind == "for" or words.ACCOUNTS_BEFORE.search(text[max(0, a.start - 30):a.start]) \
                or words.ACCOUNTS_AFTER.match(text[a.end:a.end + 30]):
            continue  # the period figures are for ("Haushalt (für) 2024"), not when articles appeared
        lo, hi = a.date_from, a.date_to
        if kind in ("since", "from"):
            hi = None
        elif kind == "after":
            lo, hi = following(a.date_to), None
        elif kind == "until":
            lo = None
        elif kind == "before":
            lo, hi = None, previous(a.date_from)
        intervals.append((lo, hi, [span], a.relative))

    kept: list[tuple[str | None, str | None, list[Span], bool]] = []
    for lo, hi, spans, relative in intervals:
        why = _target(lo, hi, reference)
        if why:
            ignored.append(Ignored(spans[0], why, lo, hi))
        else:
            kept.append((lo, hi, spans, relative))
    found: DateRange | None = None
    if kept:
        los, his = [k[0] for k in kept], [k[1] for k in kept]
        lo = None if None in los else min((x for x in los if x), key=lower_bound)
        hi = None if None in his else max((x for x in his if x), key=upper_bound)
        if lo or hi:
            found = DateRange(lo, hi, tuple(s for k in kept for s in k[2]), any(k[3] for k in kept))
    newest = words.NEWEST.search(text)
    event = None if found or needs else _event(text, atoms)
    return QuestionDates(range=found, newest_first=Span(newest.start(), newest.end(), newest.group()) if newest
                         else None, event=event, ignored=ignored, needs_reference=needs)


def _target(lo: str | None, hi: str | None, reference: date | None) -> str | None:
    """Why a range cannot be about when articles appeared: it lies after the reference date, or it
    reaches past it without a start (restricting nothing)."""
    if reference is None:
        return None
    ref = int(reference.strftime("%Y%m%d"))
    if lo is not None and lower_bound(lo) > ref:
        return f"after the reference date {reference.isoformat()}: read as a target date, not as the articles' date"
    if lo is None and hi is not None and upper_bound(hi) >= ref:
        return f"reaches past the reference date {reference.isoformat()}: it would restrict nothing"
    return None


def _modifier_start(text: str, start: int, pair: bool) -> int:
    """Where the words that introduce the date at ``start`` begin ("zwischen", "from", "seit", "im")."""
    m = re.search(r"\b(?:zwischen|between|von|vom|from|seit|since|ab|in\s+den\s+jahren|in\s+the\s+years)\s+"
                  + words.FILLER + r"$", text[max(0, start - 40):start], re.IGNORECASE)
    return start - len(m.group()) if m and pair else start


def _with_bare_months(text: str, atoms: list[_Atom]) -> list[_Atom]:
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
            out.append(_Atom(m.start(), m.end(), value, value, bare_month=number))
    return sorted(out, key=lambda a: a.start)


def _event(text: str, atoms: list[_Atom | Span]) -> EventAnchor | None:
    """"vor der Insolvenz von GM", "after Ghosn's arrest", "seit der Pandemie": a relation and the event's
    words, when the words name an event (a known event noun, or a German compound ending in one)."""
    for m in words.EVENT_PREP.finditer(text):
        if any(a.start <= m.end() < a.end for a in atoms):
            continue
        rest = text[m.end():]
        tokens = [(t.start(), t.end(), t.group()) for t in words.TOKEN.finditer(rest)][:10]
        i = 1 if tokens and tokens[0][2].lower() in words.DETERMINERS else 0
        first = i
        noun = None
        for j in range(i, min(i + 4, len(tokens))):
            word = tokens[j][2]
            low = word.lower().rstrip("'’s") if word.endswith(("'s", "’s")) else word.lower()
            if not re.fullmatch(r"[\w'’.-]+", word) or low in words.STOP:
                break
            if words.is_event(word):
                noun = j
                break
        if noun is None:
            continue
        end = noun
        k = noun + 1
        if k < len(tokens) and tokens[k][2].lower() in words.COMPLEMENT:
            k += 1
            if k < len(tokens) and tokens[k][2].lower() in words.DETERMINERS:
                k += 1
            names = k
            while k < len(tokens) and k - names < 3 and re.fullmatch(r"[A-ZÄÖÜ][\w'’.-]*", tokens[k][2]):
                k += 1
            if k > names:
                end = k - 1
        start, stop = m.end() + tokens[first][0], m.end() + tokens[end][1]
        relation = words.EVENT_RELATION[m["prep"].split()[0].lower()]
        return EventAnchor(relation, text[start:stop], Span(m.start(), stop, text[m.start():stop]))
    return None


def event_terms(words: str, language: str) -> list[str]:
    """The BM25 terms an article must contain to mention the event."""
    return list(dict.fromkeys(bm25_tokens(words, language)))
