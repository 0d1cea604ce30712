"""The quoted answer: which evidence sentence stands in for a draft that failed verification."""

from assistant.models import AnswerTrace, Citation, Passage
from assistant.questions import analyse
from assistant.quote import Quoter
from assistant.settings_answers import QuoteSettings
from assistant.settle import settle_draft, settled_answer
from assistant.verify import Verifier
from tests.fakes import HashEmbedding


def unit(text: str, n: int, score: float) -> Passage:
    return Passage(doc_id=f"d{n}", source=f"s{n}.txt", title="T", chunk_id=f"d{n}-0000", text=text, start=0,
                   end=len(text), score=score, language="de")


EVIDENCE = [
    unit("Die Sparkasse Ammersee-Lech verlangt künftig von Privatkunden ein Entgelt für hohe Guthaben.", 1, 0.93),
    unit("Betroffen sind rund 1400 Privatkunden. Diesen Kunden sollen Alternativen angeboten werden, etwa "
         "Wertpapierfonds, Bausparverträge oder Festgeld.", 2, 0.86),
]
QUESTION = analyse("Welche Anlageformen schlägt die Sparkasse Ammersee-Lech Kunden mit hohen Guthaben vor?", "de")
DRAFTED_FROM = ("Diesen Kunden sollen Alternativen angeboten werden, etwa Wertpapierfonds, Bausparverträge "
                "oder Festgeld.")
QUOTER = Quoter(min_relevance=0.85, min_relevance_cross=0.8, min_coverage=0.0)


def test_the_sentence_the_draft_was_written_from_is_quoted_first() -> None:
    written_from = [(2, DRAFTED_FROM)]
    quote = QUOTER.quote(QUESTION, EVIDENCE, "de", cited=[2], written_from=written_from)
    assert quote is not None and quote.n == 2
    # "Diesen Kunden" refers back: the quote starts with the sentence it refers to
    assert EVIDENCE[1].text[quote.start:quote.end] == EVIDENCE[1].text
    assert "Wertpapierfonds" in quote.text and "written from" in quote.reason


def test_the_drafts_sentence_yields_to_a_sentence_of_its_source_that_is_more_about_the_question() -> None:
    """A draft with an invented date ("am 2019-12-31") is nearest the unit's first sentence, which states a date
    (2018) but not what the question asks about; the unit's sentence about the Lebanon (with the one it refers
    back to) is quoted instead."""
    source = [unit("Ghosn wurde 2018 in Tokio unter dem Vorwurf des finanziellen Fehlverhaltens verhaftet. Er floh "
                   "Ende 2019 in den Libanon, während er auf seinen Prozess wartete.", 1, 0.95)]
    question = analyse("Wann hat sich Carlos Ghosn in den Libanon abgesetzt?", "de")
    drafted = "Ghosn wurde 2018 in Tokio unter dem Vorwurf des finanziellen Fehlverhaltens verhaftet."
    quote = QUOTER.quote(question, source, "de", cited=[1], written_from=[(1, drafted)])
    assert quote is not None and "Libanon" in quote.text and "written from" in quote.reason
    # the draft's own sentence stays the quote when no sentence of its unit is more about the question
    other = analyse("Wann wurde Carlos Ghosn in Tokio verhaftet?", "de")
    kept = QUOTER.quote(other, source, "de", cited=[1], written_from=[(1, drafted)])
    assert kept is not None and "Libanon" not in kept.text


def test_without_the_drafts_sentence_the_best_scored_source_is_quoted() -> None:
    fact = analyse("Was verlangt die Sparkasse Ammersee-Lech künftig von Privatkunden?", "de")
    quote = QUOTER.quote(fact, EVIDENCE, "de", cited=[2])
    assert quote is not None and quote.n == 1  # [2] scores more than 0.05 below the best: not "pointed at"


def test_a_question_about_several_things_is_answered_only_by_a_sentence_that_lists_some() -> None:
    # [1] scores best but names one thing: "Welche Anlageformen …?" is answered by the list of [2]
    quote = QUOTER.quote(QUESTION, EVIDENCE, "de", cited=[2])
    assert quote is not None and quote.n == 2 and "Festgeld" in quote.text
    assert QUOTER.quote(QUESTION, EVIDENCE[:1], "de") is None


