"""Metadata stated in article text (date marker, dateline, outlet), date normalisation, building Articles."""

from __future__ import annotations

import re
from datetime import date, datetime

from assistant.models import Article, sha256_text
from assistant.text import detect_language, split_sentences
from ingest.clean import Cleaned, clean_text
from ingest.records import RawDoc, Skipped

_MIN_WORD_CHARS = 20
_TITLE_MAX = 80
_DATE_MARKER = re.compile(r"^\s*(?:date|datum)\s*[:=]?\s*(?P<date>\d{4}(?:-\d{1,2}){0,2})(?:\s+|$)", re.I)
# "München (dpa) - ", "LONDON (Reuters) - ": an agency dateline near the start names the outlet.
_AGENCIES = {
    a.casefold(): a
    for a in ("dpa-AFX", "dpa", "Reuters", "AFP", "AP", "KNA", "epd", "SID", "APA", "SDA", "ddp")
}
_DATELINE = re.compile(
    r"\((?P<name>" + "|".join(map(re.escape, _AGENCIES.values())) + r")(?:/[^)]{1,20})?\)\s*[-–—:]", re.I
)
_DATELINE_WINDOW = 300
# Outlets whose names are not ordinary words, as written in the dative after "dem"/"der"/"gegenüber".
_OUTLET_NAMES = {
    "Handelsblatt": "Handelsblatt",
    "Reuters": "Reuters",
    "Bloomberg": "Bloomberg",
    "AFP": "AFP",
    "dpa": "dpa",
    "Spiegel": "Spiegel",
    "Tagesspiegel": "Tagesspiegel",
    "WirtschaftsWoche": "WirtschaftsWoche",
    "Wirtschaftswoche": "WirtschaftsWoche",
    "Automobilwoche": "Automobilwoche",
    "Börsen-Zeitung": "Börsen-Zeitung",
    "Süddeutschen Zeitung": "Süddeutsche Zeitung",
    "Frankfurter Allgemeinen Zeitung": "FAZ",
    "FAZ": "FAZ",
    "Financial Times": "Financial Times",
    "Wall Street Journal": "Wall Street Journal",
    "New York Times": "New York Times",
    "Nikkei": "Nikkei",
    "CNBC": "CNBC",
}
_NAME = "(?P<name>" + "|".join(map(re.escape, _OUTLET_NAMES)) + r")\b"
_STATEMENT_VERB = r"\b(?:sagte|sagten|sagt|erklärten?|bestätigten?|betonte|teilten?)\b"
# A statement made *to* the outlet (its own reporting). A quoted name ("dem „Spiegel“") or "der
# Nachrichtenagentur X" is how German articles cite somebody else's reporting, so neither matches.
_TO_OUTLET = [
    re.compile(_STATEMENT_VERB + r"[^.!?]{0,150}?\b(?:dem|der|den)\s+" + _NAME),
    re.compile(r"\bgegenüber\s+(?:(?:dem|der)\s+)?" + _NAME),
    re.compile(r"\b(?:Gespräch|Interview)\s+mit\s+(?:dem|der)\s+" + _NAME),
    re.compile(r"\btold\s+(?:the\s+)?" + _NAME),
]
_STATEMENT_CONTEXT = re.compile(
    r"sag|erklär|bestätig|betont|äußer|teilte|mitgeteilt|Interview|Gespräch|told", re.IGNORECASE
)

_MONTHS = {
    **dict.fromkeys(("januar", "jänner", "jan", "january"), 1),
    **dict.fromkeys(("februar", "feb", "febr", "february"), 2),
    **dict.fromkeys(("märz", "maerz", "mär", "mar", "march"), 3),
    **dict.fromkeys(("april", "apr"), 4),
    **dict.fromkeys(("mai", "may"), 5),
    **dict.fromkeys(("juni", "jun", "june"), 6),
    **dict.fromkeys(("juli", "jul", "july"), 7),
    **dict.fromkeys(("august", "aug"), 8),
    **dict.fromkeys(("september", "sep", "sept"), 9),
    **dict.fromkeys(("oktober", "okt", "oct", "october"), 10),
    **dict.fromkeys(("november", "nov"), 11),
    **dict.fromkeys(("dezember", "dez", "dec", "december"), 12),
}
_TIME = r"(?:(?:[T\s]|,\s*)\d{1,2}:\d{2}\S*(?:\s*(?:Uhr|[A-Z]{2,4}|[+-]\d{2}:?\d{2}))?)?"
# Whole-value formats: 2018-06-01, 01.06.2018, 1. Juni 2018, June 1, 2018, Juni 2018 (mn: month name).
_DATE_FORMATS = [
    re.compile(r"(?P<y>\d{4})(?:[-/.](?P<m>\d{1,2})(?:[-/.](?P<d>\d{1,2}))?)?" + _TIME),
    re.compile(r"(?P<d>\d{1,2})\.\s*(?P<m>\d{1,2})\.\s*(?P<y>\d{4})" + _TIME),
    re.compile(r"(?P<d>\d{1,2})\.?\s*(?P<mn>[^\W\d_]+)\.?,?\s+(?P<y>\d{4})" + _TIME),
    re.compile(r"(?P<mn>[^\W\d_]+)\.?\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?,?\s+(?P<y>\d{4})" + _TIME),
    re.compile(r"(?P<mn>[^\W\d_]+)\.?\s+(?P<y>\d{4})"),
]
_LANGUAGE_NAMES = {"german": "de", "deutsch": "de", "english": "en", "englisch": "en"}


