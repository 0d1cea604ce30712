"""Follow-up questions rewritten by the LLM into questions that retrieval can use on their own."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from assistant.admission import LLMAdmission
from assistant.citations import neutralise_prompt_text
from assistant.grounding import common_noun_in
from assistant.models import Turn
from assistant.prompts import PromptLibrary
from assistant.questions import QuestionInfo, analyse
from assistant.text import bm25_tokens

# Words by which a follow-up points back at the conversation ("its rate", "was wurde damals vereinbart"). Left
# out: words as often used without a referent ("es", "sie", "das", "da", "it").
_REFERS_BACK = frozenset({
    "he", "him", "his", "she", "her", "hers", "its", "they", "them", "their", "theirs", "that", "this", "these",
    "those", "there", "then", "er", "ihm", "ihn", "sein", "seine", "seinem", "seinen", "seiner", "seines", "ihr",
    "ihre", "ihrem", "ihren", "ihrer", "ihres", "deren", "dessen", "dort", "damals", "dabei", "dafür", "davon",
    "daran", "darüber", "dazu", "dadurch", "diese", "dieser", "dieses", "diesem", "diesen", "dies", "jene", "jener",
    "jenes"
})

log = logging.getLogger(__name__)

# (chat messages, max tokens) -> the LLM's text, piece by piece
Generate = Callable[[list[dict[str, str]], int], Iterator[str]]


@dataclass(frozen=True)
class Standalone:
    """A follow-up made searchable: ``text`` for retrieval and the prompt; ``asks`` is the question whose
    wording says what kind of item answers it (the rewrite itself, or the new question when ``text`` is the
    previous question followed by the new one)."""

    text: str
    asks: str

    def analysed(self, lang: str) -> QuestionInfo:
        info = analyse(self.text, lang)
        if self.asks == self.text:
            return info
        own = analyse(self.asks, lang)  # "Um wie viel …? Und was bekommt Nissan im Gegenzug?" asks for a thing
        return replace(info, kind=own.kind, several=own.several)


def standalone_question(question: str, history: Sequence[Turn], lang: str, prompts: PromptLibrary,
                        admission: LLMAdmission, generate: Generate, history_turns: int) -> Standalone:
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
    last_user = next((t.content for t in reversed(recent) if t.role == "user"), "")
    said = " ".join(t.content for t in recent)
    last_answer = next((t.content for t in reversed(recent) if t.role == "assistant"), "")
    if _keeps_question(line, question, last_user, lang) and not _leaves_referent_open(line, question, lang) \
            and not _invents(line, question, said, lang) and not _drops_topic(line, question, last_user,
                                                                               last_answer, lang):
        return Standalone(line, line)
    # Small models sometimes repeat the previous question instead of rewriting the new one, hand the new one
    # back unchanged with its "its" or "damals", answer it with the names of the prompt's example, or resolve
    # "Und wer ist die Geschäftsführerin?" to "… des Unternehmens" instead of the company talked about: then
    # retrieve (and answer) with both questions, which still carries the missing referent.
    log.info("follow-up rewrite %r rejected; using the previous question as context", line)
    return Standalone(f"{last_user.strip()} {question}".strip(), question)


def _keeps_question(rewrite: str, question: str, previous: str, lang: str) -> bool:
    """A usable rewrite is a single question of sane length that keeps at least half of the new question's
    words, among them one that the previous question lacks: "Was bekommt Nissan im Gegenzug?" rewritten as
    the previous question ("Wie viel senkt Renault seinen Anteil an Nissan?") keeps "Nissan" only."""
    if not 5 <= len(rewrite) <= 400:
        return False
    asked = set(bm25_tokens(question, lang)) - _REFERS_BACK
    if not asked:
        return True
    kept = asked & set(bm25_tokens(rewrite, lang))
    own = asked - set(bm25_tokens(previous, lang))
    return len(kept) >= max(1, len(asked) // 2) and (not own or bool(own & kept))


def _leaves_referent_open(rewrite: str, question: str, lang: str) -> bool:
    """Whether the rewrite adds no word to a question that points back ("And what is happening to its
    overdraft rate?" handed back as it was): retrieval would not know whose rate."""
    words = {w.casefold() for w in re.findall(r"\w+", question)}
    if not words & _REFERS_BACK:
        return False
    return not set(bm25_tokens(rewrite, lang)) - set(bm25_tokens(question, lang))


def _invents(rewrite: str, question: str, conversation: str, lang: str) -> bool:
    """Whether the rewrite is an answer ("… [1].", or a statement for a question: "The partners in that joint
    venture are Renault, Geely …." for "Who are the partners in that joint venture?") or brings in words that
    neither the new question nor the conversation holds (seen: the prompt's example names, "Anna Beispiel",
    after a long history)."""
    if re.search(r"\[\d+\]", rewrite) or (question.rstrip().endswith("?") and not rewrite.rstrip().endswith("?")):
        return True
    said = f"{question} {conversation}"
    known = set(bm25_tokens(said, "de")) | set(bm25_tokens(said, "en"))
    added = set(bm25_tokens(rewrite, lang)) - known
    return sum(not _stem_in(w, known) for w in added) >= 2


_CONTINUES = frozenset({"und", "and", "also", "auch", "sowie", "plus"})


def _drops_topic(rewrite: str, question: str, previous: str, answer: str, lang: str) -> bool:
    """Whether a follow-up that continues the conversation ("Und wer ist die Geschäftsführerin?") was rewritten
    without its topic: it adds no word of the previous question and no name of the previous answer ("… des
    Unternehmens" adds a common noun of the answer, not "Kirchheide" or "Wasserwerk")."""
    words = question.split()
    if not words or words[0].strip(",").casefold() not in _CONTINUES:
        return False
    names = [w for w in re.findall(r"(?<=\S )[A-ZÄÖÜ][\w-]+", answer) if not common_noun_in(answer, w)]
    topic = set(bm25_tokens(previous, lang)) | set(bm25_tokens(" ".join(names), lang))
    added = set(bm25_tokens(rewrite, lang)) - set(bm25_tokens(question, lang))
    return not any(_stem_in(a, topic) for a in added)


def _stem_in(word: str, words: set[str]) -> bool:
    """Whether ``word`` is among ``words``, or shares its first five letters with one of five or more
    ("investiert" / "investieren", "Verhaftung" / "verhaftet")."""
    return word in words or (len(word) >= 5 and any(len(w) >= 5 and w[:5] == word[:5] for w in words))
