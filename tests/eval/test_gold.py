"""The bundled gold set is valid, and the validator catches what it promises to catch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.check_gold import validate
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
