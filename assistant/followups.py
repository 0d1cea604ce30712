"""Follow-up questions rewritten by the LLM into questions that retrieval can use on their own."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence

from assistant.admission import LLMAdmission
from assistant.citations import neutralise_prompt_text
from assistant.models import Turn
from assistant.prompts import PromptLibrary
from assistant.text import bm25_tokens

log = logging.getLogger(__name__)

# (chat messages, max tokens) -> the LLM's text, piece by piece
Generate = Callable[[list[dict[str, str]], int], Iterator[str]]


def standalone_question(question: str, history: Sequence[Turn], lang: str, prompts: PromptLibrary,
                        admission: LLMAdmission, generate: Generate, history_turns: int) -> str:
    """Rewrite a follow-up into a question that retrieval can use on its own."""
    prompt = prompts.get("condense", lang)
    speaker = {"de": {"user": "Nutzer", "assistant": "Assistent"},
               "en": {"user": "User", "assistant": "Assistant"}}[lang]
    recent = list(history)[-history_turns:]
    rendered = neutralise_prompt_text(
        "\n".join(f"{speaker[t.role]}: {' '.join(t.content.split())[:600]}" for t in recent))
    with admission.slot():
        out = "".join(generate(prompt.messages(history=rendered, question=neutralise_prompt_text(question)), 64))
    line = out.strip().splitlines()[0].strip().strip('"„“«»') if out.strip() else ""
    if _keeps_question(line, question, lang):
        return line
    # Small models sometimes repeat the previous question instead of rewriting the new one: then
    # retrieve (and answer) with both, which still carries the missing referent.
    last_user = next((t.content for t in reversed(recent) if t.role == "user"), "")
    log.info("follow-up rewrite %r rejected; using the previous question as context", line)
    return f"{last_user.strip()} {question}".strip()


def _keeps_question(rewrite: str, question: str, lang: str) -> bool:
    """A usable rewrite is a single question of sane length that keeps most of the new question's words."""
    if not 5 <= len(rewrite) <= 400:
        return False
    asked = set(bm25_tokens(question, lang))
    if not asked:
        return True
    return len(asked & set(bm25_tokens(rewrite, lang))) >= max(1, len(asked) // 2)
