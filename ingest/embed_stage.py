"""The ingest's embed stage: embeds the read articles in batches, several in flight, and passes all on in order."""

from __future__ import annotations

import queue
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from assistant.embeddings import VectorEmbedding
from ingest.read_stage import Work
from ingest.stages import END, Channel


def embed_articles(embedder: VectorEmbedding, read: Channel, out: Channel) -> None:
    """The second stage: embeds the articles in batches of about ``embedder.passage_batch`` texts, keeping up to
    ``embedder.max_in_flight`` batches going (at least two: one computing, the next one ready), and passes
    everything on in the order it came."""
    limit = max(2, embedder.max_in_flight)
    pending: deque[tuple[list[Any], Future[np.ndarray] | None]] = deque()
    batch: list[Any] = []
    texts: list[str] = []
    with ThreadPoolExecutor(limit, thread_name_prefix="embed-batch") as pool:
        def submit() -> None:
            nonlocal batch, texts
            if batch:
                pending.append((batch, pool.submit(embedder.passages, texts) if texts else None))
                batch, texts = [], []

        def emit(wait: bool) -> None:
            while pending:
                items, future = pending[0]
                in_flight = sum(f is not None and not f.done() for _, f in pending)
                if future is not None and not future.done() and not (wait or in_flight >= limit):
                    return
                vectors = future.result() if future is not None else None
                pending.popleft()
                _pass_on(items, vectors, out)

        done = False
        while not done:
            try:
                item = read.get(timeout=0 if texts else None)  # with texts waiting, do not sit on them: send them
            except queue.Empty:
                submit()
                emit(wait=False)
                continue
            if item is END:
                submit()
                emit(wait=True)
                done = True
                continue
            batch.append(item)
            if isinstance(item, Work):
                texts += item.all_texts
            if len(texts) >= embedder.passage_batch:
                submit()
            emit(wait=False)
        out.put(END)
        pool.shutdown(wait=True)


def _pass_on(items: list[Any], vectors: np.ndarray | None, out: Channel) -> None:
    """Hand a batch's articles, with their vectors, and the items between them to the writer, in order."""
    at = 0
    run: list[Work] = []
    for item in items:
        if isinstance(item, Work):
            assert vectors is not None
            item.vectors = vectors[at : at + len(item.texts)]
            at += len(item.texts)
            item.sentence_vectors = vectors[at : at + len(item.sentence_texts)]
            at += len(item.sentence_texts)
            run.append(item)
            continue
        if run:
            out.put(run)
            run = []
        out.put(item)
    if run:
        out.put(run)
