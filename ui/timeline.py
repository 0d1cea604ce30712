"""The chat's timeline view: a timeline answer as a dated list, each event linked to its source card."""

from __future__ import annotations

from assistant.eventdates import format_date
from assistant.models import Answer, TimelineEvent
from ui.escape import esc

HEAD = {"de": "Chronologie aus den Artikeln", "en": "Timeline from the articles"}
FROM_ARTICLE = {"de": "Datum des Artikels", "en": "date of the article"}


def event_html(e: TimelineEvent, turn: int, lang: str) -> str:
    """One event: its date (marked when it is the article's date), the sentence, [n] linking to the card."""
    n = e.citation.n
    when = format_date(e.date, lang)
    title = FROM_ARTICLE[lang] if e.date_source == "article" else (e.date_phrase or "")
    src = " · ".join(esc(x) for x in (e.citation.outlet, e.citation.date) if x)
    return (f'<li data-date="{esc(e.date)}" data-n="{n}"><time datetime="{esc(e.date)}" title="{esc(title)}">'
            f'{esc(when)}{"*" if e.date_source == "article" else ""}</time>'
            f'<span class="tl-text">{esc(" ".join(e.text.split()))}</span> '
            f'<a class="cite" href="#src-{turn}-{n}">[{n}]</a>'
            + (f' <span class="tl-src">{src}</span>' if src else "") + "</li>")


def timeline_html(answer: Answer, turn: int) -> str:
    """The chat bubble of a timeline answer: a heading and the events in order (* = the article's date)."""
    lang = answer.language
    events = "".join(event_html(e, turn, lang) for e in answer.timeline or [])
    note = {"de": "* Datum des Artikels, der Satz nennt keins", "en": "* date of the article; the sentence names none"}
    starred = any(e.date_source == "article" for e in answer.timeline or [])
    return (f'<div class="answer timeline-answer"><div class="tl-head">{HEAD[lang]}</div>'
            f'<ol class="timeline">{events}</ol>'
            + (f'<div class="src-note">{note[lang]}</div>' if starred else "") + "</div>")