def extract_metadata(text: str) -> tuple[str, dict[str, str]]:
    """Split off a leading "date 2018-06" marker and find the outlet the text names as its own.

    Returns the text without the marker and the fields found (``date``, ``outlet``).
    """
    fields: dict[str, str] = {}
    text, marker_date = _strip_date_marker(text)
    if marker_date:
        fields["date"] = marker_date
    outlet = _detect_outlet(text)
    if outlet:
        fields["outlet"] = outlet
    return text, fields


def _strip_date_marker(text: str) -> tuple[str, str | None]:
    m = _DATE_MARKER.match(text)
    iso = normalise_date(m.group("date")) if m else None
    return (text[m.end() :], iso) if m and iso else (text, None)


def _detect_outlet(text: str) -> str | None:
    """The agency of a dateline near the start, else the one outlet statements were made to, else None."""
    dateline = _DATELINE.search(text[:_DATELINE_WINDOW])
    if dateline:
        return _AGENCIES[dateline.group("name").casefold()]
    found: set[str] = set()
    for sentence in split_sentences(text):
        if not _STATEMENT_CONTEXT.search(sentence):
            continue
        for pattern in _TO_OUTLET:
            found.update(_OUTLET_NAMES[m.group("name")] for m in pattern.finditer(sentence))
    return found.pop() if len(found) == 1 else None  # several outlets: unsure, so none


def normalise_date(value: str | date) -> str | None:
    """ISO date, as precise as given: "2018", "2018-06" or "2018-06-01"; None if it cannot be read."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = re.sub(r"^[^\W\d_]+,\s*", "", " ".join(str(value).split()))  # "Fri, 1 June 2018" -> "1 June 2018"
    for pattern in _DATE_FORMATS:
        m = pattern.fullmatch(text)
        if m:
            return _iso(m.groupdict())
    return None


def _iso(parts: dict[str, str | None]) -> str | None:
    year = int(parts["y"] or 0)
    m, name, d = parts.get("m"), parts.get("mn"), parts.get("d")
    month = int(m) if m else None
    if name:
        month = _MONTHS.get(name.casefold())
        if month is None:
            return None
    day = int(d) if d else None
    try:
        date(year, month or 1, day or 1)
    except ValueError:
        return None
    if month is None:
        return f"{year:04d}"
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


def article_id(source: str) -> str:
    """The stable id of the article read from ``source`` (a path relative to the ingested folder)."""
    return sha256_text(source)[:16]


def build_article(raw: RawDoc) -> Article | Skipped:
    """Clean a RawDoc, read the metadata it states, and make an Article (or Skipped if nothing is left).

    Metadata given with the document (front matter, JSONL fields, HTML metadata) overrides what is
    detected in the text.
    """
    # The marker goes before cleaning, so that a marker line never passes for a headline.
    text, marker_date = _strip_date_marker(raw.text)
    cleaned = clean_text(text)
    body, found = extract_metadata(cleaned.text)
    if len(re.findall(r"\w", body)) < _MIN_WORD_CHARS:
        removed = f" ({len(cleaned.dropped)} pieces of page furniture removed)" if cleaned.dropped else ""
        return Skipped(raw.source, f"no article text left after cleaning{removed}")
    page_starts = None
    if raw.page_starts:  # both cuts are from the front: what was removed before a position shifts it
        page_starts = _follow_pages(raw.page_starts, len(raw.text) - len(text), text, cleaned,
                                    len(cleaned.text) - len(body))
    given_title = " ".join(raw.title.split()) if raw.title else None
    title = given_title or cleaned.title or _title_from_text(body)
    dropped = list(cleaned.dropped)
    if cleaned.title and cleaned.title != title:
        dropped.insert(0, cleaned.title)  # a headline in the text that the given title replaced
    return Article(
        doc_id=article_id(raw.source),
        source=raw.source,
        title=title,
        text=body,
        outlet=raw.outlet or found.get("outlet"),
        date=(normalise_date(raw.date) if raw.date else None) or marker_date or found.get("date"),
        url=raw.url,
        language=_language_code(raw.language) or detect_language(body),
        dropped=dropped,
        page_starts=page_starts,
    )


def _follow_pages(starts: tuple[int, ...], marker_cut: int, text: str, cleaned: Cleaned, body_cut: int) -> list[int]:
    """Page starts in the raw text -> page starts in the article text. A page starts at the start of a line, and
    cleaning keeps or removes whole lines, so a page starts where its first kept line does (or, with nothing
    kept, where the next page's text does). Paged text has "\n" line ends only (as clean_text counts lines)."""
    out = []
    line = counted = 0
    for start in starts:  # ascending: count the newlines once
        at = max(0, start - marker_cut)
        line += text.count("\n", counted, at)
        counted = max(counted, at)
        at_clean = cleaned.line_starts[line] if line < len(cleaned.line_starts) else len(cleaned.text)
        out.append(max(0, at_clean - body_cut))
    return out


def _title_from_text(text: str) -> str:
    first = " ".join((split_sentences(text) or [text])[0].split())
    if len(first) <= _TITLE_MAX:
        return first
    head = first[: _TITLE_MAX - 1]
    if first[len(head)] != " " and " " in head:
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:-–") + "…"


def _language_code(value: str | None) -> str | None:
    if not value:
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    code = _LANGUAGE_NAMES.get(code, code)
    return code if re.fullmatch(r"[a-z]{2}", code) else None
