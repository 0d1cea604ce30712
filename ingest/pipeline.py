"""Ingest: read -> clean -> chunk -> embed -> store, idempotently (unchanged articles cost a hash, not an embedding)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from assistant.embeddings import VectorEmbedding
from assistant.models import Article, sha256_text
from assistant.store import Store
from ingest.chunking import chunk_article, embedding_text
from ingest.metadata import build_article
from ingest.readers import Skipped, iter_documents

log = logging.getLogger(__name__)
CHUNKER_VERSION = 1


@dataclass
class IngestSummary:
    """What one ingest run did."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_added: int = 0
    orphans_removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0

    def report(self) -> str:
        lines = [
            f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged, {self.removed} removed; "
            f"{self.chunks_added} chunks embedded, {len(self.skipped)} skipped ({self.seconds:.1f} s)"
        ]
        if self.orphans_removed:
            lines.append(f"repaired: removed {self.orphans_removed} chunks left by an interrupted ingest")
        for source, pieces in sorted(self.dropped.items()):
            lines.append(f"cleaned {source}: dropped {len(pieces)} piece(s) of page furniture, e.g. "
                         f"{_preview(pieces[0])!r}")
        lines += [f"skipped {s.source}: {s.reason}" for s in self.skipped]
        return "\n".join(lines)


def index_hash(article: Article, target_words: int, overlap: int) -> str:
    """Changes whenever the stored chunks of ``article`` would differ."""
    return sha256_text(f"{article.content_hash}/{target_words}/{overlap}/{CHUNKER_VERSION}")


def ingest(paths: Sequence[Path], store: Store, embedder: VectorEmbedding, *, chunk_words: int = 90,
           overlap_sentences: int = 1, reset: bool = False, prune: bool = False,
           progress: Callable[[int, int], None] | None = None) -> IngestSummary:
    """Bring the index in line with the articles under ``paths``; see IngestSummary for what it reports."""
    t0 = time.perf_counter()
    summary = IngestSummary()
    if reset:
        store.reset()
    summary.orphans_removed = store.reconcile()
    registered = store.registered()

    articles: dict[str, Article] = {}
    for item in iter_documents(list(paths)):
        built = item if isinstance(item, Skipped) else build_article(item)
        if isinstance(built, Skipped):
            summary.skipped.append(built)
            continue
        articles[built.doc_id] = built
        if built.dropped:
            summary.dropped[built.source] = built.dropped

    todo: list[tuple[Article, str]] = []
    for a in articles.values():
        h = index_hash(a, chunk_words, overlap_sentences)
        known = registered.get(a.doc_id)
        if known is not None and known.get("content_hash") == h:
            summary.unchanged += 1
        else:
            todo.append((a, h))

    for done, (article, h) in enumerate(todo):
        chunks = chunk_article(article, chunk_words, overlap_sentences)
        vectors = embedder.passages([embedding_text(article, c) for c in chunks])
        store.put_article(article, chunks, vectors, content_hash=h)
        summary.chunks_added += len(chunks)
        if article.doc_id in registered:
            summary.changed += 1
        else:
            summary.new += 1
        if progress:
            progress(done + 1, len(todo))

    if prune:
        kept_prefixes = tuple(s.source for s in summary.skipped)
        for doc_id, meta in registered.items():
            source = str(meta.get("source", ""))
            if doc_id not in articles and not _protected(source, kept_prefixes):
                store.delete_article(doc_id)
                summary.removed += 1

    if todo or summary.removed or summary.orphans_removed or reset:
        store.bump_generation()
    summary.seconds = time.perf_counter() - t0
    return summary


def _protected(source: str, skipped: tuple[str, ...]) -> bool:
    """An article whose file could not be read this time is kept: a read error must not delete data."""
    return any(source == s or source.startswith(s.split("#")[0] + "#") for s in skipped)


def _preview(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