def test_the_drafts_sentence_is_not_quoted_when_its_source_is_not_about_the_question() -> None:
    strict = Quoter(min_relevance=0.9, min_relevance_cross=0.9, min_coverage=0.0)
    written_from = [(2, DRAFTED_FROM)]
    quote = strict.quote(QUESTION, EVIDENCE, "de", cited=[2], written_from=written_from)
    assert quote is None or quote.n != 2  # [2] is below the relevance floor: never quoted
    assert strict.quote(QUESTION, EVIDENCE, "de", written_from=[(5, "no such source")]) == \
        strict.quote(QUESTION, EVIDENCE, "de")  # a number that is not a source is ignored


def test_a_number_in_a_name_or_a_day_of_a_month_is_no_quote_for_how_many() -> None:
    """An unanswerable "how much" question gets no quote from a sentence whose only numbers count nothing."""
    evidence = [unit("Mittelfeldspieler Elias Brandhuber wechselt mit sofortiger Wirkung zum Bundesligisten "
                     "Borussia Hellweg 1904. Den Vorverkauf eröffnet der Verein am 1. Oktober.", 1, 0.99)]
    salary = analyse("Wie hoch ist das Jahresgehalt von Elias Brandhuber bei Borussia Hellweg?", "de")
    assert QUOTER.quote(salary, evidence, "de", cited=[1]) is None
    fee = [unit("Brandhuber kommt für eine Ablöse von 250.000 Euro zu Borussia Hellweg 1904.", 1, 0.99)]
    quote = QUOTER.quote(analyse("Wie viel zahlte Borussia Hellweg für Brandhuber?", "de"), fee, "de", cited=[1])
    assert quote is not None and "250.000 Euro" in quote.text


def test_a_draft_from_a_sentence_that_is_not_about_the_question_does_not_bring_that_sentence_as_the_quote() -> None:
    """The verifier drops the draft because its sentence is a neighbouring fact (the start of operation, not of
    construction); quoting that very sentence would give the same wrong answer a second time."""
    verifier = Verifier(HashEmbedding(), min_similarity=0.0, locality_margin=1.0, coverage_margin=0.4)
    evidence = [unit("Der Bau des Werks in Schwarze Pumpe beginnt im März 2025.", 1, 0.93),
                unit("Die Anlage soll im zweiten Halbjahr 2027 in Betrieb gehen.", 2, 0.92)]
    question = analyse("Wann beginnt der Bau des Werks in Schwarze Pumpe?", "de")
    draft = "Die Anlage soll im zweiten Halbjahr 2027 in Betrieb gehen [2]."
    check, quote = settle_draft(verifier, QUOTER, QuoteSettings(on_refusal=True), draft, evidence, question, "de",
                                "Keine Angaben.", False)
    assert not check.kept and check.rejected[0].off_question and check.rejected[0].nearest_sentence is None
    assert quote is not None and quote.n == 1 and "März 2025" in quote.text


def test_the_llms_refusal_of_a_question_in_another_language_than_the_evidence_is_checked_for_a_quote() -> None:
    """The small model often refuses an English question whose answer stands in a German sentence; a German
    question it refuses over German evidence stays refused (there its refusals are mostly right)."""
    verifier = Verifier(HashEmbedding(), min_similarity=0.0)
    evidence = [unit("Der erste Zug soll mit dem Fahrplanwechsel im Dezember 2028 fahren.", 1, 0.93)]
    english = analyse("When will the first train run again?", "en")
    refusal = "The sources do not contain information on this."
    default = QuoteSettings()
    _, quote = settle_draft(verifier, QUOTER, default, refusal, evidence, english, "en", refusal, False)
    assert quote is not None and quote.n == 1 and "Dezember 2028" in quote.text and "German source" in quote.text
    assert quote.reason.startswith("the LLM found no answer")
    german = analyse("Wann fährt der erste Zug wieder?", "de")
    keine = "Dazu enthalten die Quellen keine Informationen."
    assert settle_draft(verifier, QUOTER, default, keine, evidence, german, "de", keine, False)[1] is None
    off = QuoteSettings(on_refusal_across_languages=False)
    assert settle_draft(verifier, QUOTER, off, refusal, evidence, english, "en", refusal, False)[1] is None


