"""Date filters from the question's words, merged with the request's filters: what is applied, and why not.

The words are read by ``assistant.dates``; here they meet the archive. Relative words count from the
request's reference date, else from the newest article. An event ("vor der Insolvenz von GM") is dated by
the earliest dated article whose text holds all of its words; an event the archive cannot date filters
nothing. The request's own date_from/date_to win over derived dates; they are reported too (``origin``
request), so that a response says for either kind how many undated articles a date filter left out. A derived
period without any article (matching the request's other filters) is not applied: the search covers all dates
and says so — as does the ask path when the period holds articles but nothing relevant to the question.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date

from assistant.bm25 import View
from assistant.date_anchors import event_terms
from assistant.date_atoms import Span
from assistant.date_values import from_bound, iso, previous
from assistant.dates import QuestionDates, parse
from assistant.filters import date_bounds
from assistant.models import DateReference, DerivedFilter, Filters, Passage
from assistant.store import Store


@dataclass(frozen=True)
class DatePlan:
    """How one question is searched: the filters to use, the query text, and what the words asked for."""

    filters: Filters | None  # the request's filters plus the applied derived dates
    query: str  # the question without the words of applied dates (BM25 need not match "2018")
    applied: list[DerivedFilter] = field(default_factory=list)
    request_filters: Filters | None = None
    newest_first_margin: float = 0.05
    keep: Callable[[Passage], bool] | None = None  # over all dates: only the passages this says (see ``telling``)

    @property
    def newest_first(self) -> bool:
        return any(f.kind == "newest_first" and f.applied for f in self.applied)

    @property
    def narrowed(self) -> bool:
        """Whether derived dates restrict this search (so that widening it again could find more)."""
        return bool(self._periods())

    def widened(self, question: str) -> DatePlan:
        """The same search over all dates, because the derived period held nothing relevant."""
        periods = self._periods()
        applied = [replace_filter(f, applied=False, status="no_match",
                                  note=f"nothing relevant dated {period(f.date_from, f.date_to)}; searched all dates")
                   if f in periods else f for f in self.applied]
        return replace(self, filters=self.request_filters, query=question, applied=applied)

    def _periods(self) -> list[DerivedFilter]:
        """The date ranges taken from the question's words that restrict this search."""
        return [f for f in self.applied if f.kind == "date_range" and f.applied and f.origin == "question"]

    def telling(self, question: str, everywhere: list[Passage], within: list[Passage]) -> DatePlan | None:
        """When a passage dated outside the question's period names that period's year and is closer to the
        question than anything dated within it ("How much had Neckartal paid for Brandhuber in 2021?": the 2024
        article on his transfer says "im Sommer 2021"; the 2021 articles are about something else), the plan
        that keeps, of a search over all dates (``everywhere``), the passages of the period and those naming it.
        None when no such passage is found: a question's year usually dates its articles as well."""
        periods = self._periods()
        if not periods or not within or not everywhere:
            return None
        years = {str(y) for f in periods for y in _years(f)}
        best = max(p.dense_score or 0.0 for p in within)
        if not any(not _dated_in(p, periods) and _names(p.text, years) and (p.dense_score or 0.0) > best
                   for p in everywhere):
            return None
        note = (f"also articles dated otherwise that name {', '.join(sorted(years))} (an event of the period "
                "reported later)")
        applied = [replace_filter(f, note=note) if f in periods else f for f in self.applied]
        return replace(self, filters=self.request_filters, query=question, applied=applied,
                       keep=lambda p: _dated_in(p, periods) or _names(p.text, years))

    def kept(self, passages: list[Passage]) -> list[Passage]:
        """The passages this plan keeps of its search (all, unless it keeps those of a period and naming it)."""
        return passages if self.keep is None else [p for p in passages if self.keep(p)]

    def order_hits(self, passages: list[Passage]) -> list[Passage]:
        """Search results newest article first (undated last) when the question asked for the newest."""
        if not self.newest_first:
            return passages
        return sorted(passages, key=lambda p: (-_date_hi(p.date), -p.score, p.chunk_id))

    def order_relevant(self, passages: list[Passage]) -> list[Passage]:
        """When the question asked for the newest: the relevant passages of the newest dated article among
        those close to the best one (within ``newest_first_margin``); unchanged when none is dated."""
        if not self.newest_first or not passages:
            return passages
        best = max(p.score for p in passages)
        close = [p for p in passages if p.score >= best - self.newest_first_margin and p.date]
        if not close:
            return passages
        newest = max(close, key=lambda p: (_date_hi(p.date), p.score))
        return [p for p in passages if p.doc_id == newest.doc_id]


