"""UI feedback lines become draft gold questions that the gold check accepts (or holds back for review)."""

from __future__ import annotations

import json
from pathlib import Path

from eval.check_gold import validate
from eval.feedback_to_gold import convert, key_facts, main
from tests.eval.conftest import CORPUS

CHUNK = (
    "Die Enthüllungen kommen zu einem Zeitpunkt, an dem sich der Aufsichtsrat der Allianz in dieser Woche "
    "getroffen hat, um eine Neugewichtung zu diskutieren, bei der Renault seinen Anteil an Nissan von "
    "43% auf 15% senken wird - was der Höhe des Anteils von Nissan an Renault entspricht - und Nissan im "
    "Gegenzug Stimmrechte erhält.\n\nIm Rahmen der Vereinbarung, die bis Mitte des Jahres abgeschlossen "
    "werden soll, wird Nissan auch in das neue EV-Geschäft Ampere des französischen "
    "Automobilherstellers investieren."
)
CITATION = {
    "n": 1,
    "doc_id": "d",
    "source": "000_cf3a5fd77fe47193.txt",
    "title": "t",
    "outlet": "Reuters",
    "date": None,
    "chunk_id": "d-0002",
    "text": CHUNK,
    "start": 999,
    "end": 1608,
    "score": 0.9,
}


def record(rating: str, **kw: object) -> dict:
    base = {
        "ts": "2024-05-01T12:00:00Z",
        "question": "Auf wie viel Prozent senkt Renault seinen Anteil an Nissan?",
        "language": "de",
        "history": [],
        "answer": "Renault senkt seinen Anteil an Nissan von 43% auf 15% [1].",
        "answerable": True,
        "citations": [CITATION],
        "rating": rating,
        "comment": "",
    }
    return base | kw


def write(tmp_path: Path, *records: dict) -> Path:
    path = tmp_path / "feedback.jsonl"
    path.write_text(
        "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records) + "not json\n\n", encoding="utf-8"
    )
    return path


def test_thumbs_up_becomes_a_valid_answerable_question(tmp_path: Path) -> None:
    [draft] = convert(write(tmp_path, record("up")).read_text(encoding="utf-8").splitlines(), CORPUS)
    assert draft["answerable"]
    assert draft["type"] == "fact"
    assert draft["expected_sources"] == ["000_cf3a5fd77fe47193.txt"]
    assert "43% auf 15%" in draft["supporting_passages"][0]
    assert ["43"] in draft["key_facts"]
    assert ["15"] in draft["key_facts"]
    drafts = tmp_path / "drafts.jsonl"
    drafts.write_text(json.dumps(draft, ensure_ascii=False) + "\n", encoding="utf-8")
    assert validate(drafts, CORPUS) == []


def test_thumbs_up_on_a_refusal_is_unanswerable_and_thumbs_down_needs_review(tmp_path: Path) -> None:
    refusal = record(
        "up", answerable=False, citations=[], answer="Dazu enthalten die Quellen keine Informationen."
    )
    wrong = record(
        "down",
        comment="falsche Zahl",
        history=[{"role": "user", "content": "Wer?"}, {"role": "assistant", "content": "Renault."}],
    )
    path = write(tmp_path, refusal, wrong)
    up, down = convert(path.read_text(encoding="utf-8").splitlines(), CORPUS)
    assert (up["answerable"], up["type"], up["expected_sources"]) == (False, "unanswerable", [])
    assert down["needs_review"] is True
    assert "falsche Zahl" in down["notes"]
    assert down["type"] == "followup"
    out = tmp_path / "drafts.jsonl"
    assert main([str(path), "--corpus", str(CORPUS), "--out", str(out)]) == 0
    problems = validate(out, CORPUS)
    assert len(problems) == 1
    assert "needs review" in problems[0]


def test_key_facts_are_numbers_and_names_shared_with_the_sources() -> None:
    got = key_facts(
        "Nissan investiert in Ampere, das EV-Geschäft von Renault, und zahlt 600 Millionen [1].", [CHUNK]
    )
    assert ["Ampere"] in got
    assert ["Renault"] in got
    assert ["600"] not in got  # not in the cited passage: not a fact to test for
