"""`assistant eval` end to end on fakes (hash embedder, scripted LLM): outputs, resume, gate, deltas."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.factory import build_assistant
from assistant.service import Assistant
from assistant.settings import Settings
from eval.run import EXIT_ERROR, EXIT_GATE, EXIT_INTERRUPTED, EXIT_OK, main
from eval.summary import ANSWER_METRICS, RETRIEVAL_METRICS
from tests.eval.conftest import CORPORA, GOLD, THRESHOLDS, eval_args, extractive_reply, refusal_reply
from tests.fakes import HashEmbedding, ScriptedLLM, fake_settings

GOLD_ROWS = [json.loads(x) for x in GOLD.read_text(encoding="utf-8").splitlines() if x.strip()]
GOLD_BY_ID = {r["id"]: r for r in GOLD_ROWS}
ANSWERABLE = sum(r["answerable"] for r in GOLD_ROWS)


@pytest.fixture
def eval_settings(tmp_path: Path) -> Settings:
    # the gold set asks English questions about German articles: bag-of-words vectors share only names and
    # numbers across languages, so no cross-language relevance floor (the same-language one stays on)
    return fake_settings(tmp_path / "index", min_relevance_cross=0.0)


def builder(llm: ScriptedLLM) -> Callable[[Settings], Assistant]:
    return lambda s: build_assistant(s, embedder=HashEmbedding(), llm=llm)


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def test_run_writes_results_summary_report_and_charts(
    tmp_path: Path, eval_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    code = main(
        eval_args(out, "--mode", "hybrid", "--mode", "bm25", "--limit", "6"),
        eval_settings,
        builder(ScriptedLLM(extractive_reply)),
    )
    assert code == EXIT_OK
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert set(summary["retrieval"]) == {"hybrid", "bm25"}
    assert summary["retrieval"]["hybrid"]["overall"]["n"] == ANSWERABLE  # every answerable gold question
    assert summary["retrieval"]["hybrid"]["de"]["n"] + summary["retrieval"]["hybrid"]["en"]["n"] == ANSWERABLE
    answers = summary["answers"]["overall"]
    assert set(ANSWER_METRICS) <= answers.keys()  # every metric the report shows is computed
    assert set(RETRIEVAL_METRICS) <= summary["retrieval"]["hybrid"]["overall"].keys()
    assert answers["n"] == 6
    assert answers["n_answered"] >= 1
    assert summary["meta"]["config"]["answer_mode"] == "hybrid"
    assert summary["meta"]["corpus"]["articles"] == sum(1 for c in CORPORA for p in c.iterdir() if p.is_file())
    assert summary["meta"]["command"].endswith(f"--out {out} --mode hybrid --mode bm25 --limit 6")
    records = lines(out / "results.jsonl")
    assert sum(r["kind"] == "retrieval" for r in records) == 2 * len(GOLD_ROWS)
    answered = [r for r in records if r["kind"] == "answer"]
    assert len(answered) == 6
    assert all("ttft_ms" in r["timings"] for r in answered if not r["refused"])
    report = (out / "report.md").read_text(encoding="utf-8")
    for heading in (
        "## What was evaluated",
        "### Mode comparison",
        "## Answers",
        "### Latency",
        "## Worst failures",
        "hash-bow-256",
    ):
        assert heading in report
    for chart in ("retrieval_by_language.png", "answers_by_language.png", "latency.png"):
        assert (out / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"({chart})" in report
    assert "retrieval hybrid" in capsys.readouterr().out


def test_the_users_index_is_never_touched(tmp_path: Path, eval_settings: Settings) -> None:
    user_index = tmp_path / "user-index"
    settings = eval_settings.replace(index_dir=user_index, chroma_host="chroma.invalid")
    assert (
        main(
            eval_args(tmp_path / "run", "--no-llm", "--mode", "dense"),
            settings,
            builder(ScriptedLLM(extractive_reply)),
        )
        == EXIT_OK
    )
    assert not user_index.exists()


def test_rerun_resumes_and_a_changed_setting_reruns_answers(tmp_path: Path, eval_settings: Settings) -> None:
    out = tmp_path / "run"
    args = eval_args(out, "--mode", "hybrid", "--only", "de-fu-01", "--only", "en-fact-01")
    first = ScriptedLLM(extractive_reply)
    assert main(args, eval_settings, builder(first)) == EXIT_OK
    assert len(first.calls) >= 3  # two answers and one follow-up rewrite (and any translation)
    before = (out / "summary.json").read_text(encoding="utf-8")

    again = ScriptedLLM(extractive_reply)
    assert main(args, eval_settings, builder(again)) == EXIT_OK
    assert again.calls == []
    assert len(lines(out / "results.jsonl")) == len(GOLD_ROWS) + 2
    after = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert after["meta"]["reused_results"] == len(GOLD_ROWS) + 2
    assert after["answers"]["overall"] == json.loads(before)["answers"]["overall"]

    changed = ScriptedLLM(extractive_reply)
    assert main(args, eval_settings.replace(llm_max_tokens=64), builder(changed)) == EXIT_OK
    assert len(changed.calls) == len(first.calls)  # answers depend on the setting; retrieval is reused
    assert len(lines(out / "results.stale.jsonl")) == 2


def test_an_interrupted_run_keeps_finished_questions(tmp_path: Path, eval_settings: Settings) -> None:
    out = tmp_path / "run"
    # German questions about German articles: one LLM call each (no follow-up rewrite, no translation)
    only = [x for q in ("de-fact-01", "de-fact-02", "de-num-01", "de-why-01") for x in ("--only", q)]
    args = eval_args(out, "--mode", "hybrid", *only)
    answers = 0

    def interrupt_third(messages: list[dict[str, str]]) -> str:
        nonlocal answers
        answers += 1
        if answers == 3:
            raise KeyboardInterrupt
        return extractive_reply(messages)

    assert main(args, eval_settings, builder(ScriptedLLM(interrupt_third))) == EXIT_INTERRUPTED
    assert sum(r["kind"] == "answer" for r in lines(out / "results.jsonl")) == 2
    rest = ScriptedLLM(extractive_reply)
    assert main(args, eval_settings, builder(rest)) == EXIT_OK
    assert len(rest.calls) == 2
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["answers"]["overall"]["n"] == 4


def test_gate_exit_code_lists_metrics_below_threshold(
    tmp_path: Path, eval_settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    strict = tmp_path / "strict.json"
    strict.write_text(
        json.dumps(
            {
                "retrieval": {"hybrid": {"overall": {"hit@5": 0.5, "recall@1": 1.01}}},
                "answers": {"overall": {"faithfulness": 0.1}},
            }
        ),
        encoding="utf-8",
    )
    code = main(
        eval_args(tmp_path / "run", "--no-llm", "--mode", "hybrid", "--thresholds", str(strict)),
        eval_settings,
        builder(ScriptedLLM(extractive_reply)),
    )
    assert code == EXIT_GATE
    err = capsys.readouterr().err
    assert "retrieval.hybrid.overall.recall@1" in err
    assert "hit@5" not in err
    report = (tmp_path / "run" / "report.md").read_text(encoding="utf-8")
    assert "FAILED" in report
    assert "not checked: answers" in report


def test_an_assistant_that_refuses_everything_fails_the_answer_gate(
    tmp_path: Path, eval_settings: Settings
) -> None:
    out = tmp_path / "run"
    code = main(
        eval_args(out, "--mode", "hybrid", "--limit", "12", "--thresholds", str(THRESHOLDS)),
        eval_settings,
        builder(ScriptedLLM(refusal_reply)),
    )
    assert code == EXIT_GATE
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    answers = summary["answers"]["overall"]
    assert answers["refusal_recall"] == 1.0
    assert answers["false_refusal_rate"] == 1.0
    # every refusal counts; the right ones are those of the unanswerable gold questions among the 12 asked
    asked = [r["id"] for r in lines(out / "results.jsonl") if r["kind"] == "answer"]
    unanswerable = sum(not GOLD_BY_ID[i]["answerable"] for i in asked)
    assert len(asked) == 12 and unanswerable >= 1  # --limit spreads the 12 over every type, unanswerable too
    assert answers["refusal_precision"] == pytest.approx(unanswerable / 12)
    assert answers["key_facts_complete"] == 0.0
    causes = summary["answers"]["refusal_causes"]
    assert sum(causes.values()) == 12 and causes["llm_refused"] >= 6  # the rest had no evidence at all
    assert set(causes) <= {"llm_refused", "no_relevant_passage", "no_evidence_sentence"}
    assert any(f.startswith("answers.overall.refusal_precision") for f in summary["quality_gate"]["failures"])


def test_previous_run_differences_appear_in_the_report(tmp_path: Path, eval_settings: Settings) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert (
        main(eval_args(first, "--no-llm", "--mode", "bm25"), eval_settings, builder(ScriptedLLM("")))
        == EXIT_OK
    )
    assert (
        main(
            eval_args(second, "--no-llm", "--mode", "bm25", "--previous", str(first)),
            eval_settings.replace(chunk_words=40),
            builder(ScriptedLLM("")),
        )
        == EXIT_OK
    )
    report = (second / "report.md").read_text(encoding="utf-8")
    assert "changes against the earlier run" in report
    assert "| bm25 | " in report
    assert "(+0." in report or "(-0." in report


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--questions", "missing.jsonl"], "file not found"),
        (["--only", "no-such-id"], "unknown question id"),
        (["--previous", "nowhere"], "no summary.json"),
        (["--thresholds", "nothing.json"], "thresholds file not found"),
    ],
)
def test_bad_input_is_an_error_with_a_message(
    tmp_path: Path,
    eval_settings: Settings,
    extra: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main(eval_args(tmp_path / "run", *extra), eval_settings, builder(ScriptedLLM("")))
    assert code == EXIT_ERROR
    assert message in capsys.readouterr().err


def test_rescore_recomputes_from_stored_results_without_asking_again(
    tmp_path: Path, eval_settings: Settings
) -> None:
    out = tmp_path / "run"
    args = ["--mode", "hybrid", "--only", "de-fact-02", "--only", "en-unans-01"]
    assert main(eval_args(out, *args), eval_settings, builder(ScriptedLLM(extractive_reply))) == EXIT_OK
    first = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    records = lines(out / "results.jsonl")
    for r in records:  # scores are derived data: drop them and let --rescore rebuild them
        r.pop("scores", None)
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")

    silent = ScriptedLLM(extractive_reply)
    changed = eval_settings.replace(llm_max_tokens=64)  # would otherwise make results stale
    assert main(eval_args(out, *args, "--rescore"), changed, builder(silent)) == EXIT_OK
    assert silent.calls == []
    again = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert again["answers"]["overall"] == first["answers"]["overall"]
    assert again["retrieval"]["hybrid"]["overall"] == first["retrieval"]["hybrid"]["overall"]
    assert all("scores" in r for r in lines(out / "results.jsonl"))
