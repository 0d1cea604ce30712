"""Re-settle the drafts of an eval run with the current verifier and quote, without the LLM or the search.

An eval run stores, per answer, the evidence the LLM was given and its draft (``trace``). A change to the
verifier, the quote or the question analysis can be tried on those drafts in seconds instead of an eval run
that replays the LLM: each draft goes through ``settle_draft`` again and the new final answer is scored with
the run's key facts (answerable questions) or as answered / refused (unanswerable ones). Changes to the
prompts, the evidence picker or retrieval change the drafts themselves: those need a real eval run.

    python -m eval.resettle eval/runs/dev-final-1201            # what changes against the stored answers
    python -m eval.resettle eval/runs/dev-final-1201 --all      # every question, changed or not

Tune on dev runs only: a test run is for reporting (eval/FORMAT.md).
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from assistant.followups import Standalone
from assistant.models import AnswerTrace, Citation, Language, Passage
from assistant.service import Assistant
from assistant.settle import settle_draft, settled_answer
from assistant.text import detect_language
from eval.gold import Question
from eval.metrics import key_fact_scores
from eval.results import AnswerResult, ResultsFile


@dataclass(frozen=True)
class Resettled:
    """One stored answer and what the current code makes of its draft."""

    id: str
    answerable: bool
    before: str
    after: str
    refused_before: bool
    refused_after: bool
    right_before: bool  # answerable: every key fact present; unanswerable: refused
    right_after: bool
    reason: str  # why the first dropped sentence was dropped now ("" when none was)


def resettle(assistant: Assistant, record: AnswerResult, question: Question | None) -> Resettled | None:
    """The stored answer against the current code's answer to the same draft; None when the record holds no
    draft to settle (an error, a refusal before the LLM, a timeline)."""
    trace = record.trace or {}
    draft = trace.get("draft")
    if record.error or not draft or trace.get("mode") not in ("generated", "quoted", "refused"):
        return None
    evidence = [Passage(**{k: v for k, v in c.items() if k in Passage.model_fields},
                        language=detect_language(c["text"])) for c in trace.get("evidence", [])]
    lang: Language = "en" if record.language == "en" else "de"
    standalone = record.standalone_question or record.question
    # a fallback (previous question + this one) asks what this one asks, as in the service (Standalone)
    fallback = standalone != record.question and standalone.endswith(record.question)
    info = Standalone(standalone, record.question if fallback else standalone).analysed(lang)
    refusal = assistant.prompts.get("answer", lang).extra("refusal")
    check, quote = settle_draft(assistant.verifier, assistant.quoter, assistant.settings.quote, draft,
                                evidence, info, lang, refusal, bool(trace.get("cut_off")))
    answer = settled_answer(check, quote, [Citation.from_passage(n, e) for n, e in enumerate(evidence, 1)],
                            AnswerTrace(question_kind=info.kind, mode="generated"), lang=lang, refusal=refusal,
                            timings={}, rewritten=None, applied=[])
    after, refused = answer.answer, not answer.answerable
    facts = [list(f) for f in question.key_facts] if question is not None else []

    def right(text: str, was_refused: bool) -> bool:
        return key_fact_scores(text, facts)[0] and not was_refused if record.answerable else was_refused

    reason = next((c.reason or "" for c in check.checks if not c.accepted), "")
    return Resettled(record.id, record.answerable, record.answer, after, record.refused, refused,
                     right(record.answer, record.refused), right(after, refused), reason)


def summary_lines(items: list[Resettled], show_all: bool = False) -> list[str]:
    """One line per changed outcome (or every question), then the counts before -> after."""
    lines = []
    for r in items:
        if show_all or r.right_before != r.right_after:
            mark = "GAIN" if r.right_after and not r.right_before else "LOSS" if r.right_before and \
                not r.right_after else "    "
            lines.append(f"{mark} {r.id}: {' '.join(r.after.split())[:140]}" + (f"  ({r.reason[:90]})"
                                                                               if r.reason else ""))
    answerable = [r for r in items if r.answerable]
    unanswerable = [r for r in items if not r.answerable]
    lines.append(f"answerable right {sum(r.right_before for r in answerable)} -> "
                 f"{sum(r.right_after for r in answerable)} of {len(answerable)}; unanswerable answered "
                 f"{sum(not r.refused_before for r in unanswerable)} -> "
                 f"{sum(not r.refused_after for r in unanswerable)} of {len(unanswerable)}")
    return lines


def run(assistant: Assistant, run_dir: Path, questions: dict[str, Question]) -> list[Resettled]:
    records, _ = ResultsFile(run_dir / "results.jsonl").load(None)
    out = []
    for rec in records:
        if isinstance(rec, AnswerResult):
            item = resettle(assistant, rec, questions.get(rec.id))
            if item is not None:
                out.append(item)
    return out


def main(argv: list[str] | None = None) -> int:
    from assistant.factory import build_assistant, offline_environment
    from assistant.settings import PROJECT_ROOT, Settings
    from eval.questions import load_questions

    p = argparse.ArgumentParser(prog="python -m eval.resettle", description=__doc__.split("\n\n")[0])
    p.add_argument("run", type=Path, help="an eval run folder (holds results.jsonl)")
    p.add_argument("--gold", type=Path, default=PROJECT_ROOT / "eval" / "gold.jsonl")
    p.add_argument("--all", action="store_true", help="list every question, not only changed outcomes")
    a = p.parse_args(argv)
    offline_environment()
    questions = {q.id: q for q in load_questions(a.gold, [PROJECT_ROOT / "corpus", PROJECT_ROOT / "eval" / "corpus"])}
    items = run(build_assistant(Settings()), a.run, questions)
    print("\n".join(summary_lines(items, a.all)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
