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


def test_a_quotation_of_several_sentences_cites_once_for_all() -> None:
    """A quoted answer carries its marker once: every sentence of the quotation is judged against that source."""
    source = {1: CitedText("Renault senkt seinen Anteil an Nissan. Nissan erhält im Gegenzug Stimmrechte.", "de")}
    quoted = "Laut der Quelle: „Renault senkt seinen Anteil an Nissan. Nissan erhält im Gegenzug Stimmrechte.“ [1]"
    assert [(j.cited, j.verdict) for j in judge_answer(quoted, source, "de")] == [([1], "supported")] * 2
    english = 'The German source [1] says: „Renault senkt seinen Anteil an Nissan. Nissan erhält Stimmrechte.“'
    assert [j.cited for j in judge_answer(english, source, "en")] == [[1], [1]]
    # outside a quotation a sentence without a marker still cites nothing
    plain = "Renault senkt seinen Anteil an Nissan [1]. Nissan erhält im Gegenzug Stimmrechte."
    assert [j.verdict for j in judge_answer(plain, source, "de")] == ["supported", "unsupported"]


def test_a_marker_after_a_closing_quotation_mark_belongs_to_that_quotation() -> None:
    sources = {1: CitedText("Die SPD erhielt 33,8 Prozent.", "de"),
               2: CitedText("Die Linke erhielt 12,4 Prozent.", "de")}
    answer = "The German sources say: „Die SPD erhielt 33,8 Prozent.“ [1] „Die Linke erhielt 12,4 Prozent.“ [2]"
    got = judge_answer(answer, sources, "en")
    assert [(j.cited, j.verdict) for j in got] == [([1], "supported"), ([2], "supported")]


def test_the_cited_articles_title_counts_as_cited_text() -> None:
    """A reader following the citation sees the headline: its names support the sentence."""
    passage = "Es gibt erste lockere Kontakte auf Gruppenleiter-Ebene, sagte eine Person dem Handelsblatt."
    claim = "The first contacts between GM and BMW are at group leader level [1]."
    assert judge_sentence(claim, {1: CitedText(passage, "de")}, "en").verdict == "unsupported"
    assert judge_sentence(claim, {1: CitedText(passage, "de", "GM flirtet mit BMW")}, "en").verdict == "supported"


@pytest.mark.parametrize(
    ("sentence", "verdict"),
    [
        ("BMW announced this in Munich on Thursday [1].", "supported"),
        ("BMW announced this in Cologne on Friday [1].", "unsupported"),
        ("The Polish and Swedish partners agreed [1].", "supported"),
        ("The Polish and Danish partners agreed [1].", "unsupported"),
        # a short German form only where a word starts: "ost" in "Kosten" is no "East"
        ("BMW and East Asia [2].", "unsupported"),
    ],
)
def test_english_names_of_places_and_days_meet_their_german_words(sentence: str, verdict: str) -> None:
    sources = {
        1: CitedText("BMW teilte am Donnerstag in München mit, die polnischen und schwedischen Partner seien einig.",
                     "de"),
        2: CitedText("BMW senkt die Kosten in Asien.", "de"),
    }
    assert judge_sentence(sentence, sources, "en").verdict == verdict


def test_numbers_written_as_words_and_compound_parts() -> None:
    text = "Brandhuber kam in 19 Zweitligaspielen auf sechs Tore; 300 zusätzliche Lehrerstellen."
    source = {1: CitedText(text, "de")}
    assert judge_sentence("Brandhuber schoss 6 Tore [1].", source, "de").verdict == "supported"
    assert judge_sentence("Brandhuber schoss 7 Tore [1].", source, "de").verdict == "unsupported"
    assert judge_sentence("Es gibt 300 zusätzliche Lehrer [1].", source, "de").verdict == "supported"


def test_a_quotation_holding_half_of_another_still_cites_all_its_sentences() -> None:
    source = {1: CitedText("«Lübeck ist eine Fußballstadt», sagte Thielen. Er wolle eine Mannschaft formen.", "de")}
    answer = ("The German source [1] says: „Lübeck ist eine Fußballstadt», sagte Thielen. "
              "Er wolle eine Mannschaft formen.“")
    assert [j.cited for j in judge_answer(answer, source, "en")] == [[1], [1]]
