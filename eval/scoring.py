"""Scores one question's result: a retrieval hit list, or an answer with its citations and context."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from assistant.citations import strip_markers
from assistant.models import Answer, AnswerTrace, Citation
from assistant.text import question_language
from eval.gold import Question
from eval.judge import CitedText, Judgement, judge_answer
from eval.metrics import Span, citation_scores, key_fact_scores
from eval.results import AnswerResult, AnswerScores

_QUOTED = re.compile(r"„[^“”\"]*[“”\"]|“[^”]*”|\"[^\"]*\"")


def answer_language(answer: str) -> str:
    """The language the answer is written in: its own words, not what it quotes verbatim (a quoted German
    source sentence inside an English answer is meant to stay German)."""
    text = strip_markers(answer)
    own = _QUOTED.sub(" ", text)
    return question_language(own if len(own.split()) >= 3 else text)


def span_of(p: Any) -> Span:
    """The span of a Passage or Citation."""
    return Span(p.source, p.start, p.end)


def answer_from_record(rec: AnswerResult) -> Answer:
    """The Answer stored in a results.jsonl line."""
    return Answer(
        answer=rec.answer,
        language=rec.answered_language,
        answerable=not rec.refused,
        citations=[Citation(**c) for c in rec.citations],
        unsupported=rec.unsupported,
        timings=rec.timings,
        standalone_question=rec.standalone_question,
        trace=AnswerTrace(**rec.trace) if rec.trace else None,
    )


def context_from_record(rec: AnswerResult) -> list[Citation]:
    """The evidence the LLM was given, as stored in a results.jsonl line."""
    trace = rec.trace or {}
    return [Citation(**c) for c in trace.get("evidence", [])]


def refusal_cause(answer: Answer) -> str | None:
    """Why an answer is a refusal (no relevant passage, no evidence sentence, the LLM said so, the verifier
    dropped every sentence); ``None`` for an answer."""
    if answer.answerable:
        return None
    return (answer.trace.refusal_cause if answer.trace else None) or "unknown"


def score_answer(
    q: Question,
    answer: Answer,
    passages: Sequence[Span | None],
    context: Sequence[Citation],
    languages: Mapping[str, str],
    refusals: Sequence[str],
) -> AnswerScores:
    """Everything measured on one answer (see eval/FORMAT.md, "Metrics")."""
    refused = not answer.answerable
    cited = [span_of(c) for c in answer.citations]
    by_n = {c.n: CitedText(c.text, languages.get(c.source, "de"), c.title or "") for c in answer.citations}
    final = [] if refused else judge_answer(answer.answer, by_n, answer.language, skip=tuple(refusals))
    ctx = {n: CitedText(p.text, languages.get(p.source, "de"), p.title or "") for n, p in enumerate(context, 1)}
    agreement = verifier_agreement(answer, ctx, refusals)
    out: dict[str, Any] = {
        "refused": refused,
        "refusal_cause": refusal_cause(answer),
        "n_citations": len(cited),
        "sentences": len(final),
        "supported": sum(j.verdict == "supported" for j in final),
        "unjudged": sum(j.verdict == "unjudged" for j in final),
        "judge": [_judgement(j) for j in final],
        "verifier": agreement,
        "language_ok": None if refused else answer_language(answer.answer) == q.language,
        "context_recall": None,
    }
    judged = out["sentences"] - out["unjudged"]
    out["faithfulness"] = out["supported"] / judged if judged else None
    if q.answerable:
        complete, share = key_fact_scores("" if refused else answer.answer, q.key_facts)
        cite = citation_scores(cited, passages, q.expected_sources)
        ctx_spans = [span_of(p) for p in context]
        located = [p for p in passages if p is not None]
        out.update(
            {
                "key_facts_complete": complete,
                "key_facts_share": share,
                "citation_precision": cite["precise"],
                "citation_precision_article": cite["on_article"],
                "citation_recall": cite["recall"],
                "context_recall": (
                    sum(1 for p in located if any(c.overlaps(p) for c in ctx_spans)) / len(passages)
                    if passages
                    else None
                ),
            }
        )
    return AnswerScores.model_validate(out)


def verifier_agreement(
    answer: Answer, context: Mapping[int, CitedText], refusals: Sequence[str]
) -> dict[str, Any]:
    """The judge's verdict on every sentence the LLM wrote, next to the verifier's.

    A sentence was dropped by the verifier when its check in the answer's trace says so. The verifier may
    attach a citation to a sentence that has none, so the judge gives such a sentence the best verdict over
    the evidence.
    """
    out: dict[str, Any] = {"sentences": 0, "agree": 0, "judge_only": [], "verifier_only": []}
    if answer.trace is None or not answer.trace.draft:
        return out
    dropped = [_plain(c.sentence) for c in answer.trace.checks if not c.accepted]
    for part in (answer.trace.draft,):
        if not strip_markers(part).strip():
            continue
        language = answer.trace.draft_language or question_language(strip_markers(part))
        for j in judge_answer(part, context, language, skip=tuple(refusals), uncited_best=True):
            if j.verdict == "unjudged":
                continue
            plain = _plain(j.sentence)
            kept = not any(d.startswith(plain) for d in dropped)
            out["sentences"] += 1
            if kept == (j.verdict == "supported"):
                out["agree"] += 1
            elif kept:
                out["verifier_only"].append(j.sentence)  # kept, but the judge finds no support
            else:
                out["judge_only"].append(j.sentence)  # the judge finds support, the verifier dropped it
    return out


def _judgement(j: Judgement) -> dict[str, Any]:
    return {
        "sentence": j.sentence,
        "cited": j.cited,
        "verdict": j.verdict,
        "reason": j.reason,
        "missing": j.missing,
    }


def _plain(text: str) -> str:
    return " ".join(strip_markers(text).split()).lower()
