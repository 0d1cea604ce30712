"""Ingest: read -> clean -> chunk -> embed -> store, idempotently (unchanged articles cost a hash, not an embedding)."""

from __future__ import annotations

import hashlib
import importlib
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from assistant.bm25 import BM25Cache
from assistant.embeddings import VectorEmbedding
from assistant.models import Article, sha256_text
from assistant.store import Store
from ingest.chunking import chunk_article, embedding_text
from ingest.copies import CopyDetector
from ingest.metadata import article_id, build_article
from ingest.readers import RawDoc, Skipped, iter_documents

log = logging.getLogger(__name__)
CHUNKER_VERSION = 1


Status = str  # "new" | "changed" | "unchanged" | "skipped" | "removed"


@dataclass(frozen=True)
class Outcome:
    """What one ingest run did with one article (or one unusable file or line)."""

    source: str
    status: Status
    doc_id: str | None = None
    chunks: int = 0
    reason: str | None = None  # why it was skipped
    story_id: str | None = None  # the story of copies it belongs to (ingest/copies.py)


@dataclass
class IngestSummary:
    """What one ingest run did, in counts and per article (``outcomes``, in the order they happened)."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    removed: int = 0
    chunks_added: int = 0
    orphans_removed: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    dropped: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0
    outcomes: list[Outcome] = field(default_factory=list)
    copies: int = 0  # new or changed articles that belong to a story of copies
    copy_check_s: float = 0.0  # time spent recognising copies

    def report(self) -> str:
        lines = [
            f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged, {self.removed} removed; "
            f"{self.chunks_added} chunks embedded, {len(self.skipped)} skipped ({self.seconds:.1f} s)"
        ]
        if self.copies:
            lines.append(f"{self.copies} article(s) recognised as copies or versions of one story "
                         f"({self.copy_check_s:.2f} s)")
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


# The code that turns a file into an Article and chunks. Any change to it makes every raw hash new, so the
# next ingest cleans every file again (and still embeds only the articles whose chunks changed).
_READ_CODE = ("ingest.readers", "ingest.records", "ingest.sniff", "ingest.documents", "ingest.pdf_text",
              "ingest.feeds", "ingest.clean", "ingest.metadata", "ingest.chunking", "assistant.text",
              "assistant.models")


@lru_cache(maxsize=1)
def code_fingerprint() -> str:
    digest = hashlib.sha256()
    for name in _READ_CODE:
        module = importlib.import_module(name)
        digest.update(Path(str(module.__file__)).read_bytes())
    return digest.hexdigest()[:16]


def raw_hash(raw: RawDoc, target_words: int, overlap: int) -> str:
    """Changes whenever the file's text, the metadata given with it, the chunking settings or the ingest code
    change: an article with a known raw hash is up to date without cleaning or language detection."""
    given = "\x1f".join(str(v) for v in (raw.source, raw.title, raw.outlet, raw.date, raw.url, raw.language))
    if raw.page_starts:
        given += "\x1d" + ",".join(map(str, raw.page_starts))
    settings = f"{code_fingerprint()}/{target_words}/{overlap}/{CHUNKER_VERSION}"
    return sha256_text(f"{settings}\x1e{given}\x1e{raw.text}")


def ingest(paths: Sequence[Path], store: Store, embedder: VectorEmbedding, *, chunk_words: int = 90,
           overlap_sentences: int = 1, reset: bool = False, prune: bool = False,
           progress: Callable[[int, int], None] | None = None, bm25: BM25Cache | None = None,
           source_prefix: str | Sequence[str] = "", keep_prefixes: Sequence[str] = (),
           on_outcome: Callable[[Outcome], None] | None = None,
           copies: CopyDetector | None = None) -> IngestSummary:
    """Bring the index in line with the articles under ``paths``; see IngestSummary for what it reports.

    With ``bm25``, the BM25 file of the index's current generation is made sure to exist, so a server using
    that cache loads it from disk (0.1 s at 100k chunks) instead of building it in a request (~20 s).
    ``source_prefix`` (one for all paths, or one per path) is put before every source read from them
    (uploads are ``uploads/NAME``); ``prune`` never removes articles whose source starts with one of
    ``keep_prefixes``. ``on_outcome`` hears of every article as soon as it is final (stored or skipped).
    With ``copies``, every new or changed article is checked for being a copy of a stored one (or of one
    ingested before it in this run) and joins that story."""
    t0 = time.perf_counter()
    summary = IngestSummary()
    prefixes = [source_prefix] * len(paths) if isinstance(source_prefix, str) else list(source_prefix)
    if len(prefixes) != len(paths):
        raise ValueError("source_prefix needs one prefix per path")

    def record(outcome: Outcome) -> None:
        summary.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    if reset:
        store.reset()
    registered = store.registered()
    summary.orphans_removed = store.reconcile(registered)  # removes chunks only: the registry stays valid

    seen: set[str] = set()
    articles: dict[str, tuple[Article, str]] = {}
    for item in _prefixed(paths, prefixes):
        if isinstance(item, Skipped):
            summary.skipped.append(item)
            record(Outcome(item.source, "skipped", reason=item.reason))
            continue
        doc_id, rh = article_id(item.source), raw_hash(item, chunk_words, overlap_sentences)
        seen.add(doc_id)
        known = registered.get(doc_id)
        if known is not None and known.get("raw_hash") == rh:
            summary.unchanged += 1  # same input, same code: no cleaning, no language detection, no embedding
            record(Outcome(item.source, "unchanged", doc_id, int(known.get("chunks", 0))))
            continue
        built = build_article(item)
        if isinstance(built, Skipped):
            summary.skipped.append(built)
            record(Outcome(built.source, "skipped", doc_id, reason=built.reason))
            continue
        articles[built.doc_id] = (built, rh)
        if built.dropped:
            summary.dropped[built.source] = built.dropped

    todo: list[tuple[Article, str, str]] = []
    up_to_date: dict[str, str] = {}
    for a, rh in articles.values():
        h = index_hash(a, chunk_words, overlap_sentences)
        known = registered.get(a.doc_id)
        if known is not None and known.get("content_hash") == h:
            summary.unchanged += 1
            up_to_date[a.doc_id] = rh  # e.g. the first run after a code change: next time it is skipped early
            record(Outcome(a.source, "unchanged", a.doc_id, int(known.get("chunks", 0))))
        else:
            todo.append((a, h, rh))
    store.set_raw_hashes(up_to_date)

    if todo:
        # also before the first write: caches built on the index (BM25) must not outlive an interrupted ingest
        store.bump_generation()
    # --- copies of one story (issue 12.1): the stored signatures, loaded only when there is work ---
    copy_index = None
    if copies is not None and (todo or copies.needs_load(registered)):
        t_copies = time.perf_counter()
        copy_index = copies.load(store, registered)
        summary.copy_check_s += time.perf_counter() - t_copies
    for done, (article, h, rh) in enumerate(todo):
        chunks = chunk_article(article, chunk_words, overlap_sentences)
        vectors = embedder.passages([embedding_text(article, c) for c in chunks])
        fields = None
        if copies is not None and copy_index is not None:
            t_copies = time.perf_counter()
            fields = copies.assign(copy_index, article)
            summary.copy_check_s += time.perf_counter() - t_copies
        store.put_article(article, chunks, vectors, content_hash=h, raw_hash=rh,
                          replace=article.doc_id in registered,  # reconcile left no unregistered chunks
                          copy_fields=fields)
        story = fields.get("story_id") if fields else None
        if copies is not None and copy_index is not None and fields is not None:
            copies.stored(store, copy_index, article, fields, (registered.get(article.doc_id) or {}).get("story_id"))
            summary.copies += bool(story)
        summary.chunks_added += len(chunks)
        if article.doc_id in registered:
            summary.changed += 1
        else:
            summary.new += 1
        record(Outcome(article.source, "changed" if article.doc_id in registered else "new", article.doc_id,
                       len(chunks), story_id=story))
        if progress:
            progress(done + 1, len(todo))
    if copies is not None and copy_index is not None:
        t_copies = time.perf_counter()
        copies.flush(store, copy_index)  # the labels of first printings that a later copy matched
        summary.copy_check_s += time.perf_counter() - t_copies

    if prune:
        kept_prefixes = tuple(s.source for s in summary.skipped)
        for doc_id, meta in registered.items():
            source = str(meta.get("source", ""))
            if doc_id not in seen and not _protected(source, kept_prefixes) \
                    and not source.startswith(tuple(keep_prefixes)):
                store.delete_article(doc_id)
                summary.removed += 1
                record(Outcome(source, "removed", doc_id))

    if todo or summary.removed or summary.orphans_removed or reset or copy_index is not None:
        store.bump_generation()
    if bm25 is not None:
        bm25.ensure_saved(store.generation(), store.all_chunks)
    summary.seconds = time.perf_counter() - t0
    return summary


def _prefixed(paths: Sequence[Path], prefixes: list[str]) -> Iterator[RawDoc | Skipped]:
    for path, prefix in zip(paths, prefixes, strict=True):
        for item in iter_documents([Path(path)]):
            yield replace(item, source=prefix + item.source) if prefix else item


def _protected(source: str, skipped: tuple[str, ...]) -> bool:
    """An article whose file could not be read this time is kept: a read error must not delete data."""
    return any(source == s or source.startswith(s.split("#")[0] + "#") for s in skipped)


def _preview(text: str, n: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"
