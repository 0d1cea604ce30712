"""The Gradio chat: streamed answers, numbered sources with the cited passage highlighted in its article."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import gradio as gr

from assistant.errors import AssistantError
from assistant.models import Answer, Citation, Filters, Turn
from assistant.service import Assistant, Final, Token
from assistant.settings import Settings

EXAMPLES = [
    "Wann wurde Carlos Ghosn verhaftet?",
    "Worüber sprachen Ford und Xiaomi?",
    "In which markets will the expanded Nissan EV strategy apply?",
    "What do BMW and Toyota want to cooperate on?",
]
_CONTEXT_CHARS = 400

CSS = """
.src-card {border:1px solid var(--border-color-primary); border-radius:8px; padding:10px 12px; margin:8px 0;}
.src-card h4 {margin:0 0 4px 0; font-size:1rem;}
.src-meta {color: var(--body-text-color-subdued); font-size:.85rem; margin-bottom:6px;}
.src-text {font-size:.92rem; line-height:1.45; white-space:pre-wrap;}
.src-text mark {background:#ffe58a; color:#111; padding:0 2px; border-radius:3px;}
.state-note {padding:10px 12px; border-radius:8px; background: var(--background-fill-secondary);}
.cite {font-weight:600; color: var(--link-text-color);}
@media (max-width: 640px) { .src-text {font-size:.85rem;} }
"""


def link_markers(text: str) -> str:
    """Turn ``[n]`` into links to the numbered source cards."""
    return re.sub(r"\[(\d{1,3})\]", r'<a class="cite" href="#src-\1">[\1]</a>', text)


def render_sources(assistant: Assistant, answer: Answer) -> str:
    if not answer.answerable:
        note = ("Die Quellen enthalten dazu keine Informationen." if answer.language == "de"
                else "The sources do not contain this information.")
        dropped = "".join(f"<li>{html.escape(u)}</li>" for u in answer.unsupported)
        extra = f"<p>Nicht belegte Sätze / unsupported sentences:</p><ul>{dropped}</ul>" if dropped else ""
        return f'<div class="state-note" data-state="not-in-sources"><b>{note}</b>{extra}</div>'
    return "".join(_card(assistant, c) for c in answer.citations)


def _card(assistant: Assistant, c: Citation) -> str:
    found = assistant.document(c.doc_id)
    text = found[1] if found else c.text
    lo, hi = max(0, c.start - _CONTEXT_CHARS), min(len(text), c.end + _CONTEXT_CHARS)
    before = ("…" if lo > 0 else "") + html.escape(text[lo : c.start])
    after = html.escape(text[c.end : hi]) + ("…" if hi < len(text) else "")
    meta = " · ".join(html.escape(x) for x in (c.outlet or "", c.date or "", c.source) if x)
    full = html.escape(text)
    return (
        f'<div class="src-card" id="src-{c.n}" data-n="{c.n}"><h4>[{c.n}] {html.escape(c.title)}</h4>'
        f'<div class="src-meta">{meta}</div>'
        f'<div class="src-text">{before}<mark>{html.escape(text[c.start:c.end])}</mark>{after}</div>'
        f"<details><summary>Ganzer Artikel / full article</summary><div class='src-text'>{full}</div></details></div>"
    )


def build_chat(assistant: Assistant, settings: Settings) -> gr.Blocks:
    """The chat UI bound to one assistant."""
    docs = assistant.documents()
    outlets = sorted({d.outlet for d in docs if d.outlet})

    def respond(message: str, chat: list[dict[str, Any]], turns: list[dict[str, str]], language: str,
                outlet: list[str], date_from: str, date_to: str) -> Iterator[tuple[Any, ...]]:
        message = (message or "").strip()
        if not message:
            yield chat, turns, gr.update(), ""
            return
        chat = [*chat, {"role": "user", "content": message}, {"role": "assistant", "content": "…"}]
        yield chat, turns, '<div class="state-note" data-state="thinking">Suche in den Quellen …</div>', ""
        try:
            filters = Filters(outlet=outlet or None, date_from=date_from.strip() or None,
                              date_to=date_to.strip() or None)
            history = [Turn(**t) for t in turns]
            partial = ""
            for event in assistant.ask_stream(message, history, None if language == "auto" else language,
                                              None, None if filters.is_empty() else filters):
                if isinstance(event, Token):
                    partial += event.text
                    chat[-1]["content"] = partial + " ▌"
                    yield chat, turns, gr.update(), ""
                elif isinstance(event, Final):
                    answer = event.answer
                    chat[-1]["content"] = link_markers(html.escape(answer.answer))
                    turns = [*turns, {"role": "user", "content": message},
                             {"role": "assistant", "content": answer.answer}]
                    yield chat, turns, render_sources(assistant, answer), ""
        except (AssistantError, ValueError) as e:
            chat[-1]["content"] = f"⚠️ {html.escape(str(e))}"
            yield chat, turns, f'<div class="state-note" data-state="error">⚠️ {html.escape(str(e))}</div>', ""

    with gr.Blocks(title="News archive assistant", analytics_enabled=False) as demo:
        gr.Markdown("## News archive assistant\nFragen auf Deutsch oder Englisch – jede Aussage mit Quelle.")
        if not docs:
            gr.HTML('<div class="state-note" data-state="empty-index">The index is empty. Add articles with '
                    "<code>assistant ingest PATH</code> and reload this page.</div>")
        turns = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Chat", height=460, elem_id="chat")
                box = gr.Textbox(placeholder="Frage stellen / ask a question …", label="Frage", elem_id="question")
                with gr.Row():
                    send = gr.Button("Senden / Send", variant="primary", elem_id="send")
                    new = gr.Button("Neues Gespräch / New conversation", elem_id="new")
                gr.Examples(EXAMPLES, inputs=box)
            with gr.Column(scale=2):
                with gr.Accordion("Filter", open=False):
                    language = gr.Radio(["auto", "de", "en"], value="auto", label="Antwortsprache / answer language")
                    outlet = gr.Dropdown(outlets, multiselect=True, label="Medium / outlet")
                    date_from = gr.Textbox(label="Von / from (YYYY[-MM[-DD]])")
                    date_to = gr.Textbox(label="Bis / to (YYYY[-MM[-DD]])")
                sources = gr.HTML(elem_id="sources")
        inputs = [box, chat, turns, language, outlet, date_from, date_to]
        outputs = [chat, turns, sources, box]
        send.click(respond, inputs, outputs)
        box.submit(respond, inputs, outputs)
        new.click(lambda: ([], [], "", ""), None, outputs)
    demo.css = CSS
    return demo
