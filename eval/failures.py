"""The "worst failures" section of the report: what was expected and what the assistant returned."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eval.gold import Question
from eval.results import AnswerResult, AnswerScores, ResultsByKey, RetrievalResult

MAX_FAILURES = 10


def _snippet(text: str | None, n: int = 220) -> str:
    text = " ".join((text or "").split()).replace("|", "/")
    return text if len(text) <= n else text[: n - 1] + "…"


def worst_failures(
    summary: dict[str, Any],
    questions: Sequence[Question],
    records: ResultsByKey,
) -> list[str]:
    by_id = {q.id: q for q in questions}
    lines = ["", "## Worst failures"]
    modes = list(summary["retrieval"])
    mode = summary["meta"]["config"]["answer_mode"] or (
        "hybrid" if "hybrid" in modes else modes[0] if modes else None
    )
    ret = [
        (r, scores)
        for (_, m, _), r in records.items()
        if isinstance(r, RetrievalResult)
        and m == mode
        and (scores := r.scores)
        and r.id in by_id
        and r.qhash == by_id[r.id].content_hash
    ]
    ret.sort(key=lambda rs: (rs[1]["recall@5"], rs[1]["mrr"], rs[0].id))
    worst = [(r, s) for r, s in ret if s["recall@5"] < 1][:MAX_FAILURES]
    lines += ["", f"### Retrieval ({mode}): supporting passage not in the top 5", ""]
    if not worst:
        lines.append("None: every supporting passage was in the top 5.")
    for r, s in worst:
        q = by_id[r.id]
        top = r.hits[0] if r.hits else None
        lines += [
            f"- **{q.id}** ({q.type}): {q.question}" + (f" — searched as: _{r.query}_" if q.history else ""),
            f"  - expected: `{', '.join(q.expected_sources)}`: “{_snippet(q.supporting_passages[0], 160)}”",
            f"  - got: recall@5 {s['recall@5']:.2f}, MRR {s['mrr']:.2f}; top hit "
            f"`{top.source if top else '–'}`: “{_snippet(top.text if top else None, 160)}”",
        ]
    if summary.get("answers"):
        lines += _answer_failures(records, by_id, mode)
    return lines


def _answer_failures(records: ResultsByKey, by_id: dict[str, Question], mode: str | None) -> list[str]:
    ans: list[tuple[AnswerResult, AnswerScores]] = [
        (r, scores)
        for (_, m, _), r in records.items()
        if isinstance(r, AnswerResult)
        and m == mode
        and (scores := r.scores) is not None
        and r.id in by_id
        and r.qhash == by_id[r.id].content_hash
    ]
    picks = [
        ("Answerable but refused", [(r, s) for r, s in ans if r.answerable and r.refused]),
        ("Unanswerable but answered", [(r, s) for r, s in ans if not r.answerable and not r.refused]),
        (
            "Answered, key facts missing",
            [(r, s) for r, s in ans if r.answerable and not r.refused and not s.key_facts_complete],
        ),
        (
            "Sentences the judge finds unsupported",
            [(r, s) for r, s in ans if any(j.verdict == "unsupported" for j in s.judge)],
        ),
        (
            "Sentences the verifier dropped but the judge supports",
            [(r, s) for r, s in ans if s.verifier.judge_only],
        ),
    ]
    lines: list[str] = []
    for title, items in picks:
        lines += ["", f"### {title} ({len(items)})", ""]
        if not items:
            lines.append("None.")
        for r, s in items[:MAX_FAILURES]:
            q = by_id[r.id]
            expected = (
                "not answerable"
                if not q.answerable
                else "; ".join("/".join(f) for f in q.key_facts)
                + f" — “{_snippet(q.supporting_passages[0], 140)}”"
            )
            got = _snippet(r.answer, 300) + (f" _(refusal: {s.refusal_cause})_" if r.refused else "")
            lines += [f"- **{q.id}**: {q.question}", f"  - expected: {expected}", f"  - got: {got}"]
            trace: dict[str, Any] = r.trace or {}
            draft = trace.get("draft")
            if draft and (r.refused or trace.get("mode") == "quoted"):
                lines.append(f"  - LLM wrote: {_snippet(draft, 300)}")
            for j in s.judge:
                if j.verdict == "unsupported" and "judge" in title:
                    lines.append(
                        f"  - judge: “{_snippet(j.sentence, 160)}” — {j.reason}"
                        + (f" (missing: {', '.join(j.missing[:6])})" if j.missing else "")
                    )
            if "verifier" in title:
                for sentence in s.verifier.judge_only:
                    drop = next((u for u in r.unsupported if u.startswith(sentence[:40])), sentence)
                    lines.append(f"  - dropped: {_snippet(drop, 260)}")
    return lines
