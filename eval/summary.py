"""Aggregates per-question results into summary.json: metrics per mode and language, refusals, latencies."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from eval.gold import Question
from eval.metrics import KS, latency_summary, mean, refusal_scores
from eval.results import AnswerResult, AnswerScores, RetrievalResult

GROUPS = ("overall", "de", "en")
RETRIEVAL_METRICS = (
    tuple(f"hit@{k}" for k in KS) + ("mrr",) + tuple(f"recall@{k}" for k in KS) + ("sources@5",)
)
# The answer metrics (computed in answer_group; defined in eval/FORMAT.md) in the order the report shows them,
# each with its label there.
ANSWER_METRICS = {
    "key_facts_complete": "key facts: all present (answerable)",
    "key_facts_share": "key facts: share present (answerable)",
    "citation_precision": "citation precision: cited passage overlaps a supporting passage",
    "citation_precision_article": "citation precision: cited passage from an expected article",
    "citation_recall": "citation recall: supporting passages cited (answerable)",
    "context_recall": "context recall: supporting passages given to the LLM (answerable)",
    "faithfulness": "faithfulness: answer sentences the lexical judge supports",
    "verifier_agreement": "judge and verifier agree on an LLM sentence",
    "language_match": "answer language = question language",
    "refusal_precision": "refusal precision",
    "refusal_recall": "refusal recall (unanswerable refused)",
    "refusal_f1": "refusal F1",
    "false_refusal_rate": "false refusals (answerable refused; lower is better)",
}
# The answer latencies per stage (the service's timings, plus ttft_ms measured by the eval), with their labels.
LATENCY_STAGES = {
    "retrieve_ms": "retrieve",
    "evidence_ms": "pick evidence sentences",
    "sources_ms": "sources shown (start to Sources event)",
    "first_token_ms": "first token (service timing)",
    "ttft_ms": "first token (measured by the eval)",
    "generate_ms": "generate",
    "verify_ms": "verify",
    "total_ms": "total",
    "condense_ms": "rewrite follow-up",
}
# The per-type table: the gold types in the order the README shows them ("multi" is cross-article).
TYPE_METRICS = ("key_facts_complete", "false_refusal_rate", "refusal_recall", "citation_precision")


def _in_group(q: Question, group: str) -> bool:
    return group == "overall" or q.language == group


def retrieval_summary(questions: Sequence[Question], records: Mapping[str, RetrievalResult]) -> dict[str, Any]:
    """Per group: the mean of each retrieval metric over the answerable questions, and their number."""
    scores = {i: r.scores for i, r in records.items() if r.scores is not None}  # answerable questions
    out: dict[str, Any] = {}
    for group in GROUPS:
        scored = [scores[q.id] for q in questions if _in_group(q, group) and q.answerable and q.id in scores]
        if not scored:
            continue
        out[group] = {m: mean(s[m] for s in scored) for m in RETRIEVAL_METRICS}
        out[group]["n"] = len(scored)
    by_type: dict[str, Any] = {}
    for qtype in sorted({q.type for q in questions if q.answerable}):
        scored = [scores[q.id] for q in questions if q.type == qtype and q.id in scores]
        if scored:
            by_type[qtype] = {m: mean(s[m] for s in scored) for m in ("hit@1", "mrr", "recall@5")} | {
                "n": len(scored)
            }
    out["by_type"] = by_type
    out["latency_ms"] = latency_summary([r.search_ms for r in records.values()])
    return out


def answer_group(items: Sequence[tuple[Question, AnswerScores]]) -> dict[str, Any]:
    """Answer metrics over (question, scores) pairs; see eval/FORMAT.md for the definitions."""
    answerable = [s for q, s in items if q.answerable]
    answered = [s for _, s in items if not s.refused]
    sentences = sum(s.sentences - s.unjudged for _, s in items)
    agreement = [s.verifier for _, s in items]
    refusals = refusal_scores((not q.answerable, s.refused) for q, s in items)
    out: dict[str, Any] = {
        "n": len(items),
        "n_answerable": len(answerable),
        "n_answered": len(answered),
        "key_facts_complete": mean(s.key_facts_complete for s in answerable),
        "key_facts_share": mean(s.key_facts_share for s in answerable),
        "citation_precision": _micro([(s.citation_precision, s.n_citations) for s in answerable]),
        "citation_precision_article": _micro([(s.citation_precision_article, s.n_citations) for s in answerable]),
        "citation_recall": mean(s.citation_recall for s in answerable),
        "faithfulness": sum(s.supported for _, s in items) / sentences if sentences else None,
        "judged_sentences": sentences,
        "unjudged_sentences": sum(s.unjudged for _, s in items),
        "verifier_agreement": (
            sum(a.agree for a in agreement) / sum(a.sentences for a in agreement)
            if sum(a.sentences for a in agreement)
            else None
        ),
        "language_match": mean(s.language_ok for s in answered),
        "refusal_precision": refusals.precision,
        "refusal_recall": refusals.recall,
        "refusal_f1": refusals.f1,
        "false_refusal_rate": refusals.false_refusal_rate,
        "context_recall": mean(s.context_recall for s in answerable),
    }
    return out


def _micro(scored: Sequence[tuple[float | None, int]]) -> float | None:
    """Citation precision over all citations: (precision, citations) per answer, each answer weighted by how
    many passages it cites."""
    num = sum((precision or 0.0) * n for precision, n in scored if precision is not None)
    den = sum(n for precision, n in scored if precision is not None)
    return num / den if den else None


def answers_summary(questions: Sequence[Question], records: Mapping[str, AnswerResult]) -> dict[str, Any]:
    scores = {i: r.scores for i, r in records.items() if r.scores is not None}
    out: dict[str, Any] = {}
    for group in GROUPS:
        items = [(q, scores[q.id]) for q in questions if _in_group(q, group) and q.id in scores]
        if items:
            out[group] = answer_group(items)
    causes: dict[str, int] = {}
    for s in scores.values():
        if s.refusal_cause:
            causes[s.refusal_cause] = causes.get(s.refusal_cause, 0) + 1
    out["refusal_causes"] = causes
    modes: dict[str, int] = {}
    for r in records.values():
        mode = (r.trace or {}).get("mode", "unknown")
        modes[mode] = modes.get(mode, 0) + 1
    out["answer_modes"] = modes
    by_type: dict[str, Any] = {}
    for qtype in sorted({q.type for q in questions}):
        items = [(q, scores[q.id]) for q in questions if q.type == qtype and q.id in scores]
        if items:
            metrics = answer_group(items)
            by_type[qtype] = {m: metrics[m] for m in TYPE_METRICS} | {"n": len(items)}
    out["by_type"] = by_type
    out["latency_ms"] = {
        stage: latency_summary([r.timings[stage] for r in records.values() if stage in r.timings])
        for stage in LATENCY_STAGES
    }
    return out


def lookup(tree: Any, *path: str) -> Any:
    """The value at ``path`` in nested dicts, or None."""
    for p in path:
        if not isinstance(tree, dict):
            return None
        tree = tree.get(p)
    return tree
