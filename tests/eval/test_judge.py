"""The lexical faithfulness judge on hand-made sentences and passages."""

from __future__ import annotations

import pytest

from eval.judge import CitedText, judge_answer, judge_sentence, numbers

DE = CitedText(
    "Renault wird seinen Anteil an Nissan von 43% auf 15% senken, und Nissan erhält im Gegenzug Stimmrechte.",
    "de",
)
DE2 = CitedText("Ghosn floh Ende 2019 in den Libanon, während er auf seinen Prozess wartete.", "de")
EN = CitedText("BMW and Toyota will cooperate on fuel cells and lightweight construction.", "en")
DE3 = CitedText("Die Allianz plant eine Strategie für den nordamerikanischen und asiatischen Markt.", "de")
SOURCES = {1: DE, 2: DE2, 3: EN, 4: DE3}


@pytest.mark.parametrize(
    ("sentence", "language", "verdict"),
    [
        # same language, close wording
        ("Renault senkt seinen Anteil an Nissan von 43% auf 15% [1].", "de", "supported"),
        # a number that is not in the cited passage
        ("Renault senkt seinen Anteil an Nissan von 43% auf 10% [1].", "de", "unsupported"),
        # correct, but cites the wrong passage
        ("Renault senkt seinen Anteil an Nissan von 43% auf 15% [2].", "de", "unsupported"),
        # no citation at all, or a citation of a source that does not exist
        ("Renault senkt seinen Anteil an Nissan von 43% auf 15%.", "de", "unsupported"),
        ("Renault senkt seinen Anteil an Nissan [7].", "de", "unsupported"),
        # same language, mostly invented content
        (
            "Renault verkauft morgen alle Fabriken in Frankreich an chinesische Investoren [1].",
            "de",
            "unsupported",
        ),
        # across languages: names and numbers are compared (Lebanon ~ Libanon)
        ("Ghosn fled to Lebanon at the end of 2019 [2].", "en", "supported"),
        ("Renault will cut its stake in Nissan from 43% to 15% [1].", "en", "supported"),
        ("Ghosn fled to Brazil in 2019 [2].", "en", "unsupported"),
        ("Ghosn fled to Lebanon in 2021 [2].", "en", "unsupported"),
        # near spellings inside compounds count (America ~ nordamerikanischen); invented places do not
        ("The strategy applies to North America and Asia [4].", "en", "supported"),
        ("The strategy applies to Mexico and India [4].", "en", "unsupported"),
        # a name as the first word counts when the passage has it; an ordinary first word does not
        ("Renault will get voting rights in return [1].", "en", "supported"),
        ("Because he was waiting for his trial [2].", "en", "unjudged"),
        # across languages without any name or number: the judge cannot tell
        ("He was waiting for his trial [2].", "en", "unjudged"),
        # English passage, English answer: word overlap with stemming (cooperate ~ cooperation)
        ("BMW and Toyota cooperate on fuel cells [3].", "en", "supported"),
    ],
)
def test_judge_sentence(sentence: str, language: str, verdict: str) -> None:
    assert judge_sentence(sentence, SOURCES, language).verdict == verdict


def test_numbers_ignore_separators() -> None:
    assert numbers("1.500 Autos, 2,5 Prozent, 43%") == {"1500", "25", "43"}


def test_judge_answer_keeps_orphan_markers_and_skips_the_refusal() -> None:
    answer = (
        "Renault senkt seinen Anteil an Nissan von 43% auf 15%. [1]\n"
        "Die Quellen enthalten dazu keine Informationen."
    )
    got = judge_answer(answer, SOURCES, "de", skip=("Die Quellen enthalten dazu keine Informationen.",))
    assert [(j.cited, j.verdict) for j in got] == [([1], "supported")]


def test_judge_answer_reads_markers_as_the_verifier_does() -> None:
    """assistant.citations.sentences_with_markers: a marker before the next sentence's words stays with them."""
    answer = "Renault senkt seinen Anteil an Nissan von 43% auf 15%. [1] Renault hält 15%."
    got = judge_answer(answer, SOURCES, "de")
    assert [j.cited for j in got] == [[], [1]]
