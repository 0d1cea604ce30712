"""eval.resettle: the stored drafts of a run go through the current verifier and quote again, without the LLM."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.factory import build_assistant
from eval.questions import load_questions
from eval.resettle import run, summary_lines
from eval.run import EXIT_OK, main
from tests.eval.conftest import CORPORA, GOLD, eval_args, extractive_reply
from tests.fakes import HashEmbedding, ScriptedLLM, fake_settings


def test_resettling_a_run_reproduces_its_answers_and_sees_a_changed_draft(tmp_path: Path) -> None:
    settings = fake_settings(tmp_path / "index", min_relevance_cross=0.0)
    llm = ScriptedLLM(extractive_reply)
    assistant = build_assistant(settings, embedder=HashEmbedding(), llm=llm)
    out = tmp_path / "run"
    assert main(eval_args(out, "--mode", "hybrid", "--limit", "8"), settings, lambda s: assistant) == EXIT_OK
    questions = {q.id: q for q in load_questions(GOLD, CORPORA)}
    calls = len(llm.calls)

    items = run(assistant, out, questions)
    assert items and len(llm.calls) == calls  # no LLM call: the drafts are the stored ones
    # the same code gives the same answers
    assert all(" ".join(i.after.split()) == " ".join(i.before.split()) for i in items)
    assert all(i.right_before == i.right_after for i in items)
    assert summary_lines(items)[-1].startswith(f"answerable right {sum(i.right_before for i in items if i.answerable)}")

    # a draft that invents a number is dropped by the verifier now
    results = out / "results.jsonl"
    records = [json.loads(x) for x in results.read_text(encoding="utf-8").splitlines() if x.strip()]
    changed = next(r for r in records
                   if r["kind"] == "answer" and not r["refused"] and r["trace"]["mode"] == "generated")
    changed["trace"]["draft"] = "Der Umsatz stieg um 987654 Prozent [1]."
    results.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    again = {i.id: i for i in run(assistant, out, questions)}[changed["id"]]
    assert "987654" not in again.after and again.after != again.before
    assert "987654" in again.reason