def replace_filter(f: DerivedFilter, **update: object) -> DerivedFilter:
    return f.model_copy(update=update)


def period(date_from: str | None, date_to: str | None) -> str:
    """'2018', '2017 to 2019', 'from 2019', 'up to 2017' (English, for notes)."""
    if date_from and date_to:
        return date_from if date_from == date_to else f"{date_from} to {date_to}"
    return f"from {date_from}" if date_from else f"up to {date_to}"


def _years(f: DerivedFilter) -> range:
    lo, hi = date_bounds(f.date_from), date_bounds(f.date_to)
    first = (lo or hi or (0, 0))[0] // 10000
    last = (hi or lo or (0, 0))[1] // 10000
    return range(first, last + 1) if first and last - first <= 10 else range(0)


def _dated_in(p: Passage, periods: list[DerivedFilter]) -> bool:
    bounds = date_bounds(p.date)
    if bounds is None:
        return False
    for f in periods:
        lo, hi = date_bounds(f.date_from), date_bounds(f.date_to)
        if (lo is None or bounds[1] >= lo[0]) and (hi is None or bounds[0] <= hi[1]):
            return True
    return False


def _names(text: str, years: set[str]) -> bool:
    return any(re.search(rf"(?<![\d.,]){y}(?![\d])", text) for y in years)


def _date_hi(value: str | None) -> int:
    bounds = date_bounds(value)
    return bounds[1] if bounds else 0


