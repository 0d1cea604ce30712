"""The ingest's write stage: decides embedded articles' stories, writes them to the store and BM25, counts them."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

from assistant.bm25_store import BM25Writer
from assistant.sentence_vectors import SentenceVectors
from assistant.store import Store
from assistant.store_rows import StoredArticle
from ingest.copies import CopyDetector, CopyIndex
from ingest.read_stage import Work
from ingest.summary import IngestSummary, Outcome, Status


def write_articles(works: list[Work], store: Store, registered: dict[str, dict[str, Any]],
                   lexical: BM25Writer | None, summary: IngestSummary, record: Callable[[Outcome], None],
                   copies: CopyDetector | None = None, copy_index: CopyIndex | None = None,
                   sentences: SentenceVectors | None = None) -> None:
    """The third stage, for a few articles: decide their stories (in file order: one may be a copy of the one
    before it), keep their sentence vectors, write them (registry records last), then give them to BM25."""
    if sentences is not None:  # before the articles: an interrupted ingest leaves spare rows, never missing ones
        kept = [(w.sentence_texts, w.sentence_vectors) for w in works
                if w.sentence_texts and w.sentence_vectors is not None]
        if kept and sentences.put_many([t for texts, _ in kept for t in texts],
                                       np.concatenate([vectors for _, vectors in kept])):
            summary.sentences_added += sum(len(texts) for texts, _ in kept)
    fields: dict[str, dict[str, Any]] = {}
    if copies is not None and copy_index is not None:
        t = time.thread_time()  # pure computation (see the read stage's signatures)
        for w in works:
            fields[w.article.doc_id] = copies.assign(copy_index, w.article, w.signature)
        summary.copy_check_s += time.thread_time() - t
    store.put_articles([StoredArticle(w.article, w.chunks, w.vectors, w.content_hash, w.raw_hash,
                                      replace=w.article.doc_id in registered,  # reconcile left no orphans
                                      copy_fields=fields.get(w.article.doc_id))
                        for w in works if w.vectors is not None])
    if lexical is not None:
        lexical.add([w.lexical for w in works if w.lexical is not None])
    for w in works:
        a = w.article
        story = (fields.get(a.doc_id) or {}).get("story_id")
        if copies is not None and copy_index is not None and a.doc_id in fields:
            t = time.perf_counter()
            copies.stored(store, copy_index, story, (registered.get(a.doc_id) or {}).get("story_id"))
            summary.copy_check_s += time.perf_counter() - t
            summary.copies += bool(story)
        summary.chunks_added += len(w.chunks)
        if a.dropped:
            summary.dropped[a.source] = a.dropped
        status: Status = "changed" if a.doc_id in registered else "new"
        if status == "changed":
            summary.changed += 1
        else:
            summary.new += 1
        record(Outcome(a.source, status, a.doc_id, len(w.chunks), story_id=story))
