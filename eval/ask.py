"""Puts one gold question to the assistant and records what came back: a RetrievalResult or an AnswerResult."""

from __future__ import annotations

import time
from typing import Any

from assistant.errors import InputError, LLMError
from assistant.events import Final, Token
from assistant.models import Answer, Passage
from assistant.retrieval import Mode
from assistant.service import Assistant
from eval.gold import Question
from eval.metrics import Span
from eval.results import AnswerResult, Hit, RetrievalResult
from eval.runinfo import SEARCH_DEPTH


def _hit(p: Passage, text: bool = True) -> Hit:
    out = {
        "source": p.source,
        "start": p.start,
        "end": p.end,
        "score": round(p.score, 4),
        "dense_score": None if p.dense_score is None else round(p.dense_score, 4),
    }
    return Hit.model_validate(out | {"text": p.text} if text else out)


def retrieve(assistant: Assistant, q: Question, mode: Mode, stamp: dict[str, Any]) -> RetrievalResult:
    """What ``Assistant.search`` finds for the question (as POST /api/search); ``stamp``: whose result it is
    (id, qhash, config, code)."""
    t = time.perf_counter()
    hits = assistant.search(q.retrieval_query, SEARCH_DEPTH, mode=mode)
    ms = (time.perf_counter() - t) * 1000
    return RetrievalResult(
        kind="retrieval",
        mode=mode,
        language=q.language,
        type=q.type,
        answerable=q.answerable,
        query=q.retrieval_query,
        search_ms=round(ms, 1),
        hits=[_hit(h, text=i < 3) for i, h in enumerate(hits)],
        **stamp,
    )


def answer(
    assistant: Assistant, q: Question, mode: Mode, spans: list[Span | None], stamp: dict[str, Any]
) -> AnswerResult:
    """What ``Assistant.ask_stream`` answers (as POST /api/ask), timed, with the located gold passages
    (``spans``); ``stamp``: whose result it is (id, qhash, config, code)."""
    base = {
        "kind": "answer",
        "mode": mode,
        "language": q.language,
        "type": q.type,
        "answerable": q.answerable,
        "question": q.question,
        "history": [t.model_dump() for t in q.history],
    }
    t = time.perf_counter()
    ttft: float | None = None
    final: Answer | None = None
    try:
        for event in assistant.ask_stream(q.question, q.turns, None, mode=mode):
            if isinstance(event, Token) and ttft is None:
                ttft = (time.perf_counter() - t) * 1000
            elif isinstance(event, Final):
                final = event.answer
    except (LLMError, InputError) as e:
        return AnswerResult.model_validate(base | {"error": f"{type(e).__name__}: {e}"} | stamp)
    assert final is not None  # ask_stream always ends with Final
    wall = (time.perf_counter() - t) * 1000
    timings = dict(final.timings) | {"wall_ms": round(wall, 1)}
    if ttft is not None:
        timings["ttft_ms"] = round(ttft, 1)
    limit_ms = assistant.settings.llm.timeout_s * 1000 * 0.99
    timed_out = [s for s in ("condense_ms", "generate_ms") if timings.get(s, 0.0) >= limit_ms]
    return AnswerResult.model_validate(base | {
        "timed_out": timed_out,
        "answer": final.answer,
        "answered_language": final.language,
        "refused": not final.answerable,
        "standalone_question": final.standalone_question,
        "citations": [c.model_dump() for c in final.citations],
        "unsupported": final.unsupported,
        "trace": final.trace.model_dump() if final.trace else None,
        "supporting": [None if s is None else [s.source, s.start, s.end] for s in spans],
        "timings": timings,
    } | stamp)