class DateFilters:
    """Turns a question's date words into filters for one archive (see the module docstring)."""

    def __init__(self, store: Store, bm25: Callable[[], View], enabled: bool = True,
                 newest_first_margin: float = 0.05) -> None:
        self.store = store
        self.bm25 = bm25
        self.enabled = enabled
        self.newest_first_margin = newest_first_margin
        self._dates: tuple[str, int | None, int] | None = None  # (index generation, newest date, undated)
        self._lock = threading.Lock()

    def _archive(self) -> tuple[int | None, int]:
        generation = self.store.generation()
        with self._lock:
            if self._dates is None or self._dates[0] != generation:
                self._dates = (generation, *self.store.article_dates())
            return self._dates[1], self._dates[2]

    def newest(self) -> date | None:
        """The newest article's date (the end of a partial date), cached per index generation."""
        value = self._archive()[0]
        return None if value is None else date.fromisoformat(from_bound(value))

    def plan(self, question: str, language: str, filters: Filters | None, derive: bool = True,
             reference: date | None = None) -> DatePlan:
        requested = self._requested(filters)
        base = DatePlan(filters, question, requested, filters, self.newest_first_margin)
        if not (self.enabled and derive):
            return base
        if parse(question, reference).empty:  # most questions: no date words, no need to read the archive
            return base
        ref = reference or self.newest()
        ref_kind: DateReference = "request" if reference else "newest_article"
        found = parse(question, ref)
        applied: list[DerivedFilter] = []
        effective = filters
        strip: list[Span] = []

        rng = self._range_record(found, ref, ref_kind) or self._event_record(found, language)
        if rng is not None:
            rng = self._check(rng, filters)
            if rng.applied:
                effective = _merged(filters, rng.date_from, rng.date_to)
                strip += [Span(rng.start, rng.end, rng.text)] if not found.range else list(found.range.spans)
            applied.append(rng)
        if found.newest_first is not None:
            s = found.newest_first
            applied.append(DerivedFilter(kind="newest_first", text=s.text, start=s.start, end=s.end, applied=True,
                                         status="applied"))
            strip.append(s)
        for ign in found.ignored:
            s = ign.span
            verb = "lies " if ign.reason.startswith("after") else ""
            applied.append(DerivedFilter(kind="date_range", text=s.text, start=s.start, end=s.end,
                                         date_from=ign.date_from, date_to=ign.date_to,
                                         relative_to=ref.isoformat() if ref else None,
                                         reference=ref_kind,
                                         applied=False, status="ignored", note=f"'{s.text}' {verb}{ign.reason}"))
        applied.sort(key=lambda f: f.start)
        return DatePlan(effective, _without(question, strip), requested + applied, filters, self.newest_first_margin)

    def _requested(self, filters: Filters | None) -> list[DerivedFilter]:
        """The request's own date filter as a record (none without one), with the note a derived one gets."""
        if filters is None or not (filters.date_from or filters.date_to):
            return []
        return [self._undated_note(DerivedFilter(kind="date_range", origin="request", text="", start=0, end=0,
                                                 date_from=filters.date_from, date_to=filters.date_to, applied=True,
                                                 status="applied"))]

    # --- one derived date range ------------------------------------------------------------------
    def _range_record(self, found: QuestionDates, ref: date | None, ref_kind: DateReference) -> DerivedFilter | None:
        if found.range is not None:
            r = found.range
            spans = r.spans
            return DerivedFilter(kind="date_range", text=r.text, start=spans[0].start, end=spans[-1].end,
                                 date_from=r.date_from, date_to=r.date_to,
                                 relative_to=ref.isoformat() if r.relative and ref else None,
                                 reference=ref_kind if r.relative else None,
                                 applied=True, status="applied")
        if found.needs_reference is not None:
            s = found.needs_reference
            return DerivedFilter(kind="date_range", text=s.text, start=s.start, end=s.end, applied=False,
                                 status="unresolved",
                                 note=f"no dated article to count '{s.text}' from; give a reference_date")
        return None

    def _event_record(self, found: QuestionDates, language: str) -> DerivedFilter | None:
        ev = found.event
        if ev is None:
            return None
        s = ev.span
        base = DerivedFilter(kind="date_range", text=s.text, start=s.start, end=s.end, event=ev.words,
                             applied=False, status="unresolved")
        dated = self._date_event(ev.words, language)
        if dated is None:
            return replace_filter(base, note=f"no dated article mentions '{ev.words}'; no date filter applied")
        when, source = dated
        lo: str | None = None
        hi: str | None = None
        if ev.relation == "before":
            hi = previous(when)
        elif ev.relation == "until":
            hi = when
        else:  # after, since: from the day the event is first reported
            lo = when
        return replace_filter(base, date_from=lo, date_to=hi, event_date=when, event_source=source, applied=True,
                              status="applied",
                              note=f"'{ev.words}' dated {when} by the earliest dated article that mentions it "
                                   f"({source})")

    def _date_event(self, words: str, language: str) -> tuple[str, str] | None:
        """The date of the earliest dated chunk holding every term of ``words`` (as the question's language
        stems them, else as the other language does), and its source."""
        view = self.bm25()
        for lang in dict.fromkeys((language, "de", "en")):
            found = view.earliest_with(event_terms(words, lang))
            if found:
                lo, hi, source = found
                return _iso_of(lo, hi), source
        return None

    def _check(self, f: DerivedFilter, filters: Filters | None) -> DerivedFilter:
        """Apply ``f`` unless the request has its own dates, or no article lies in the period."""
        if not f.applied:
            return f
        if filters is not None and (filters.date_from or filters.date_to):
            return replace_filter(f, applied=False, status="overridden",
                                  note=f"the request's date filter ({period(filters.date_from, filters.date_to)}) "
                                       f"is used instead")
        if not self.store.has_articles(_merged(filters, f.date_from, f.date_to)):
            others = filters is not None and not filters.is_empty()
            return replace_filter(f, applied=False, status="no_match",
                                  note=f"no article dated {period(f.date_from, f.date_to)} in the archive"
                                       f"{' matches the other filters' if others else ''}; searched all dates")
        return self._undated_note(f)

    def _undated_note(self, f: DerivedFilter) -> DerivedFilter:
        """``f`` (an applied date range) saying how many articles it leaves out because they have no date."""
        undated = self._archive()[1]
        if undated:
            left_out = "1 article without a date is left out" if undated == 1 else \
                f"{undated} articles without a date are left out"
            return replace_filter(f, note=f"{f.note}; {left_out}" if f.note else left_out)
        return f


def _merged(filters: Filters | None, date_from: str | None, date_to: str | None) -> Filters:
    base = filters.model_dump() if filters is not None else {}
    return Filters(**{**base, "date_from": date_from, "date_to": date_to})


def _iso_of(lo: int, hi: int) -> str:
    """An article date from its bounds, at the precision it was given: 20180601..20180630 -> 2018-06."""
    d = date.fromisoformat(from_bound(lo))
    if lo == hi:
        return iso(d, "day")
    return iso(d, "year" if lo % 10000 == 101 and hi % 10000 == 1231 else "month")


def _without(question: str, spans: list[Span]) -> str:
    """The question without the words at ``spans`` (for retrieval); the question itself if little is left."""
    out, last = [], 0
    for s in sorted(spans, key=lambda s: s.start):
        if s.start >= last:
            out.append(question[last:s.start])
            last = s.end
    out.append(question[last:])
    text = re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s+", " ", "".join(out))).strip()
    return text if len(re.findall(r"\w+", text)) >= 2 else question
