"""Follow-up rewrites that retrieval cannot use are replaced by the previous question plus the new one."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from assistant.admission import LLMAdmission
from assistant.followups import standalone_question
from assistant.models import Turn
from assistant.prompts import PromptLibrary
from assistant.questions import analyse
from assistant.settings import PROJECT_ROOT


def rewrite_with(reply: str, question: str, previous: str, lang: str, answer: str = "…") -> str:
    def generate(messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        yield reply

    history = [Turn(role="user", content=previous), Turn(role="assistant", content=answer)]
    return standalone_question(question, history, lang, PromptLibrary(PROJECT_ROOT / "prompts"), LLMAdmission(1, 1),
                               generate, 4).text


@pytest.mark.parametrize(("previous", "question", "reply", "lang"), [
    # the previous question again: it keeps "Nissan", but none of the words the new question adds
    ("Um wie viel will Renault seinen Anteil an Nissan senken?", "Und was bekommt Nissan im Gegenzug?",
     "Wie viel senkt Renault seinen Anteil an Nissan?", "de"),
    # the new question handed back unchanged, with its "its" / "damals" / "that" still open
    ("What is the Sparkasse Ammersee-Lech changing about its current account fees?",
     "And what is happening to its overdraft rate?", "And what is happening to its overdraft rate?", "en"),
    ("Mit welchem Hersteller hat BMW im Dezember eine erste Vereinbarung unterzeichnet?",
     "Was wurde damals konkret vereinbart?", "Was wurde damals konkret vereinbart?", "de"),
    ("What are BMW and Toyota looking into together?", "Did that affect any other partnership BMW had planned?",
     "Did that affect any other partnership BMW had planned?", "en"),
    # an answer instead of a question, with the names of the prompt's own example (seen after a long history)
    ("Was kostet das neue Wasserwerk in Kirchheide?", "Und wer ist die Geschäftsführerin?",
     "Die Geschäftsführerin ist Anna Beispiel [1].", "de"),
    ("Was kostet das neue Wasserwerk in Kirchheide?", "Und wer ist die Geschäftsführerin?",
     "Wer ist die Geschäftsführerin der Muster AG, Anna Beispiel?", "de"),
    # a statement for a question, without a marker (seen: the condense step answered from the conversation)
    ("Will Nissan share its e-Power technology with Renault's joint venture?",
     "Who are the partners in that joint venture?",
     "The partners in that joint venture are Renault, Geely Holding Group Co Ltd, and Saudi Aramco.", "en"),
])
def test_an_unusable_rewrite_falls_back_to_both_questions(previous, question, reply, lang) -> None:
    assert rewrite_with(reply, question, previous, lang) == f"{previous} {question}"


@pytest.mark.parametrize(("previous", "answer", "question", "reply", "lang"), [
    ("Wann wurde Carlos Ghosn verhaftet?", "2018 [1].", "Und wohin floh er?", "Wohin floh Carlos Ghosn?", "de"),
    # the pronoun replaced by the name the answer gave, "pay" by "cost": it keeps "club", a word of its own
    ("Who scored Hanseatia Lübeck's goal against Gütersloh?", "Timo Hechtfischer [1].",
     "How much did the club pay for him?", "How much did Timo Hechtfischer cost the club?", "en"),
    ("Which Chinese company did Ford hold talks with?", "Ford held talks with Xiaomi [2].",
     "Has that company had car plans of its own before?", "Has Xiaomi had car plans of its own before?", "en"),
    # a follow-up that points nowhere, handed back unchanged: it is a question of its own
    ("Wann wurde Carlos Ghosn verhaftet?", "2018 [1].", "Wie viele Arbeitsplätze schafft das Werk in Debrecen?",
     "Wie viele Arbeitsplätze schafft das Werk in Debrecen?", "de"),
])
def test_a_usable_rewrite_is_kept(previous, answer, question, reply, lang) -> None:
    assert rewrite_with(reply, question, previous, lang, answer) == reply


def test_a_fallback_asks_for_what_the_new_question_asks_for() -> None:
    """The previous question comes first in the fallback; its "Um wie viel" must not make this a number question."""
    def generate(messages: list[dict[str, str]], max_tokens: int) -> Iterator[str]:
        yield "Wie viel senkt Renault seinen Anteil an Nissan?"

    history = [Turn(role="user", content="Um wie viel will Renault seinen Anteil an Nissan senken?"),
               Turn(role="assistant", content="Von 43 % auf 15 % [1].")]
    made = standalone_question("Und was bekommt Nissan im Gegenzug?", history, "de",
                               PromptLibrary(PROJECT_ROOT / "prompts"), LLMAdmission(1, 1), generate, 4)
    assert made.text.startswith("Um wie viel") and made.asks == "Und was bekommt Nissan im Gegenzug?"
    info = made.analysed("de")
    assert info.kind == "fact" and analyse(made.text, "de").kind == "number"
    assert "renault" in info.focus  # the words of both questions still count for the evidence


@pytest.mark.parametrize(("rewrite", "kept"), [
    ("Wer ist die Geschäftsführerin des Unternehmens?", False),  # a common noun of the answer: no topic
    ("Wer ist die Geschäftsführerin der Stadtwerke Kirchheide?", True),  # a word of the previous question
    ("Wer ist die Geschäftsführerin von Aqualis?", True),  # a name the answer gave
])
def test_a_continuing_follow_up_keeps_the_topic_of_the_conversation(rewrite: str, kept: bool) -> None:
    """Seen on new articles: the rewrite lost the waterworks, retrieval found another company's founder, and
    a wrong answer passed. "Und …" continues the conversation: its rewrite must carry the conversation's topic."""
    previous, question = "Was kostet das neue Wasserwerk in Kirchheide?", "Und wer ist die Geschäftsführerin?"
    answer = "Das Projekt kostet nach Angaben des Unternehmens Aqualis rund 52 Millionen Euro [1]."
    made = rewrite_with(rewrite, question, previous, "de", answer)
    assert made == (rewrite if kept else f"{previous} {question}")
