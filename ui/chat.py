"""The Gradio chat: streamed drafts replaced by verified answers, [n] linked to source cards, feedback.

Rendering helpers are plain functions of the assistant's records (unit-tested); the callbacks in
``build_chat`` only translate between Gradio values and ``Assistant.ask_stream`` / ``FeedbackLog``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from typing import Any

import gradio as gr
from pydantic import ValidationError

from assistant.citations import MARKER, markers, strip_markers
from assistant.errors import AssistantError, InputError, LLMBusy
from assistant.models import Answer, Citation, Filters, Turn
from assistant.service import Assistant, Sources, Token
from assistant.text import question_language, sentence_spans, split_sentences
from ui.date_chips import DROP_ID, chips_html, without_removers
from ui.feedback import FeedbackLog, feedback_record
from ui.timeline import timeline_html

EXAMPLES = [
    "Wann wurde Carlos Ghosn verhaftet?",
    "Worüber sprachen Ford und Xiaomi?",
    "In which markets will the expanded Nissan EV strategy apply?",
    "What do BMW and Toyota want to cooperate on?",
]
PLACEHOLDER = "**Fragen Sie auf Deutsch oder Englisch**<br>Ask in German or English"
ASK_HINT = "Ihre Frage … / Your question …"
CONTEXT_CHARS = 240  # article text shown on each side of a cited passage

TEXT: dict[str, dict[str, str]] = {
    "de": {
        "thinking": "Suche in den Quellen …",
        "writing": "{n} Quellen gefunden – die Antwort wird geschrieben …",
        "evidence": "Gefundene Belege (die Antwort wird geprüft)",
        "draft": "Entwurf – wird gegen die Quellen geprüft",
        "not_in_sources": "Keine Quelle enthält die Antwort auf diese Frage.",
        "not_verified": "Der Entwurf war nicht durch die Quellen belegt und wurde verworfen.",
        "not_verified_hint": "Fragen Sie genauer nach oder prüfen Sie die Filter. Die verworfenen Sätze:",
        "not_in_sources_hint": "Formulieren Sie die Frage anders oder prüfen Sie die Filter.",
        "dropped": "Nicht belegte Sätze wurden entfernt:",
        "busy": "Der Assistent ist gerade ausgelastet. Bitte in ein paar Sekunden erneut senden.",
        "error": "Fehler",
        "error_hint": "Die Frage steht wieder im Eingabefeld: erneut senden. Bleibt der Fehler, steht "
                      "mehr im Server-Log.",
        "input_hint": "Bitte die Frage anpassen und erneut senden.",
        "filter_hint": "Bitte die Filter korrigieren (Datum als JJJJ, JJJJ-MM oder JJJJ-MM-TT).",
        "empty_index": "Der Index ist leer: es gibt noch keine Artikel, aus denen geantwortet werden kann.",
        "empty_index_hint": "Artikel aufnehmen mit <code>assistant ingest PFAD</code> (z. B. "
                            "<code>assistant ingest corpus</code>), dann diese Seite neu laden.",
        "full_article": "Ganzer Artikel",
        "sources_for": "Quellen zu Frage",
        "thanks": "Danke, Ihr Feedback ist gespeichert.",
        "no_answer_yet": "Noch keine Antwort, die bewertet werden könnte.",
        "page": "S.",
        "also_in": "auch in",
    },
    "en": {
        "thinking": "Searching the sources …",
        "writing": "Found {n} sources – writing the answer …",
        "evidence": "Evidence found (the answer is being checked)",
        "draft": "Draft – being checked against the sources",
        "not_in_sources": "No source contains the answer to this question.",
        "not_verified": "The draft was not supported by the sources and was discarded.",
        "not_verified_hint": "Ask more specifically or check the filters. The discarded sentences:",
        "not_in_sources_hint": "Try rephrasing the question or check the filters.",
        "dropped": "Unsupported sentences were removed:",
        "busy": "The assistant is busy right now. Please retry in a few seconds.",
        "error": "Error",
        "error_hint": "Your question is back in the input box: send it again. If the error persists, the "
                      "server log has details.",
        "input_hint": "Please change the question and send it again.",
        "filter_hint": "Please correct the filters (dates as YYYY, YYYY-MM or YYYY-MM-DD).",
        "empty_index": "The index is empty: there are no articles to answer from yet.",
        "empty_index_hint": "Add articles with <code>assistant ingest PATH</code> (e.g. "
                            "<code>assistant ingest corpus</code>), then reload this page.",
        "full_article": "Full article",
        "sources_for": "Sources for question",
        "thanks": "Thank you, your feedback is saved.",
        "no_answer_yet": "There is no answer to rate yet.",
        "page": "p.",
        "also_in": "also in",
    },
}


# --- rendering --------------------------------------------------------------------------------------
def esc(text: str) -> str:
    """HTML-escape, also braces (Gradio's HTML component treats its value as a template)."""
    return html.escape(text).replace("{", "&#123;").replace("}", "&#125;")


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


def history_of(exchanges: list[dict[str, Any]]) -> list[Turn]:
    """The conversation so far as turns for the assistant."""
    turns: list[Turn] = []
    for ex in exchanges:
        turns += [Turn(role="user", content=ex["question"]),
                  Turn(role="assistant", content=ex["answer"]["answer"])]
    return turns


# --- the app ----------------------------------------------------------------------------------------
class ChatCallbacks:
    """What the chat's events do: Gradio values in, calls of the assistant, Gradio values out."""

    def __init__(self, assistant: Assistant, feedback: FeedbackLog) -> None:
        self.assistant = assistant
        self.feedback = feedback

    def article_text(self, doc_id: str) -> str | None:
        found = self.assistant.document(doc_id)
        return found[1] if found else None

    def load(self) -> tuple[Any, Any]:
        """On page load: the empty-index banner (how to ingest), and the outlets to filter by."""
        docs = self.assistant.documents()
        banner = "" if docs else "".join(state_html("empty-index", TEXT[lang]["empty_index"],
                                                    TEXT[lang]["empty_index_hint"]) for lang in ("de", "en"))
        return (gr.update(value=banner, visible=bool(banner)),
                gr.update(choices=sorted({d.outlet for d in docs if d.outlet})))

    def respond(self, message: str, chat: list[dict[str, Any]], exchanges: list[dict[str, Any]],
                language: str, outlet: list[str] | None, date_from: str,
                date_to: str, derive_dates: bool = True) -> Iterator[tuple[Any, ...]]:
        """Yields (chat, exchanges, sources panel, input box, feedback row, feedback status): thinking,
        drafts, then the verified answer or a state. ``derive_dates``: take dates from the question."""
        message = (message or "").strip()
        if not message:
            yield chat, exchanges, gr.update(), "", gr.update(), gr.update()
            return
        chat = [without_removers(m) for m in chat]
        forced = language if language in ("de", "en") else None
        lang = forced or question_language(message)
        turn = len(exchanges) + 1
        chat = [*chat, {"role": "user", "content": esc(message)},
                {"role": "assistant", "content": thinking_html(lang)}]
        yield chat, exchanges, panel_html(exchanges, thinking_html(lang)), "", gr.update(visible=False), ""
        try:
            filters = Filters(outlet=outlet or None, date_from=(date_from or "").strip() or None,
                              date_to=(date_to or "").strip() or None)
            history = history_of(exchanges)
            partial = ""
            for event in self.assistant.ask_stream(message, history, forced, None,
                                                   None if filters.is_empty() else filters,
                                                   derive_dates=derive_dates):
                if isinstance(event, Sources):
                    if not event.citations:
                        continue  # nothing relevant: the refusal follows at once
                    chat = [*chat[:-1], {"role": "assistant", "content": writing_html(len(event.citations), lang)}]
                    evidence = evidence_html(event.citations, turn, self.article_text, lang)
                    yield chat, exchanges, panel_html(exchanges, evidence), "", gr.update(), gr.update()
                    continue
                if isinstance(event, Token):
                    partial += event.text
                    chat = [*chat[:-1], {"role": "assistant", "content": draft_html(partial, lang)}]
                    yield chat, exchanges, gr.update(), "", gr.update(), gr.update()
                    continue
                answer = event.answer
                if not answer.answerable and not self.assistant.documents():
                    note = state_html("empty-index", TEXT[lang]["empty_index"],
                                      TEXT[lang]["empty_index_hint"])
                    chat = [*chat[:-1], {"role": "assistant", "content": note}]
                    yield chat, exchanges, panel_html(exchanges, note), message, gr.update(), gr.update()
                    return
                record = {"question": message, "answer": answer.model_dump(),
                          "history": [t.model_dump() for t in history],
                          "sources": sources_html(answer, turn, self.article_text)}
                exchanges = [*exchanges, record]
                chips = chips_html(answer.applied_filters, answer.language)
                chat = [*chat[:-1], {"role": "assistant", "content": chips + answer_html(answer, turn)}]
                yield chat, exchanges, panel_html(exchanges), "", gr.update(visible=True), gr.update()
        except (AssistantError, ValidationError) as e:
            note = error_html(e, lang)
            chat = [*chat[:-1], {"role": "assistant", "content": note}]
            yield chat, exchanges, panel_html(exchanges, note), message, gr.update(), gr.update()

    def respond_without_dates(self, chat: list[dict[str, Any]], exchanges: list[dict[str, Any]], language: str,
                              outlet: list[str] | None, date_from: str,
                              date_to: str) -> Iterator[tuple[Any, ...]]:
        """The ✕ on a chip: the latest question again, in place of its answer, without filters from its words."""
        if not exchanges:
            yield chat, exchanges, gr.update(), gr.update(), gr.update(), gr.update()
            return
        yield from self.respond(exchanges[-1]["question"], chat[:-2], exchanges[:-1], language, outlet, date_from,
                                date_to, derive_dates=False)

    def rate(self, rating: str, exchanges: list[dict[str, Any]], comment: str) -> tuple[str, str]:
        """Store a rating of the latest answer; returns (status line, comment box)."""
        if not exchanges:
            return TEXT["en"]["no_answer_yet"], comment
        ex = exchanges[-1]
        answer = Answer.model_validate(ex["answer"])
        self.feedback.append(feedback_record(ex["question"], [Turn(**t) for t in ex["history"]], answer,
                                             rating, comment))
        return "✓ " + TEXT[answer.language]["thanks"], ""

    @staticmethod
    def reset() -> tuple[Any, ...]:
        """A new conversation: (chat, exchanges, sources, input box, feedback row, feedback status)."""
        return [], [], "", "", gr.update(visible=False), ""


def example_text(evt: gr.SelectData) -> str:
    return str(evt.value["text"])


def build_chat(assistant: Assistant, feedback: FeedbackLog) -> gr.Blocks:
    """The chat UI bound to one assistant; ui.server mounts it with the stylesheets and scripts of ui.assets."""
    cb = ChatCallbacks(assistant, feedback)
    with gr.Blocks(title="News archive assistant", analytics_enabled=False, fill_width=False) as demo:
        gr.HTML('<div class="app-head"><h2 style="margin:0">News archive assistant</h2>'
                '<div class="src-note">Antworten nur aus den Artikeln, jede Aussage mit Quelle [n] · '
                "Answers from the articles only, every statement cited</div></div>")
        banner = gr.HTML(elem_id="banner", visible=False)
        exchanges = gr.State([])
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=300):
                chat = gr.Chatbot(elem_id="chat", label="Chat", show_label=False, height="62vh",
                                  min_height=320, feedback_options=None, layout="bubble", buttons=[],
                                  examples=[{"text": q} for q in EXAMPLES],
                                  placeholder=PLACEHOLDER)
                with gr.Row(equal_height=True):
                    box = gr.Textbox(elem_id="question", show_label=False, scale=5, min_width=160,
                                     max_lines=6, autofocus=True, placeholder=ASK_HINT)
                    send = gr.Button("Senden / Send", elem_id="send", variant="primary", scale=1,
                                     min_width=90)
                with gr.Row(visible=False, elem_id="feedback") as feedback_row:
                    up = gr.Button("✓ Hilfreich / helpful", elem_id="thumb-up", size="sm", min_width=120)
                    down = gr.Button("✗ Nicht hilfreich / not helpful", elem_id="thumb-down", size="sm",
                                     min_width=120)
                    comment = gr.Textbox(elem_id="feedback-comment", show_label=False, min_width=180, scale=2,
                                         placeholder="Kommentar (optional) / comment (optional)")
                feedback_status = gr.Markdown(elem_id="feedback-status")
                new = gr.Button("↺ Neues Gespräch / New conversation", elem_id="new", size="sm")
            with gr.Column(scale=2, min_width=300):
                with gr.Accordion("Filter & Sprache / filters & language", open=False, elem_id="filters"):
                    language = gr.Radio(["auto", "de", "en"], value="auto", elem_id="language",
                                        label="Antwortsprache / answer language")
                    outlet = gr.Dropdown([], multiselect=True, label="Medium / outlet", elem_id="outlet")
                    with gr.Row():
                        date_from = gr.Textbox(label="Von / from", placeholder="YYYY[-MM[-DD]]",
                                               min_width=120, elem_id="date-from")
                        date_to = gr.Textbox(label="Bis / to", placeholder="YYYY[-MM[-DD]]",
                                             min_width=120, elem_id="date-to")
                gr.Markdown("**Quellen / Sources**")
                sources = gr.HTML(elem_id="sources")

        inputs = [box, chat, exchanges, language, outlet, date_from, date_to]
        outputs = [chat, exchanges, sources, box, feedback_row, feedback_status]
        # no concurrency limit: the assistant's LLM gate queues (and answers 'busy')
        send.click(cb.respond, inputs, outputs, show_progress="hidden", concurrency_limit=None)
        box.submit(cb.respond, inputs, outputs, show_progress="hidden", concurrency_limit=None)
        drop_dates = gr.Button("ohne Datum aus der Frage", elem_id=DROP_ID, visible="hidden")
        drop_dates.click(cb.respond_without_dates, inputs[1:], outputs, show_progress="hidden", concurrency_limit=None)
        chat.example_select(example_text, None, box, queue=False).then(
            cb.respond, inputs, outputs, show_progress="hidden", concurrency_limit=None)
        up.click(lambda ex, c: cb.rate("up", ex, c), [exchanges, comment], [feedback_status, comment])
        down.click(lambda ex, c: cb.rate("down", ex, c), [exchanges, comment], [feedback_status, comment])
        cleared = [chat, exchanges, sources, box, feedback_row, feedback_status]
        new.click(cb.reset, None, cleared, queue=False)
        chat.clear(cb.reset, None, cleared, queue=False)
        demo.load(cb.load, None, [banner, outlet])
    return demo
