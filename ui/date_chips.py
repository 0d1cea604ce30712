"""Chips in the chat for filters taken from the question's words ("Zeitraum: 2018 ✕", "Neueste zuerst ✕").

The ✕ of an applied chip asks the same question again without them (``derive_dates=False``): a script
(ui/static/chips.js) clicks the chat's hidden ``#drop-dates`` button, whose callback is
``ChatCallbacks.respond_without_dates``.
Only the latest answer's chips keep their ✕. Filters that were not applied are shown muted, with the reason.
The request's own date filter (the date fields) is shown too, without a ✕, for its note on undated articles.
The chat sanitises message HTML (data-* and aria-* attributes are dropped): state is in class names.
"""

from __future__ import annotations

import re
from typing import Any

from assistant.models import DerivedFilter
from ui.escape import esc

DROP_ID = "drop-dates"
MONTHS = {"de": ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
                 "November", "Dezember"],
          "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
                 "November", "December"]}
TEXT: dict[str, dict[str, str]] = {
    "de": {"period": "Zeitraum", "request": "Datumsfilter", "newest": "Neueste zuerst", "from": "ab", "to": "bis",
           "remove": "Erneut fragen, ohne Filter aus der Frage",
           "no_match": "keine passenden Artikel in diesem Zeitraum – alle Zeiträume durchsucht",
           "overridden": "nicht angewendet: der Datumsfilter gilt",
           "unresolved": "nicht angewendet: das Archiv kann das nicht datieren",
           "ignored": "nicht angewendet: liegt nach dem neuesten Artikel",
           "relative": "gezählt ab", "event": "datiert auf"},
    "en": {"period": "Period", "request": "Date filter", "newest": "Newest first", "from": "from", "to": "up to",
           "remove": "Ask again without filters from the question",
           "no_match": "no matching articles in this period – searched all dates",
           "overridden": "not applied: the date filter wins",
           "unresolved": "not applied: the archive cannot date this",
           "ignored": "not applied: after the newest article",
           "relative": "counted from", "event": "dated"},
}

_REMOVER = re.compile(r'<a class="chip-x"[^>]*>✕</a>')


def date_label(value: str, lang: str) -> str:
    """2018 -> 2018; 2018-12 -> Dezember 2018 / December 2018; days stay ISO."""
    if len(value) == 7:
        return f"{MONTHS[lang][int(value[5:]) - 1]} {value[:4]}"
    return value


def period_label(f: DerivedFilter, lang: str) -> str:
    t = TEXT[lang]
    lo, hi = f.date_from, f.date_to
    if lo and hi:
        return date_label(lo, lang) if lo == hi else f"{date_label(lo, lang)} – {date_label(hi, lang)}"
    if lo:
        return f"{t['from']} {date_label(lo, lang)}"
    return f"{t['to']} {date_label(hi, lang)}" if hi else f"„{f.text}“"


def chip_html(f: DerivedFilter, lang: str, removable: bool = True) -> str:
    """One chip: what was taken from the question, and a ✕ when it was applied; the request's own date filter
    (the date fields) without a ✕, for its note on undated articles."""
    t = TEXT[lang]
    label = t["newest"] if f.kind == "newest_first" else \
        f"{t['request' if f.origin == 'request' else 'period']}: {period_label(f, lang)}"
    removable = removable and f.origin == "question"
    why = []
    if f.event and f.event_date:
        why.append(f"„{f.event}“ {t['event']} {f.event_date}")
    elif f.relative_to and f.kind == "date_range" and f.status != "ignored":
        why.append(f"„{f.text}“, {t['relative']} {f.relative_to}")
    if not f.applied:
        why.append(t.get(f.status, f.status))
    reason = "".join(f' <span class="chip-why">{esc(w)}</span>' for w in why)
    title = f' title="{esc(f.note)}"' if f.note else ""
    if f.applied:
        remove = f'<a class="chip-x" href="#{DROP_ID}" role="button" title="{t["remove"]}">✕</a>' \
            if removable else ""
        return f'<span class="chip chip-applied"{title}><span class="chip-label">{esc(label)}</span>' \
               f"{reason}{remove}</span>"
    return f'<span class="chip chip-off chip-{f.status}"{title}><span class="chip-label">' \
           f"{esc(label)}</span>{reason}</span>"


def chips_html(filters: list[DerivedFilter], lang: str) -> str:
    """The chips of one answer ("" when the question's words asked for no filter)."""
    if not filters:
        return ""
    return f'<div class="chips">{"".join(chip_html(f, lang) for f in filters)}</div>'


def without_removers(message: dict[str, Any]) -> dict[str, Any]:
    """A chat message whose chips have no ✕ (an earlier answer's ✕ would ask the latest question again). The
    content is a string, or Gradio's list of parts ({"type": "text", "text": ...}) as the browser sends it."""
    content = message.get("content")
    if message.get("role") != "assistant":
        return message
    if isinstance(content, str):
        return {**message, "content": _REMOVER.sub("", content)}
    if isinstance(content, list):
        parts = [{**p, "text": _REMOVER.sub("", p["text"])} if isinstance(p, dict) and isinstance(p.get("text"), str)
                 else p for p in content]
        return {**message, "content": parts}
    return message
