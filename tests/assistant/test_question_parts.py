"""Two questions in one ("Was kostet X, und wer zahlt?"): each part finds its evidence sentence, and an answer
sentence that answers the second part is about the question too."""

from __future__ import annotations

from dataclasses import replace

import pytest

from assistant.evidence import EvidencePicker
from assistant.models import Passage
from assistant.questions import analyse, question_parts
from assistant.verify import Verifier
from tests.assistant.test_verify import REFUSAL_DE, passage, reasons
from tests.fakes import HashEmbedding


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("Was kostet die Strecke, und welchen Anteil übernimmt der Bund?",
         ["Was kostet die Strecke", "welchen Anteil übernimmt der Bund"]),
        ("How much did he cost, and how many goals had he scored?",
         ["How much did he cost", "how many goals had he scored"]),
        ("Wer ist Thielen und wie alt ist er?", ["Wer ist Thielen", "wie alt ist er"]),
        # a part that is only a wh-word asks about what its neighbour asks about
        ("When and where was he arrested?", ["When was he arrested", "where was he arrested"]),
        ("Wann beginnt der Bau und warum?", ["Wann beginnt der Bau", "warum beginnt der Bau"]),
        # one question: "und" joins names, not questions
        ("Welche Rolle spielen Ford und Xiaomi?", ["Welche Rolle spielen Ford und Xiaomi?"]),
        ("What did BMW and Toyota agree on?", ["What did BMW and Toyota agree on?"]),
    ],
)
def test_a_question_is_cut_where_a_second_question_starts(question: str, parts: list[str]) -> None:
    assert question_parts(question) == parts


def test_each_part_is_analysed_and_a_single_question_has_no_parts() -> None:
    info = analyse("Wann soll das Werk in Betrieb gehen, und mit wie viel Geld helfen Bund und Land?", "de")
    assert [p.kind for p in info.parts] == ["date", "number"]
    assert info.kind == "date"  # the earliest wh-phrase decides the whole question's kind, as before
    assert analyse("Wann soll das Werk in Betrieb gehen?", "de").parts == ()
    assert analyse("Wie und wann?", "de").parts == ()  # no content words tell the parts apart


KESSLER = ("Kessler Haustechnik schickt 1100 Beschäftigte in Kurzarbeit. "
           "Wie viele Beschäftigte Kessler Haustechnik in Kurzarbeit schickt, sagte Kessler Haustechnik am Mittwoch. "
           "Kessler Haustechnik schickt die Beschäftigten seit Mittwoch in Kurzarbeit. "
           "Das Werk in Kassel leitet seit 2019 Anna Berg.")
TWO = "Wie viele Beschäftigte schickt Kessler Haustechnik in Kurzarbeit, und wer leitet das Werk?"


def _passages() -> list[Passage]:
    return [Passage(doc_id="k", source="k.md", title="Kessler", chunk_id="k-0000", text=KESSLER, start=0,
                    end=len(KESSLER), score=0.9, language="de")]


def test_the_sentence_answering_the_second_part_becomes_evidence() -> None:
    picker = EvidencePicker(HashEmbedding(), margin=1.0, max_units=2, max_units_several=2)
    info = analyse(TWO, "de")
    assert len(info.parts) == 2

    def texts(i) -> list[str]:
        return [u.text for u in picker.pick(i, _passages(), lambda _: KESSLER)]

    whole_only = texts(replace(info, parts=()))
    assert not any("Anna Berg" in t for t in whole_only)  # scored against the whole question it ranks low
    with_parts = texts(info)
    assert len(with_parts) == 2 and with_parts[0] == whole_only[0] and "Anna Berg" in with_parts[1]
    one = EvidencePicker(HashEmbedding(), margin=1.0, max_units=1, max_units_several=1).pick(info, _passages(),
                                                                                             lambda _: KESSLER)
    assert [u.text for u in one] == whole_only[:1]  # the limit holds: a part's sentence takes no extra place


def test_an_answer_to_the_second_part_is_an_answer(lenient: Verifier) -> None:
    sources = [passage("Die Anlage soll im zweiten Halbjahr 2027 in Betrieb gehen.", 1),
               passage("Bund und Land fördern das Werk mit 96 Millionen Euro.", 2)]
    answer = "Das Werk soll 2027 in Betrieb gehen [1]. Bund und Land helfen mit 96 Millionen Euro [2]."
    info = analyse("Wann soll das Werk in Betrieb gehen, und mit wie viel Geld helfen Bund und Land?", "de")
    assert len(lenient.verify(answer, sources, REFUSAL_DE, "de", info).kept) == 2
    # asked as one question, the sentence about the money states no date: dropped
    one = lenient.verify(answer, sources, REFUSAL_DE, "de", replace(info, parts=()))
    assert len(one.kept) == 1 and "no date" in reasons(one)[0]
    # neither part is answered by a sentence about something else
    other = lenient.verify("Das Werk hat 420 Arbeitsplätze [2].", sources, REFUSAL_DE, "de", info)
    assert not other.kept


def test_a_number_in_a_name_the_sources_use_is_no_figure(lenient: Verifier) -> None:
    sources = [passage("Die Mission kostet insgesamt 14,6 Millionen Euro.", 1, title="«Brandwacht-1»: erste Bilanz")]
    info = analyse("What does the Brandwacht-1 mission cost?", "en")
    kept = lenient.verify("The Brandwacht-1 mission costs 14.6 million euros [1].", sources, REFUSAL_DE, "en", info)
    assert kept.kept, reasons(kept)
    made_up = lenient.verify("The Brandwacht-2 mission costs 14.6 million euros [1].", sources, REFUSAL_DE, "en",
                             analyse("What does the mission cost?", "en"))
    assert not made_up.kept
