"""Sibling compounds: an answer from a sentence about "Privatkunden" does not answer a question about
"Firmenkunden", in the verifier and in the quote."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.compounds import sibling_compounds
from assistant.dictionary import Dictionary
from assistant.models import Passage
from assistant.questions import analyse
from assistant.quote import Quoter
from assistant.settings_answers import QuoteSettings
from assistant.settle import settle_draft
from assistant.verify import Verifier
from tests.fakes import HashEmbedding

DING = """Kunde {m}; Kundin {f} :: customer; client
Firma {f} | Firmen {pl} :: company; firm | companies; firms
Minister {m}; Ministerin {f} :: minister
Krankenhaus {n} :: hospital
Klinik {f} :: hospital; clinic
Standort {m} :: location; site
Spiel {n} :: game; match
Kraft {f} :: force; power
Regierung {f} :: government
privat {adj} :: private
Bildung {f} :: education
sozial {adj} :: social
Heim {n} :: home
auswärts {adv} :: away
halb {adj} :: half
Marathon {m} :: marathon
"""


@pytest.fixture
def words(tmp_path: Path) -> Dictionary:
    source = tmp_path / "de-en"
    source.write_text(DING, encoding="utf-8")
    return Dictionary(source)


@pytest.mark.parametrize(("question", "sentence", "found"), [
    ("Wie viele Firmenkunden müssen zahlen?", "Betroffen sind rund 1400 der 96.000 Privatkunden.",
     [("Firmenkunden", "Privatkunden")]),
    ("Wer wird Bildungsminister?", "Heike Brück wird Sozialministerin, Markus Tholey Umweltminister.",
     [("Bildungsminister", "Sozialministerin")]),
    ("Wer traf im Heimspiel?", "Im Auswärtsspiel traf Kranich zweimal.", [("Heimspiel", "Auswärtsspiel")]),
    # the sentence names the asked kind as well, in a word of its own or cut short before "und"
    ("Wie viele Firmenkunden müssen zahlen?", "Für Firmen- und Privatkunden gilt ein Freibetrag.", []),
    ("Wie viele Firmenkunden müssen zahlen?", "Von den Firmenkunden und Privatkunden zahlen 1400.", []),
    # one kind in other words: both modifiers translate "hospital"
    ("Was wird aus den Krankenhausstandorten?", "Die Klinikstandorte bleiben erhalten.", []),
    # a broader word is no sibling ("Führungskräfte" of "Nissan-Führungskräfte")
    ("Was wollen die Nissan-Führungskräfte?", "Einige Führungskräfte sagten, sie wollten null Prozent.", []),
    # a modifier that is no word makes a name, not a kind: "Kesselberg-Marathon" is one race, not a sibling of
    # the half marathon
    ("Wie viele Starter liefen beim Kesselberg-Marathon?", "Beim Halbmarathon liefen 900 Starter.", []),
    ("Wie viele Starter liefen beim Halbmarathon?", "Beim Vollmarathon liefen 900 Starter.", []),
    # a shared ending that is no word is no head
    ("Wer übernimmt die Finanzierung?", "Die Landesregierung übernimmt die Kosten.", []),
])
def test_a_sentence_about_a_sibling_kind_is_found(words: Dictionary, question: str, sentence: str,
                                                  found: list[tuple[str, str]]) -> None:
    assert sibling_compounds(question, sentence, words.is_german_word, words.synonyms) == found


def test_without_a_dictionary_nothing_is_found() -> None:
    empty = Dictionary(None)
    assert sibling_compounds("Wie viele Firmenkunden müssen zahlen?", "Betroffen sind 1400 Privatkunden.",
                             empty.is_german_word, empty.synonyms) == []


def unit(text: str, n: int, score: float) -> Passage:
    return Passage(doc_id="d1", source="s1.txt", title="Sparkasse", chunk_id=f"d1-{n:04d}", text=text, start=0,
                   end=len(text), score=score, language="de")


EVIDENCE = [unit("Für Firmenkunden gilt seit Oktober 2019 ein Freibetrag von 250.000 Euro.", 1, 0.97),
            unit("Betroffen sind nach Angaben der Sparkasse rund 1400 der etwa 96.000 Privatkunden.", 2, 0.96)]
DRAFT = "Betroffen sind rund 1400 der etwa 96.000 Privatkunden [2]."
KEINE = "Dazu enthalten die Quellen keine Informationen."


def test_a_count_of_private_customers_does_not_answer_how_many_business_customers_pay(words: Dictionary) -> None:
    quoter = Quoter(min_relevance=0.85, min_relevance_cross=0.8, min_coverage=0.0, dictionary=words)
    verifier = Verifier(HashEmbedding(), min_similarity=0.0, locality_margin=1.0, coverage_margin=1.0,
                        dictionary=words)
    business = analyse("Wie viele Firmenkunden der Sparkasse müssen das Entgelt zahlen?", "de")
    check, quote = settle_draft(verifier, quoter, QuoteSettings(), DRAFT, EVIDENCE, business, "de", KEINE, False)
    assert not check.kept and "'Privatkunden', not 'Firmenkunden'" in (check.rejected[0].reason or "")
    assert quote is None  # the first sentence names business customers, but no count of them
    # the same draft answers the question about private customers; without the dictionary nothing is checked
    private = analyse("Wie viele Privatkunden der Sparkasse müssen das Entgelt zahlen?", "de")
    assert settle_draft(verifier, quoter, QuoteSettings(), DRAFT, EVIDENCE, private, "de", KEINE, False)[0].kept
    blind = Verifier(HashEmbedding(), min_similarity=0.0, locality_margin=1.0, coverage_margin=1.0)
    assert settle_draft(blind, quoter, QuoteSettings(), DRAFT, EVIDENCE, business, "de", KEINE, False)[0].kept
