"""The quoted answer: which evidence sentence stands in for a draft that failed verification."""

from assistant.models import Passage
from assistant.questions import analyse
from assistant.quote import Quoter


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


def test_without_the_drafts_sentence_the_best_scored_source_is_quoted() -> None:
    quote = QUOTER.quote(QUESTION, EVIDENCE, "de", cited=[2])
    assert quote is not None and quote.n == 1  # [2] scores more than 0.05 below the best: not "pointed at"


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


def test_a_draft_written_from_a_sentence_off_the_question_is_not_quoted_from_that_sentence() -> None:
    """The verifier drops "… in München [2]" because [2] is about something else; the quote then comes from the
    source about the question ([1], Paris), not from the sentence the draft was written from."""
    from assistant.settle import settle_draft
    from assistant.verify import Verifier
    from tests.fakes import HashEmbedding

    evidence = [unit("BMW-Chef Norbert Reithofer hatte auf dem Autosalon in Paris gesagt, dass die Bayern mit "
                     "mehreren Herstellern über Motorenlieferungen verhandelten.", 1, 0.9),
                unit("«Wir sind in Zukunft führend», sagte BMW-Chef Norbert Reithofer am Freitag in München.", 2, 0.9)]
    question = analyse("Wo sprach BMW-Chef Reithofer über Motorenlieferungen an andere Hersteller?", "de")
    verifier = Verifier(HashEmbedding(), min_similarity=0.0, locality_margin=1.0, coverage_margin=1.0)
    draft = "BMW-Chef Norbert Reithofer sprach am Freitag über Motorenlieferungen an andere Hersteller in München [2]."
    check, quote = settle_draft(verifier, QUOTER, False, draft, evidence, question, "de", "x", cut_off=False)
    assert not check.kept and check.rejected[0].off_question
    assert quote is not None and quote.n == 1 and "Paris" in quote.text


def test_a_german_sentence_that_shares_only_the_names_is_no_quote_for_an_english_question() -> None:
    """Across languages the quote must hold one of the question's words beyond its names: a transfer fee paid
    by Hanseatia answers no question about the severance Hanseatia paid Thielen; the sentence on the squad's
    budget answers the question on the budget."""
    evidence = [unit("Hechtfischer kommt für eine Ablöse von 250.000 Euro - die höchste Summe, die Hanseatia je für "
                     "einen Spieler bezahlt hat.", 1, 0.9),
                unit("Der Etat für den Profikader von Hanseatia liegt bei 4,3 Millionen Euro.", 2, 0.9)]
    severance = analyse("How much severance did Hanseatia pay Markus Thielen?", "en")
    assert QUOTER.quote(severance, evidence, "en", cited=[1]) is None
    budget = analyse("How big is the budget for Hanseatia's professional squad?", "en")
    quote = QUOTER.quote(budget, evidence, "en", cited=[1])
    assert quote is not None and quote.n == 2 and "4,3 Millionen" in quote.text
    # within one language the question's words are weighed by Quoter._about, as before
    fee = analyse("Wie viel zahlte Hanseatia für Hechtfischer?", "de")
    assert QUOTER.quote(fee, evidence, "de", cited=[1]) is not None
