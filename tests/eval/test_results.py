"""results.jsonl: typed records that load from earlier runs and are written back with the same keys."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.results import AnswerResult, ResultsFile, RetrievalResult, key

STAMP = {"id": "de-fact-01", "qhash": "0123456789abcdef", "config": "cfg-r", "code": "abc1234"}
HIT = {"source": "000.txt", "start": 0, "end": 120, "score": 0.8123, "dense_score": None}
RETRIEVAL = {
    "kind": "retrieval", "mode": "hybrid", "language": "de", "type": "fact", "answerable": True, "query": "Wer?",
    "search_ms": 12.5, "hits": [HIT | {"text": "Der Text."}, HIT | {"start": 130, "end": 200}], **STAMP,
    "scores": {"hit@1": 1.0, "mrr": 1.0, "recall@5": 0.5},
}
QUESTION = {"kind": "answer", "mode": "hybrid", "language": "en", "type": "unanswerable", "answerable": False,
            "question": "Why?", "history": [{"role": "user", "content": "Who?"}]}
SCORES = {  # an unanswerable question: no key-fact or citation scores
    "refused": True, "refusal_cause": "llm_refused", "n_citations": 0, "sentences": 0, "supported": 0,
    "unjudged": 0, "judge": [], "verifier": {"sentences": 0, "agree": 0, "judge_only": [], "verifier_only": []},
    "language_ok": None, "context_recall": None, "faithfulness": None,
}
ANSWER = QUESTION | {
    "timed_out": [], "answer": "Not in the sources.", "answered_language": "en", "refused": True,
    "standalone_question": None, "citations": [{"n": 1, "source": "000.txt", "future_field": 1}],
    "unsupported": [], "trace": {"mode": "refused", "draft": "x"}, "supporting": [["000.txt", 3, 40], None],
    "timings": {"total_ms": 812.4}, **STAMP, "config": "cfg-a", "scores": SCORES,
}
FAILED = QUESTION | {"error": "LLMError: timed out"} | STAMP | {"config": "cfg-a"}
OLDER = ANSWER | {"raw_answer": "kept"}  # a key an earlier version wrote (at the end of the line: see below)


def write(path: Path, *lines: str) -> None:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")


def test_records_load_typed_and_are_written_back_unchanged(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in (RETRIEVAL, ANSWER, FAILED, OLDER)]
    write(path, *lines)
    results, stale = ResultsFile(path).load(None)
    assert stale == 0
    retrieval, answer, failed, older = results
    assert isinstance(retrieval, RetrievalResult) and retrieval.hits[1].text is None
    assert isinstance(answer, AnswerResult) and answer.scores is not None
    assert answer.scores.key_facts_complete is None and answer.scores.verifier.agree == 0
    assert isinstance(failed, AnswerResult) and failed.error and failed.scores is None
    assert key(answer) == ("answer", "hybrid", "de-fact-01")
    assert path.read_text(encoding="utf-8").splitlines() == lines  # same keys, same order, same values
    assert older.model_extra == {"raw_answer": "kept"}


def test_set_scores_are_written(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    unscored = {k: v for k, v in RETRIEVAL.items() if k != "scores"}
    write(path, json.dumps(unscored))
    rf = ResultsFile(path)
    (result,), _ = rf.load(None)
    assert "scores" not in path.read_text(encoding="utf-8")
    result.scores = None  # an unanswerable question's retrieval: set, so written (as null)
    rf.rewrite([result])
    assert json.loads(path.read_text(encoding="utf-8")) == unscored | {"scores": None}


@pytest.mark.parametrize(
    ("line", "kept", "stale"),
    [
        (json.dumps(RETRIEVAL), 1, 0),
        (json.dumps(RETRIEVAL | {"config": "other"}), 0, 1),  # another configuration
        (json.dumps(RETRIEVAL | {"kind": "timeline"}), 0, 1),  # no result this version knows
        (json.dumps({k: v for k, v in RETRIEVAL.items() if k != "hits"}), 0, 1),
        (json.dumps(RETRIEVAL)[:40], 0, 0),  # cut off by an interrupted run: dropped
    ],
)
def test_what_cannot_be_reused_is_set_aside(tmp_path: Path, line: str, kept: int, stale: int) -> None:
    path = tmp_path / "results.jsonl"
    write(path, line)
    results, n_stale = ResultsFile(path).load({"retrieval": "cfg-r", "answer": "cfg-a"})
    assert (len(results), n_stale) == (kept, stale)
    aside = tmp_path / "results.stale.jsonl"
    assert (aside.read_text(encoding="utf-8").splitlines() if aside.exists() else []) == [line] * stale
