"""The chat's HTML: answers with [n] linked to source cards, passages highlighted in context, states, the panel.

Plain functions of the assistant's records (unit-tested), no Gradio: the callbacks (ui/chat_callbacks.py) put
their output into the chat and the sources panel. Stylesheet: ui/static/chat.css.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from assistant.citations import MARKER, markers, strip_markers
from assistant.errors import InputError, LLMBusy
from assistant.models import Answer, Citation
from assistant.text import sentence_spans, split_sentences
from ui.chat_text import TEXT
from ui.escape import esc
from ui.timeline import timeline_html

CONTEXT_CHARS = 240  # article text shown on each side of a cited passage


def esc_compact(text: str) -> str:
    """``esc`` with runs of blank lines shown as one line break (article paragraphs in a small card)."""
    return esc(re.sub(r"\n\s*\n\s*", "\n", text))


def link_markers(escaped: str, turn: int) -> str:
    """Turn ``[n]`` in already escaped text into links to source card ``src-{turn}-{n}``."""
    return MARKER.sub(lambda m: f'<a class="cite" href="#src-{turn}-{m[1]}">[{m[1]}]</a>', escaped)


def state_html(kind: str, title: str, hint: str = "") -> str:
    """A visible state note: thinking, not-in-sources, error, busy or empty-index."""
    more = f"<p>{hint}</p>" if hint else ""
    return f'<div class="state state-{kind}"><div class="state-title">{title}</div>{more}</div>'


def empty_index_html(lang: str) -> str:
    """The index has no articles yet: how to add some."""
    return state_html("empty-index", TEXT[lang]["empty_index"], TEXT[lang]["empty_index_hint"])


def thinking_html(lang: str) -> str:
    return state_html("thinking", '<span class="spinner"></span>' + TEXT[lang]["thinking"])


def writing_html(n: int, lang: str) -> str:
    return state_html("thinking", '<span class="spinner"></span>' + TEXT[lang]["writing"].format(n=n))


def evidence_html(citations: list[Citation], turn: int, article_text: Callable[[str], str | None],
                  lang: str) -> str:
    """The numbered evidence as soon as retrieval is done, each sentence highlighted in its article."""
    cards = "".join(source_card(c, article_text(c.doc_id), turn, [c.text], lang) for c in citations)
    return f'<div class="src-note">{TEXT[lang]["evidence"]}</div>{cards}'


def draft_html(partial: str, lang: str) -> str:
    body = esc(partial).replace("\n", "<br>")
    return (f'<div class="draft">{body} ▌</div>'
            f'<div class="draft-note">{TEXT[lang]["draft"]}</div>')


def answer_html(answer: Answer, turn: int) -> str:
    """The chat bubble of a verified answer, or the not-in-the-sources state."""
    t = TEXT[answer.language]
    if not answer.answerable:
        return state_html("not-in-sources", esc(answer.answer), t["not_in_sources_hint"])
    if answer.timeline:  # a timeline question (issue 12.3): dated events, each linked to its source card
        return timeline_html(answer, turn)
    body = link_markers(esc(answer.answer), turn).replace("\n", "<br>")
    return f'<div class="answer">{body}</div>'


def error_html(e: Exception, lang: str) -> str:
    """What went wrong and what to do about it."""
    t = TEXT[lang]
    if isinstance(e, LLMBusy):
        return state_html("busy", "⚠ " + t["busy"])
    if isinstance(e, ValidationError):  # the filter fields
        detail = "; ".join(str(err.get("msg", "")).removeprefix("Value error, ") for err in e.errors())
        return state_html("error", f"⚠ {t['error']}: {esc(detail)}", t["filter_hint"])
    hint = t["input_hint"] if isinstance(e, InputError) else t["error_hint"]
    return state_html("error", f"⚠ {t['error']}: {esc(str(e))}", hint)


def claims_for(answer: Answer, n: int) -> list[str]:
    """The answer sentences that cite source ``n``, without their markers."""
    return [strip_markers(s) for s in split_sentences(answer.answer) if n in markers(s)]


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"\w+", text.lower()) if len(w) >= 4 or w.isdigit()}


def focus_span(passage: str, claims: list[str]) -> tuple[int, int] | None:
    """The sentence of ``passage`` sharing the most words with the claims that cite it, if it shares at
    least two (a number counts twice: across languages, numbers and names are what a claim shares)."""
    want = set().union(*(_words(c) for c in claims)) if claims else set()
    best, best_score = None, 1
    for start, end in sentence_spans(passage):
        shared = _words(passage[start:end]) & want
        score = len(shared) + sum(w.isdigit() for w in shared)
        if score > best_score:
            best, best_score = (start, end), score
    return best


def _marked(text: str, start: int, end: int, focus: tuple[int, int] | None) -> str:
    """``text[start:end]`` highlighted as the passage; its focus sentence (relative offsets) stronger."""
    passage = text[start:end]
    if focus is None:
        inner = esc_compact(passage)
    else:
        a, b = focus
        inner = (f'{esc_compact(passage[:a])}<mark class="focus">{esc_compact(passage[a:b])}</mark>'
                 f"{esc_compact(passage[b:])}")
    return f'<mark class="passage">{inner}</mark>'


def page_label(c: Citation, prefix: str = "p.") -> str | None:
    """Where in a PDF the passage is: "p. 3" or "p. 3–4"; None for formats without pages."""
    if c.page is None:
        return None
    return f"{prefix} {c.page}" + (f"–{c.page_end}" if c.page_end else "")


def source_card(c: Citation, article: str | None, turn: int, claims: list[str], lang: str) -> str:
    """A numbered source: title, outlet, date, file, the cited passage in context, the full article."""
    focus = focus_span(c.text, claims)
    if article is not None and article[c.start:c.end] == c.text:
        lo = max(0, c.start - CONTEXT_CHARS)
        hi = min(len(article), c.end + CONTEXT_CHARS)
        lo = article.find(" ", lo) + 1 if lo > 0 else 0  # do not cut words
        hi = max(article.rfind(" ", c.end, hi), c.end) if hi < len(article) else hi
        context = (("… " if lo > 0 else "") + esc_compact(article[lo:c.start])
                   + _marked(article, c.start, c.end, focus)
                   + esc_compact(article[c.end:hi]) + (" …" if hi < len(article) else ""))
        full_body = (esc_compact(article[:c.start]) + _marked(article, c.start, c.end, focus)
                     + esc_compact(article[c.end:]))
        full = (f'<details class="src-full"><summary>{TEXT[lang]["full_article"]}</summary>'
                f'<div class="src-text">{full_body}</div></details>')
    else:  # the article changed since (or is gone): show the passage as it was cited
        context, full = _marked(c.text, 0, len(c.text), focus), ""
    meta = " · ".join(esc(x) for x in (c.outlet, c.date, c.source, page_label(c, TEXT[lang]["page"])) if x)
    return (f'<article class="src-card" id="src-{turn}-{c.n}" data-n="{c.n}">'
            f'<div class="src-head"><span class="src-n">[{c.n}]</span>{esc(c.title)}</div>'
            f'<div class="src-meta">{meta}</div>{also_in_html(c, lang)}<div class="src-text">{context}</div>'
            f'{full}</article>')


def also_in_html(c: Citation, lang: str) -> str:
    """The story's other printings under a source card: "auch in: Reuters (2022-05-12), Weser-Kurier"."""
    if not c.also_in:
        return ""
    items = ", ".join(f'<span title="{esc(x.title)} · {esc(x.source)}">{esc(x.outlet or x.source)}'
                      + (f" ({esc(x.date)})" if x.date else "") + "</span>" for x in c.also_in)
    return f'<div class="src-also">{TEXT[lang]["also_in"]}: {items}</div>'



