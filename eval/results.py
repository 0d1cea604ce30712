"""The per-question results file (results.jsonl): one typed record per line, appended as soon as it exists.

Each line is one result: a ``RetrievalResult`` (``"kind": "retrieval"``) or an ``AnswerResult``
(``"kind": "answer"``), ending in whose result it is: ``id``, ``qhash``, ``config``, ``code``, ``scores``. A
result is reused by a later run with the same ``--out`` only if the question (``qhash``) and the
configuration fingerprint (``config``, eval/runinfo.py) are unchanged and it holds no error.

A line is written with exactly the keys that were set (``exclude_unset``): an answer that failed has its
``error`` and no answer fields, an unanswerable question's answer scores have no key-fact or citation
scores, a hit past the third has no text. Keys that older versions wrote and this one does not know are
kept (``extra="allow"``; they move to the end of their line), so the file of an earlier run still loads
and rewriting it changes no key and no value.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError


class _Stored(BaseModel):
    """Part of a results.jsonl line."""

    model_config = ConfigDict(extra="allow")


class Hit(_Stored):
    """A retrieved passage; only the first three keep their text."""

    source: str
    start: int
    end: int
    score: float
    dense_score: float | None = None
    text: str | None = None


class JudgedSentence(_Stored):
    """The lexical judge's verdict on one sentence of the final answer (eval/judge.py)."""

    sentence: str
    cited: list[int]
    verdict: str  # "supported" | "unsupported" | "unjudged"
    reason: str
    missing: list[str]


class VerifierAgreement(_Stored):
    """The judge against the verifier on every sentence the LLM wrote (eval/scoring.py)."""

    sentences: int = 0
    agree: int = 0
    judge_only: list[str] = Field(default_factory=list)  # the verifier dropped it, the judge finds support
    verifier_only: list[str] = Field(default_factory=list)  # the verifier kept it, the judge finds none


class AnswerScores(_Stored):
    """Everything measured on one answer (eval/scoring.py; metrics defined in eval/FORMAT.md)."""

    refused: bool
    refusal_cause: str | None
    n_citations: int
    sentences: int
    supported: int
    unjudged: int
    judge: list[JudgedSentence]
    verifier: VerifierAgreement
    language_ok: bool | None
    context_recall: float | None
    faithfulness: float | None
    # answerable questions only
    key_facts_complete: bool | None = None
    key_facts_share: float | None = None
    citation_precision: float | None = None
    citation_precision_article: float | None = None
    citation_recall: float | None = None


class _Result(_Stored):
    """What every result records about its question (every field is written when set, so each is passed to
    the constructor, the kind too)."""

    kind: Literal["retrieval", "answer"]
    mode: str
    language: str
    type: str
    answerable: bool


class RetrievalResult(_Result):
    """The ranked hits of ``Assistant.search`` for one question."""

    kind: Literal["retrieval"]
    query: str
    search_ms: float
    hits: list[Hit]
    id: str
    qhash: str
    config: str
    code: str | None = None
    error: str | None = None
    scores: dict[str, float] | None = None  # eval/metrics.py retrieval_scores; None for unanswerable questions


class AnswerResult(_Result):
    """What ``Assistant.ask_stream`` answered to one question; citations and trace as the assistant's models
    dumped them (they are read back with those models when scored: eval/scoring.py)."""

    kind: Literal["answer"]
    question: str
    history: list[dict[str, str]]
    error: str | None = None  # the answer failed (LLMError, InputError): none of the fields below is set
    timed_out: list[str] = Field(default_factory=list)  # stages that hit the LLM time limit
    answer: str = ""
    answered_language: str = ""
    refused: bool = False
    standalone_question: str | None = None
    citations: list[dict[str, Any]] = Field(default_factory=list)
    unsupported: list[str] = Field(default_factory=list)
    trace: dict[str, Any] | None = None
    supporting: list[tuple[str, int, int] | None] = Field(default_factory=list)  # located gold passages
    timings: dict[str, float] = Field(default_factory=dict)
    id: str
    qhash: str
    config: str
    code: str | None = None
    scores: AnswerScores | None = None


# one line of results.jsonl, of either kind
Result = Annotated[RetrievalResult | AnswerResult, Field(discriminator="kind")]
_RESULT: TypeAdapter[Result] = TypeAdapter(Result)
# the results of a run by key(): (kind, mode, question id)
ResultsByKey = Mapping[tuple[str, str, str], Result]


def parse(record: Any) -> Result:
    """One line of results.jsonl, as json.loads read it (ValidationError if it is no result)."""
    return _RESULT.validate_python(record)


def dumps(result: Result) -> str:
    """The line of results.jsonl for one result: the keys that were set, in the order declared above."""
    return json.dumps(result.model_dump(exclude_unset=True), ensure_ascii=False)


class ResultsFile:
    """results.jsonl in the output folder: load what a previous run left, append new results."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self, current: dict[str, str] | None) -> tuple[list[Result], int]:
        """Results usable with the current fingerprints, and how many others were set aside.

        Results of another configuration (or lines that are no result) are moved to results.stale.jsonl
        (not deleted); lines cut off by an interrupted write are dropped. ``current=None`` keeps every result
        (rescoring a finished run).
        """
        if not self.path.exists():
            return [], 0
        keep: list[Result] = []
        stale: list[str] = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut off by an interrupted run
            try:
                result = parse(record)
            except ValidationError:
                stale.append(line)
                continue
            if current is None or result.config == current.get(result.kind):
                keep.append(result)
            else:
                stale.append(line)
        if stale:
            with (self.path.parent / "results.stale.jsonl").open("a", encoding="utf-8") as f:
                f.writelines(s + "\n" for s in stale)
        self.rewrite(keep)
        return keep, len(stale)

    def rewrite(self, results: Iterable[Result]) -> None:
        """Replace the file with ``results`` (atomically: a crash leaves the old or the new file)."""
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(dumps(r) + "\n" for r in results), encoding="utf-8")
        os.replace(tmp, self.path)

    def append(self, result: Result) -> None:
        with self.path.open("a", encoding="utf-8") as f:
            f.write(dumps(result) + "\n")
            f.flush()
            os.fsync(f.fileno())


def key(result: Result) -> tuple[str, str, str]:
    return result.kind, result.mode, result.id
