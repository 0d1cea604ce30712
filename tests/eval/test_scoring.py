"""Per-answer scoring: why an answer is a refusal, and where the judge and the verifier disagree."""

from __future__ import annotations

import pytest

from assistant.models import Answer, AnswerTrace, SentenceCheck
from eval.judge import CitedText
from eval.scoring import refusal_cause, verifier_agreement

SOURCE = {
    1: CitedText(
        "Renault wird seinen Anteil an Nissan von 43% auf 15% senken. Nissan erhält im Gegenzug Stimmrechte.",
        "de",
    )
}
REFUSALS = (
    "Dazu enthalten die Quellen keine Informationen.",
    "The sources do not contain information on this.",
)


def answer(text: str, draft: str | None, rejected: list[str], answerable: bool = True,
           cause: str | None = None, language: str = "de") -> Answer:
    checks = [SentenceCheck(sentence=r, accepted=False, reason="not close enough in meaning") for r in rejected]
    mode = "generated" if answerable else "refused"
    trace = AnswerTrace(question_kind="fact", draft=draft, draft_language=language, checks=checks, mode=mode,
                        refusal_cause=cause)
    return Answer(answer=text, language=language, answerable=answerable, citations=[],
                  unsupported=[f"{r} (not close enough in meaning)" for r in rejected], trace=trace)


@pytest.mark.parametrize(
    ("a", "cause"),
    [
        (answer("x [1].", "x [1].", []), None),
        (answer(REFUSALS[0], None, [], answerable=False, cause="no_relevant_passage"), "no_relevant_passage"),
        (answer(REFUSALS[0], REFUSALS[0], [], answerable=False, cause="llm_refused"), "llm_refused"),
        (answer(REFUSALS[0], "Renault kauft Toyota.", ["Renault kauft Toyota."], answerable=False,
                cause="verifier_rejected"), "verifier_rejected"),
    ],
)
def test_refusal_cause(a: Answer, cause: str | None) -> None:
    assert refusal_cause(a) == cause


def test_agreement_counts_kept_and_dropped_sentences_against_the_judge() -> None:
    draft = (
        "Renault senkt seinen Anteil an Nissan von 43% auf 15% [1]. "
        "Renault verkauft alle Fabriken an chinesische Investoren [1]. "
        "Nissan erhält im Gegenzug Stimmrechte [1]."
    )
    a = answer(
        "Renault senkt seinen Anteil an Nissan von 43% auf 15% [1].",
        draft,
        ["Renault verkauft alle Fabriken an chinesische Investoren.", "Nissan erhält im Gegenzug Stimmrechte."],
    )
    got = verifier_agreement(a, SOURCE, REFUSALS)
    assert got["sentences"] == 3
    assert got["agree"] == 2  # kept + supported, dropped + unsupported
    assert got["judge_only"] == ["Nissan erhält im Gegenzug Stimmrechte."]
    assert got["verifier_only"] == []


def test_agreement_judges_an_english_draft_by_the_english_rules() -> None:
    draft = "Renault cuts its stake in Nissan from 43% to 10% [1]."
    a = answer(draft, draft, [], language="en")
    got = verifier_agreement(a, SOURCE, REFUSALS)
    assert got["sentences"] == 1
    assert got["verifier_only"] == ["Renault cuts its stake in Nissan from 43% to 10%."]  # 10 is not in the source


def test_refusal_sentences_are_not_judged() -> None:
    a = answer(REFUSALS[0], REFUSALS[0], [], answerable=False)
    assert verifier_agreement(a, SOURCE, REFUSALS)["sentences"] == 0


def test_the_answer_language_is_that_of_its_own_words_not_of_what_it_quotes() -> None:
    from eval.scoring import answer_language
    quoted = ("The German source [1] says: „Die Anlage soll im zweiten Halbjahr 2027 in Betrieb gehen und "
              "jährlich bis zu 40.000 Tonnen verarbeiten.“")
    assert answer_language(quoted) == "en"
    assert answer_language("Die Anlage soll 2027 in Betrieb gehen und 40.000 Tonnen verarbeiten [1].") == "de"
    # an untranslated German answer to an English question stays German, quotes or not
    german = "Laut der Quelle wird Elbtor in „Baltrans Elbtor“ umbenannt und von der Börse genommen."
    assert answer_language(german) == "de"