def sources_html(answer: Answer, turn: int, article_text: Callable[[str], str | None]) -> str:
    """The source cards of one answer (or its not-in-the-sources note), and what verification removed."""
    t = TEXT[answer.language]
    items = "".join(f"<li>{esc(u)}</li>" for u in answer.unsupported)
    if not answer.answerable and items:  # the model answered, but verification kept nothing
        return state_html("not-in-sources", t["not_verified"], t["not_verified_hint"]) + \
            f'<ul class="src-note dropped">{items}</ul>'
    if not answer.answerable:
        return state_html("not-in-sources", t["not_in_sources"], t["not_in_sources_hint"])
    body = "".join(source_card(c, article_text(c.doc_id), turn, claims_for(answer, c.n), answer.language)
                   for c in answer.citations)
    if items:
        body += f'<details class="src-note"><summary>{t["dropped"]} {len(answer.unsupported)}</summary>' \
                f"<ul>{items}</ul></details>"
    return body


def panel_html(exchanges: list[dict[str, Any]], top: str = "") -> str:
    """The sources panel: ``top`` (a state) or the latest answer's sources, then earlier ones collapsed."""
    parts = [top] if top else []
    for i, ex in reversed(list(enumerate(exchanges, 1))):
        if not top and i == len(exchanges):
            parts.append(ex["sources"])
            continue
        lang = ex["answer"]["language"]
        q = esc(ex["question"][:80])
        parts.append(f'<details class="older"><summary>{TEXT[lang]["sources_for"]} {i}: {q}</summary>'
                     f'{ex["sources"]}</details>')
    return "".join(parts)

