"""What the chat's events do: Gradio values in, calls of ``Assistant.ask_stream`` / ``FeedbackLog``, HTML out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gradio as gr
from pydantic import ValidationError

from assistant.errors import AssistantError
from assistant.events import Sources, Token
from assistant.models import Answer, Filters, Turn
from assistant.service import Assistant
from assistant.text import question_language
from ui.chat_render import (
    answer_html,
    draft_html,
    empty_index_html,
    error_html,
    esc,
    evidence_html,
    panel_html,
    sources_html,
    thinking_html,
    writing_html,
)
from ui.chat_text import TEXT
from ui.date_chips import chips_html, without_removers
from ui.feedback import FeedbackLog, feedback_record


def history_of(exchanges: list[dict[str, Any]]) -> list[Turn]:
    """The conversation so far as turns for the assistant."""
    turns: list[Turn] = []
    for ex in exchanges:
        turns += [Turn(role="user", content=ex["question"]),
                  Turn(role="assistant", content=ex["answer"]["answer"])]
    return turns


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
        banner = "" if docs else "".join(empty_index_html(lang) for lang in ("de", "en"))
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
                    note = empty_index_html(lang)
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

