"""The bundled gold set is valid, and the validator catches what it promises to catch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.check_gold import main, validate
from eval.gold import Question
from tests.eval.conftest import CORPORA, CORPUS, GOLD

GOOD = {
    "id": "x-1",
    "question": "Wie heißt das EV-Geschäft?",
    "language": "de",
    "history": [],
    "answerable": True,
    "type": "fact",
    "expected_sources": ["000_cf3a5fd77fe47193.txt"],
    "supporting_passages": [
        "wird Nissan auch in das neue EV-Geschäft Ampere des französischen Automobilherstellers investieren"
    ],
    "key_facts": [["Ampere"]],
}


def test_the_bundled_gold_set_is_valid() -> None:
    assert validate(GOLD, CORPORA) == []


def test_the_bundled_gold_set_has_what_the_issue_asks_for() -> None:
    rows = [json.loads(x) for x in GOLD.read_text(encoding="utf-8").splitlines() if x.strip()]
    languages = [r["language"] for r in rows]
    assert len(rows) >= 250
    assert {r["split"] for r in rows} == {"dev", "test"}
    for split in ("dev", "test"):  # both splits cover every type in both languages
        part = [r for r in rows if r["split"] == split]
        assert {(r["type"], r["language"]) for r in part} == {(r["type"], r["language"]) for r in rows}
    assert abs(languages.count("de") - languages.count("en")) <= len(rows) * 0.1
    assert sum(not r["answerable"] for r in rows) >= 10
    assert sum(r["type"] == "followup" for r in rows) >= 5
    assert sum(r["type"] == "multi" for r in rows) >= 2


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({}, None),
        (
            {
                "supporting_passages": [
                    "wird Nissan auch in das neue EV-Geschäft  Ampere des französischen "
                    "Automobilherstellers investieren"
                ]
            },
            "only matches after normalising",
        ),
        ({"expected_sources": ["nope.txt"]}, "source file not found"),
        ({"answerable": False}, "'answerable' is false but 'type' is 'fact'"),
        ({"key_facts": []}, "needs at least one entry in 'key_facts'"),
        ({"history": [{"role": "user", "content": "Hallo"}]}, "'history' must be empty"),
        ({"needs_review": True}, "still needs review"),
        ({"answerable": "yes"}, "field 'answerable' must be a boolean, got str"),
        ({"language": "fr"}, "'language' must be 'de' or 'en', got 'fr'"),
        ({"type": "followup"}, "a 'followup' question needs a non-empty 'history'"),
        ({"type": "followup", "history": ["Hallo"]}, "history[0] must be an object with exactly 'role' and 'content'"),
        ({"type": "multi"}, "a 'multi' question needs at least two different expected_sources"),
        ({"supporting_passages": ["zu kurz"]}, "supporting_passages[0] is 7 characters long; it must be 30-250"),
        ({"supporting_passages": ["Dieser Satz steht in keinem der Artikel, sicher nicht."]}, "not found in any"),
        ({"key_facts": [[" Ampere"]]}, "key_facts[0][0] must be a non-empty string without surrounding whitespace"),
        ({"key_facts": [[]]}, "key_facts[0] must be a non-empty list of alternative strings"),
    ],
)
def test_validate_reports_problems(tmp_path: Path, change: dict, problem: str | None) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text(json.dumps(GOOD | change, ensure_ascii=False) + "\n", encoding="utf-8")
    problems = validate(path, CORPUS)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems
        assert all(p.startswith("q.jsonl:1 [x-1]: ") for p in problems)  # each names the line and the id


def test_the_command_line_exits_1_and_lists_the_problems(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "q.jsonl"
    rows = [GOOD, GOOD | {"extra": 1}, GOOD | {"id": "x-2", "language": "fr"}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert main(["--questions", str(path), "--corpus", str(CORPUS)]) == 1
    out, err = capsys.readouterr()
    assert "warning: q.jsonl:2 [x-1]: unknown field(s) ignored: extra" in out
    assert "2 problem(s)" in err
    assert "q.jsonl:2 [x-1]: duplicate id 'x-1' (first used on line 1)" in err
    assert "q.jsonl:3 [x-2]: 'language' must be 'de' or 'en', got 'fr'" in err
    path.write_text(json.dumps(GOOD, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["--questions", str(path), "--corpus", str(CORPUS)]) == 0
    assert "OK: 1 questions" in capsys.readouterr().out


def test_a_question_is_the_line_it_was_read_from() -> None:
    q = Question.model_validate(GOOD | {"notes": "n"})
    assert q.model_dump() == GOOD | {"notes": "n", "split": "dev"}  # needs_review is never part of it
