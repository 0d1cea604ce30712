"""eval/dates.jsonl and its scoring: the set's shape (counts read from the file), the parser's accuracy on
both splits (the issue's target: >= 90 %, no filter on any control question), and `assistant eval --dates`."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from pathlib import Path

import pytest

from eval.dates import DATES_FILE, evaluate, load
from eval.run import EXIT_OK, main
from tests.eval.conftest import eval_args

ROWS = load(DATES_FILE)


def test_the_set_has_enough_dated_and_control_questions_in_both_languages_and_splits() -> None:
    dated = [r for r in ROWS if r["category"] != "control"]
    controls = [r for r in ROWS if r["category"] == "control"]
    assert len(dated) >= 60 and len(controls) >= 20
    assert Counter(r["language"] for r in dated).keys() == {"de", "en"}
    assert Counter(r["split"] for r in ROWS).keys() == {"dev", "test"}
    for split in ("dev", "test"):
        assert sum(r["split"] == split and r["category"] == "control" for r in ROWS) >= 10
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    assert len({r["question"] for r in ROWS}) == len(ROWS)
    for r in ROWS:
        date.fromisoformat(r["reference_date"])  # every record fixes what relative words count from
        if r["category"] == "control":
            assert not (r["date_from"] or r["date_to"] or r["newest_first"] or r["event"]), r["id"]


def test_the_parser_meets_the_target_on_both_splits() -> None:
    summary = evaluate()
    for split, s in summary["splits"].items():
        assert s["accuracy"] >= 0.9, (split, s["wrong"])
        assert s["controls_with_a_filter"] == 0, (split, s["wrong"])


def test_a_wrong_record_counts_as_wrong(tmp_path: Path) -> None:
    rows = [dict(r) for r in ROWS if r["split"] == "dev"][:4]
    rows[0] = {**rows[0], "date_from": "1999"}
    rows.append({**next(r for r in ROWS if r["category"] == "control"), "split": "dev"})
    path = tmp_path / "dates.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    dev = evaluate(path)["splits"]["dev"]
    assert (dev["questions"], dev["right"], dev["controls"]) == (4, 3, 1)
    assert [w["id"] for w in dev["wrong"]] == [rows[0]["id"]]


def test_assistant_eval_dates_prints_both_splits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from assistant.settings import Settings

    assert main(eval_args(tmp_path / "run", "--dates"), Settings(index_dir=tmp_path / "index")) == EXIT_OK
    out = capsys.readouterr().out
    assert "dev: " in out and "test: " in out and "controls with a filter: 0/" in out
    assert not (tmp_path / "run").exists()  # no index, no run folder
