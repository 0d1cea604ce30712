"""Feedback records: the JSONL line format, safe appends, and drafts of eval gold questions."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

from assistant.models import Answer, Citation, Turn
from eval.check_gold import REQUIRED_FIELDS
from eval.feedback_to_gold import convert
from ui.feedback import FeedbackLog, feedback_record

CITATION = Citation(n=2, doc_id="d1", source="000_cf3a5fd77fe47193.txt", title="Nissan", outlet="Reuters",
                    date=None, chunk_id="d1-0010", text="Er floh Ende 2019 in den Libanon.", start=10, end=43,
                    score=0.8)
ANSWER = Answer(answer="Er floh Ende 2019 in den Libanon [2].", language="de", answerable=True,
                citations=[CITATION], unsupported=["x"], timings={"total_ms": 1.0}, raw_answer="raw")
HISTORY = [Turn(role="user", content="Wann wurde Ghosn verhaftet?"),
           Turn(role="assistant", content="2018 [1].")]


def test_a_record_has_exactly_the_documented_fields() -> None:
    rec = feedback_record("Und wohin floh er?", HISTORY, ANSWER, "up", " gut ", ts=0)
    assert rec == {
        "ts": "1970-01-01T00:00:00Z", "question": "Und wohin floh er?", "language": "de",
        "history": [{"role": "user", "content": "Wann wurde Ghosn verhaftet?"},
                    {"role": "assistant", "content": "2018 [1]."}],
        "answer": "Er floh Ende 2019 in den Libanon [2].", "answerable": True,
        "citations": [CITATION.model_dump()], "rating": "up", "comment": "gut",
    }


@pytest.mark.parametrize("rating", ["Like", "", "UP", "neutral"])
def test_only_up_and_down_are_ratings(rating: str) -> None:
    with pytest.raises(ValueError, match="rating"):
        feedback_record("q", [], ANSWER, rating)


def test_an_overlong_comment_is_refused() -> None:
    with pytest.raises(ValueError, match="at most 2000"):
        feedback_record("q", [], ANSWER, "down", "x" * 2001)


def test_the_log_creates_its_folder_and_appends_lines(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "deep" / "er" / "feedback.jsonl")
    log.append(feedback_record("Frage eins?", [], ANSWER, "up"))
    log.append(feedback_record("Frage zwei – mit Umlauten: äöü?", HISTORY, ANSWER, "down", "falsch"))
    lines = log.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert "äöü" in lines[1]
    assert [r["question"] for r in log] == ["Frage eins?", "Frage zwei – mit Umlauten: äöü?"]


def test_concurrent_appends_never_interleave(tmp_path: Path) -> None:
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    long_answer = ANSWER.model_copy(update={"answer": "lang " * 5000})  # lines larger than a write buffer

    def writer(i: int) -> None:
        for j in range(20):
            log.append(feedback_record(f"q{i}-{j}", [], long_answer, "up"))

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    records = [json.loads(line) for line in log.path.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 160
    assert {r["question"] for r in records} == {f"q{i}-{j}" for i in range(8) for j in range(20)}


def test_eval_turns_ui_feedback_into_gold_question_drafts(tmp_path: Path) -> None:
    """The contract with eval/feedback_to_gold.py: what the UI writes is what eval reads."""
    log = FeedbackLog(tmp_path / "feedback.jsonl")
    log.append(feedback_record("Und wohin floh er?", HISTORY, ANSWER, "up", ts=0))
    refusal = Answer(answer="Dazu enthalten die Quellen keine Informationen.", language="de",
                     answerable=False, citations=[])
    log.append(feedback_record("Wie viel kostet ein Rogue?", [], refusal, "down", "steht doch drin"))
    followup, unanswerable = convert(log.path.read_text(encoding="utf-8").splitlines())
    for name, (kind, _) in REQUIRED_FIELDS.items():
        assert isinstance(followup[name], kind), name
    assert followup["type"] == "followup"
    assert followup["history"] == [t.model_dump() for t in HISTORY]
    assert followup["expected_sources"] == ["000_cf3a5fd77fe47193.txt"]
    assert followup["supporting_passages"] == ["Er floh Ende 2019 in den Libanon."]
    assert ["2019"] in followup["key_facts"]
    assert unanswerable["type"] == "unanswerable"
    assert unanswerable["needs_review"] is True
    assert "steht doch drin" in unanswerable["notes"]
