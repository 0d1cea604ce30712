"""A question's dates, German or English, read into one date range, newest-first order or event to be dated."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from assistant import date_words as words
from assistant.date_anchors import EventAnchor, find_event
from assistant.date_atoms import Atom, Span, absolute_atoms, relative_atoms, select, with_bare_months
from assistant.date_values import following, lower_bound, previous, upper_bound

# --- what the parser returns ---------------------------------------------------------------------------


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


# --- the parser ----------------------------------------------------------------------------------------


def parse(question: str, reference: date | None = None) -> QuestionDates:
    """The dates of ``question``: a range ("2018", "im Dezember 2018", "seit 2019", "letztes Jahr"), a
    newest-first order ("neueste", "zuletzt", "the latest") or an event to be dated ("vor der Insolvenz von GM"),
    each with the words it was read from. Relative words count from ``reference`` (none: they are reported in
    ``needs_reference``), and dates after it are targets, not filters.

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
    text = question
    atoms = select([*absolute_atoms(text), *relative_atoms(text, reference)])
    needs = next((a for a in atoms if isinstance(a, Span)), None)
    dated = [a for a in atoms if isinstance(a, Atom)]
    dated = with_bare_months(text, dated)
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
    event = None if found or needs else find_event(text, atoms)
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