def test_a_sentence_the_verifier_dropped_as_off_question_is_not_quoted_as_the_best_scored_either() -> None:
    """The draft took the transfer fee of another player for the coach's severance: dropped as a sentence that
    lacks what the question is about. The quote must not bring that sentence back through the ranking."""
    verifier = Verifier(HashEmbedding(), min_similarity=0.0, locality_margin=1.0, coverage_margin=0.3)
    evidence = [unit("Der VfB Hanseatia Lübeck hat sich nach viereinhalb Monaten von Cheftrainer Markus Thielen "
                     "getrennt.", 1, 0.93),
                unit("Hechtfischer kommt für eine Ablöse von 250.000 Euro vom Regionalligisten Heidekreis.", 2, 0.92)]
    question = analyse("Wie viel Abfindung zahlte der VfB Hanseatia Lübeck an Markus Thielen?", "de")
    draft = "Hechtfischer kommt für eine Ablöse von 250.000 Euro [2]."
    check, quote = settle_draft(verifier, QUOTER, QuoteSettings(), draft, evidence, question, "de", "Keine.", False)
    assert check.rejected[0].off_question and check.rejected[0].source_sentence == evidence[1].text
    assert quote is None
    # the same sentence is quoted when no draft was dropped for coming from it
    assert QUOTER.quote(question, evidence, "de") is not None


def test_after_the_llms_refusal_a_question_for_a_plain_fact_gets_no_quote() -> None:
    """For a fact or yes/no question any sentence with a word beyond the question's would pass the item check:
    the model's refusal stands. A question for a typed item (a date) is still checked for a quote."""
    verifier = Verifier(HashEmbedding(), min_similarity=0.0)
    evidence = [unit("Das zentrale Angebot ist die nächste Frontier-Plattform für den Pickup im Dezember 2028.", 1,
                     0.93)]
    refusal = "The sources do not contain information on this."
    for question in ("What drivetrain is planned for the next Frontier platform?",
                     "Is the next Frontier platform offered to partners?"):
        info = analyse(question, "en")
        assert info.kind in ("fact", "yesno")
        _, quote = settle_draft(verifier, QUOTER, QuoteSettings(), refusal, evidence, info, "en", refusal, False)
        assert quote is None
    dated = analyse("When will the next Frontier platform be offered?", "en")
    _, quote = settle_draft(verifier, QUOTER, QuoteSettings(), refusal, evidence, dated, "en", refusal, False)
    assert quote is not None and "Dezember 2028" in quote.text


SPREAD = [
    unit("Nach dem Endergebnis kamen die Sozialdemokraten am Sonntag auf 33,8 Prozent der Stimmen.", 1, 0.93),
    unit("Die Linke erreichte 12,4 Prozent, die Grünen kamen auf 6,9 Prozent der Stimmen.", 2, 0.91),
    unit("Die Sozialdemokraten erreichten am Sonntag 33,8 Prozent, sagte der Landeswahlleiter.", 3, 0.90),
    unit("Die Wahlbeteiligung lag bei 61 Prozent.", 4, 0.70),
]
PARTIES = analyse("Welche Parteien bilden die Koalition, und wie viel Prozent der Stimmen bekamen sie jeweils?", "de")


def test_a_question_about_several_things_quotes_the_sentences_of_other_sources_that_add_items() -> None:
    """The shares of three parties stand in two sources: both are quoted, each cited. A source that only repeats
    what is quoted ([3]) and one below the relevance floor ([4]) are not."""
    assert PARTIES.several
    several = Quoter(min_relevance=0.85, min_relevance_cross=0.8, min_coverage=0.0, parts_several=3)
    quote = several.quote(PARTIES, SPREAD, "de", cited=[1])
    assert quote is not None and [p.n for p in quote.parts] == [1, 2]
    assert quote.text == ("Laut den Quellen: „Nach dem Endergebnis kamen die Sozialdemokraten am Sonntag auf 33,8 "
                          "Prozent der Stimmen.“ [1] „Die Linke erreichte 12,4 Prozent, die Grünen kamen auf 6,9 "
                          "Prozent der Stimmen.“ [2]")
    assert "also sources [2]" in quote.reason
    # one sentence as before: a question about one thing, or one part allowed
    one = analyse("Wie viel Prozent bekamen die Sozialdemokraten?", "de")
    assert [p.n for p in several.quote(one, SPREAD, "de", cited=[1]).parts] == [1]  # type: ignore[union-attr]
    assert [p.n for p in QUOTER.quote(PARTIES, SPREAD, "de", cited=[1]).parts] == [1]  # type: ignore[union-attr]


