"""Per-answer scoring: why an answer is a refusal, and where the judge and the verifier disagree."""

from __future__ import annotations

import pytest

from assistant.models import Answer
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


def answer(text: str, raw: str | None, unsupported: list[str], answerable: bool = True) -> Answer:
    return Answer(
        answer=text,
        language="de",
        answerable=answerable,
        citations=[],
        raw_answer=raw,
        unsupported=unsupported,
    )


@pytest.mark.parametrize(
    ("a", "cause"),
    [
        (answer("x [1].", "x [1].", []), None),
        (answer(REFUSALS[0], None, [], answerable=False), "no relevant passage"),
        (answer(REFUSALS[0], REFUSALS[0], [], answerable=False), "LLM refused"),
        (
            answer(
                REFUSALS[0],
                "Renault kauft Toyota.",
                ["Renault kauft Toyota. (cites no source)"],
                answerable=False,
            ),
            "verifier dropped every sentence",
        ),
    ],
)
def test_refusal_cause(a: Answer, cause: str | None) -> None:
    assert refusal_cause(a) == cause


def test_agreement_counts_kept_and_dropped_sentences_against_the_judge() -> None:
    raw = (
        "Renault senkt seinen Anteil an Nissan von 43% auf 15% [1]. "
        "Renault verkauft alle Fabriken an chinesische Investoren [1]. "
        "Nissan erhält im Gegenzug Stimmrechte [1]."
    )
    a = answer(
        "Renault senkt seinen Anteil an Nissan von 43% auf 15% [1].",
        raw,
        [
            "Renault verkauft alle Fabriken an chinesische Investoren. (not close enough in meaning)",
            "Nissan erhält im Gegenzug Stimmrechte. (not close enough in meaning)",
        ],
    )
    got = verifier_agreement(a, SOURCE, REFUSALS)
    assert got["sentences"] == 3
    assert got["agree"] == 2  # kept + supported, dropped + unsupported
    assert got["judge_only"] == ["Nissan erhält im Gegenzug Stimmrechte."]
    assert got["verifier_only"] == []


def test_agreement_judges_draft_and_translation_each_in_its_language() -> None:
    raw = (
        "Renault senkt seinen Anteil an Nissan von 43% auf 15% [1].\n---\n"
        "Renault cuts its stake in Nissan from 43% to 10% [1]."
    )
    a = answer("Renault cuts its stake in Nissan from 43% to 10% [1].", raw, [])
    got = verifier_agreement(a, SOURCE, REFUSALS)
    assert got["sentences"] == 2
    assert got["verifier_only"] == [
        "Renault cuts its stake in Nissan from 43% to 10%."
    ]  # 10 is not in the source


def test_refusal_sentences_are_not_judged() -> None:
    a = answer(REFUSALS[0], REFUSALS[0], [], answerable=False)
    assert verifier_agreement(a, SOURCE, REFUSALS)["sentences"] == 0
