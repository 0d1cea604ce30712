"""The quality gate compares a summary with minimums: failures, skipped sections, unmeasured metrics."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.errors import ConfigError
from eval.quality_gate import check, load_thresholds

SUMMARY = {
    "retrieval": {"hybrid": {"overall": {"hit@1": 0.9, "recall@5": 0.8}, "de": {"recall@5": 0.85}}},
    "answers": None,
}


@pytest.mark.parametrize(
    ("thresholds", "failures", "skipped"),
    [
        ({"retrieval": {"hybrid": {"overall": {"hit@1": 0.85, "recall@5": 0.8}}}}, [], []),
        (
            {"retrieval": {"hybrid": {"overall": {"recall@5": 0.81}}}},
            ["retrieval.hybrid.overall.recall@5 = 0.800 is below the minimum 0.81"],
            [],
        ),
        # a mode that was not run, and the answers of a --no-llm run: skipped, not failed
        (
            {
                "retrieval": {"dense": {"overall": {"hit@1": 0.5}}},
                "answers": {"overall": {"faithfulness": 0.5}},
            },
            [],
            ["retrieval.dense", "answers"],
        ),
        # an evaluated section without the metric or language: fails
        (
            {"retrieval": {"hybrid": {"overall": {"mrr": 0.5}, "en": {"recall@5": 0.5}}}},
            [
                "retrieval.hybrid.overall.mrr: not measured in this run (minimum 0.5)",
                "retrieval.hybrid.en: not measured in this run",
            ],
            [],
        ),
        (
            {"_comment": "ignored", "retrieval": {"_note": "x", "hybrid": {"de": {"recall@5": 0.9}}}},
            ["retrieval.hybrid.de.recall@5 = 0.850 is below the minimum 0.9"],
            [],
        ),
    ],
)
def test_check(thresholds: dict, failures: list[str], skipped: list[str]) -> None:
    got = check(SUMMARY, thresholds)
    assert got.failures == failures
    assert got.skipped == skipped
    assert got.passed == (not failures)


def test_unmeasured_value_fails() -> None:
    summary = {"answers": {"overall": {"refusal_precision": None}}}
    assert check(summary, {"answers": {"overall": {"refusal_precision": 0.5}}}).failures


def test_bad_threshold_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="must be a number"):
        check(SUMMARY, {"retrieval": {"hybrid": {"overall": {"hit@1": "high"}}}})


def test_load_thresholds_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_thresholds(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_thresholds(bad)
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps({"retrieval": {}}), encoding="utf-8")
    assert load_thresholds(ok) == {"retrieval": {}}