def test_a_quote_of_several_sources_cites_each_quoted_span() -> None:
    """The answer's citations are the quoted spans, one per source, in the order they are quoted."""
    verifier = Verifier(HashEmbedding(), min_similarity=0.0)
    several = Quoter(min_relevance=0.85, min_relevance_cross=0.8, min_coverage=0.0, parts_several=3)
    draft = "Die Koalition bilden die Sozialdemokraten mit 40 Prozent [1]."  # 40 is in no source: rejected
    check, quote = settle_draft(verifier, several, QuoteSettings(), draft, SPREAD, PARTIES, "de", "Keine.", False)
    assert not check.kept and quote is not None
    citations = [Citation.from_passage(n, p) for n, p in enumerate(SPREAD, 1)]
    trace = AnswerTrace(question_kind=PARTIES.kind, mode="generated")
    answer = settled_answer(check, quote, citations, trace, lang="de", refusal="Keine.", timings={}, rewritten=None,
                            applied=[])
    assert [c.n for c in answer.citations] == [1, 2] and trace.mode == "quoted"
    assert [c.text for c in answer.citations] == [SPREAD[0].text, SPREAD[1].text]


def test_a_sentence_that_announces_reasons_is_quoted_with_the_reasons() -> None:
    """The LLM refused an English question over German evidence; the unit announces two reasons and gives them:
    the quote holds all three sentences, not the announcement alone."""
    verifier = Verifier(HashEmbedding(), min_similarity=0.0)
    text = ("Für die Mehrkosten des Museums gibt es zwei Gründe. Beim Hochwasser im Juni lief die Baugrube voll. "
            "Im Herbst meldete die Stahlbaufirma Insolvenz an.")
    evidence = [unit(text, 1, 0.93)]
    question = analyse("What caused the cost overrun of the museum?", "en")
    refusal = "The sources do not contain information on this."
    _, quote = settle_draft(verifier, QUOTER, QuoteSettings(), refusal, evidence, question, "en", refusal, False)
    assert quote is not None and (quote.start, quote.end) == (0, len(text))
    assert "Hochwasser" in quote.text and "Insolvenz" in quote.text


def test_who_said_it_is_no_item_the_draft_leaves_out() -> None:
    """The draft names both technologies of its source sentence and leaves out only who said it ("sagten die
    Personen"): it stays the answer, not replaced by a quote of the sentence; the same attribution cut off a copied
    sentence is no clause left out either."""
    verifier = Verifier(HashEmbedding(), min_similarity=0.0)
    text = ("Zu den Technologien, die Nissan schützen möchte, gehören Festkörper-Batterien und der Hybridantrieb "
            "e-Power, sagten die Personen.")
    evidence = [unit(text, 1, 0.93)]
    which = analyse("Welche Technologien will Nissan schützen?", "de")
    draft = "Nissan will Festkörper-Batterien und den Hybridantrieb e-Power schützen [1]."
    check, quote = settle_draft(verifier, QUOTER, QuoteSettings(), draft, evidence, which, "de", "Keine.", False)
    assert check.kept and quote is None
    copied = ("Zu den Technologien, die Nissan schützen möchte, gehören Festkörper-Batterien und der Hybridantrieb "
              "e-Power [1].")
    check, quote = settle_draft(verifier, QUOTER, QuoteSettings(), copied, evidence, which, "de", "Keine.", False)
    assert check.kept and quote is None
    # a question about who said it: the speaker is what the draft must not leave out
    who = analyse("Wer sagte, welche Technologien Nissan schützen möchte?", "de")
    check, quote = settle_draft(verifier, QUOTER, QuoteSettings(), copied, evidence, who, "de", "Keine.", False)
    assert quote is not None and "sagten die Personen" in quote.text
