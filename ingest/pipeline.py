"""Ingest: read -> clean -> chunk -> embed -> store as overlapping stages, idempotently and resumably (unchanged
articles cost a hash, not an embedding)."""

from __future__ import annotations

import contextlib
import importlib
import logging
import queue
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np

from assistant.bm25_store import BM25Store, BM25Writer
from assistant.bm25_write import DocTokens, tokenize
from assistant.code_version import files_hash
from assistant.embeddings import VectorEmbedding
from assistant.evidence import article_sentence_texts
from assistant.models import Article, Chunk, sha256_text
from assistant.sentence_vectors import SentenceVectors
from assistant.store import Store, StoredArticle
from assistant.store_rows import chunk_rows
from ingest.chunking import chunk_article, embedding_text
from ingest.copies import CopyDetector, CopyIndex
from ingest.metadata import article_id, build_article
from ingest.minhash import Signature
from ingest.readers import iter_documents
from ingest.records import RawDoc, Skipped
from ingest.stages import END, Channel, Pipeline

log = logging.getLogger(__name__)
CHUNKER_VERSION = 1
WRITE_CHUNKS = 512  # chunks written to the store in one call while more embedded articles are waiting


Status = Literal["new", "changed", "unchanged", "skipped", "removed"]


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
    sentences_added: int = 0  # sentence vectors embedded for the evidence picker (assistant/sentence_vectors.py)

    def report(self) -> str:
        lines = [
            f"{self.new} new, {self.changed} changed, {self.unchanged} unchanged, {self.removed} removed; "
            f"{self.chunks_added} chunks embedded, {len(self.skipped)} skipped ({self.seconds:.1f} s)"
        ]
        if self.sentences_added:
            lines.append(f"{self.sentences_added} sentences embedded for evidence")
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
    return files_hash((name, Path(str(importlib.import_module(name).__file__))) for name in _READ_CODE)


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
           progress: Callable[[int, int], None] | None = None, bm25: BM25Store | None = None,
           source_prefix: str | Sequence[str] = "", keep_prefixes: Sequence[str] = (),
           on_outcome: Callable[[Outcome], None] | None = None, queue_articles: int = 64,
           copies: CopyDetector | None = None, sentences: SentenceVectors | None = None) -> IngestSummary:
    """Bring the index in line with the articles under ``paths``; see IngestSummary for what it reports.

    Three stages overlap, joined by queues of at most ``queue_articles`` items: reading and cleaning (a thread),
    embedding (a thread keeping ``embedder.max_in_flight`` batches going) and writing to the store (this
    thread), so the embedder never waits for the files or for Chroma. Articles are written in the order they
    were read, each one complete (its registry record last), so an interrupted ingest resumes where it stopped:
    what is stored is unchanged next time and costs a hash, not an embedding.

    With ``bm25``, the BM25 index on disk is brought in line with the store first (repairing an interrupted
    run) and then gets every stored article at once, so a server sharing the index folder searches them without
    building anything. ``source_prefix`` (one for all paths, or one per path) is put before every source read
    from them (uploads are ``uploads/NAME``); ``prune`` never removes articles whose source starts with one of
    ``keep_prefixes``. ``on_outcome`` hears of every article as soon as it is final (stored or skipped), in the
    order the files were read; ``progress(done, total)`` counts articles stored of those found to need it so far.

    With ``copies``, every new or changed article is checked for being a copy of a stored one (or of one
    ingested before it in this run) and joins that story: the read stage signs it (MinHash), the store stage
    decides its story in file order and writes the story with the article (registry record and chunks).

    With ``sentences``, the sentence texts the evidence picker embeds for an article's passages are embedded with
    its chunks (those not kept already) and kept there before the article is written, so that answering a
    question embeds only the question.
    """
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
    since = store.generation()
    reader = _Reader(paths, prefixes, registered, chunk_words, overlap_sentences, with_tokens=bm25 is not None,
                     copies=copies, sentences=sentences)
    changed = False
    copy_index: CopyIndex | None = None

    def load_copies() -> CopyIndex | None:
        """The stored signatures, loaded once: at the first write, or at the end when the registry needs
        signatures or story labels although nothing was written (an index built without the check)."""
        nonlocal copy_index
        if copies is not None and copy_index is None:
            t = time.perf_counter()
            copy_index = copies.load(store, registered)
            summary.copy_check_s += time.perf_counter() - t
        return copy_index
    with (bm25.writer() if bm25 is not None else contextlib.nullcontext()) as lexical, Pipeline() as pipeline:
        if lexical is not None:
            lexical.sync(store, registered)
        read, embedded = pipeline.channel(queue_articles), pipeline.channel(queue_articles)
        pipeline.start("read", lambda: reader.run(read))
        pipeline.start("embed", lambda: _embed(embedder, read, embedded))
        ready: list[_Work] = []

        def write() -> None:
            nonlocal changed
            if not ready:
                return
            if not changed:  # before the first write: caches (BM25) must not outlive an interrupted ingest
                store.bump_generation()
                changed = True
            store.mark_writing([w.article.doc_id for w in ready])
            _store(ready, store, registered, lexical, summary, record, copies, load_copies(), sentences)
            ready.clear()
            if progress:
                progress(summary.new + summary.changed, reader.to_embed)

        for item in embedded:
            if isinstance(item, list):  # embedded articles: written together while more are waiting
                ready.extend(item)
                if sum(len(w.chunks) for w in ready) >= WRITE_CHUNKS or embedded.empty():
                    write()
                continue
            write()  # what came before this item first: outcomes stay in file order
            if isinstance(item, _Done):
                if item.skipped is not None:
                    summary.skipped.append(item.skipped)
                summary.unchanged += item.outcome.status == "unchanged"
                record(item.outcome)
            elif isinstance(item, _RawHashes):
                store.set_raw_hashes(item.hashes)
        write()
        pipeline.check()
        summary.copy_check_s += reader.sign_s
        if copies is not None and (copy_index is not None or copies.needs_load(registered)):
            t = time.perf_counter()
            index = load_copies()  # never None here: the copy check is on
            if index is not None:
                copies.flush(store, index)  # the labels of first printings that a later copy matched
            summary.copy_check_s += time.perf_counter() - t
        if prune:
            kept_prefixes = tuple(s.source for s in summary.skipped)
            gone = []
            for doc_id, meta in registered.items():
                source = str(meta.get("source", ""))
                if doc_id not in reader.seen and not _protected(source, kept_prefixes) \
                        and not source.startswith(tuple(keep_prefixes)):
                    store.delete_article(doc_id)
                    gone.append(doc_id)
                    summary.removed += 1
                    record(Outcome(source, "removed", doc_id))
            if lexical is not None:
                lexical.remove(gone)
        if changed or summary.removed or summary.orphans_removed or reset or copy_index is not None:
            store.bump_generation()  # also for story labels alone: a server reopens the index and sees them
            if not (summary.orphans_removed or reset):  # followers (other workers' BM25) read only these
                store.log_changes(since, [o.doc_id for o in summary.outcomes if o.doc_id and o.status in
                                          ("new", "changed", "removed")])
        if changed:
            store.mark_writing([])
        if lexical is not None:
            lexical.commit(store.generation())
    summary.seconds = time.perf_counter() - t0
    return summary


@dataclass
class _Done:
    """An article (or unusable file) whose outcome is known without embedding: unchanged or skipped."""

    outcome: Outcome
    skipped: Skipped | None = None


@dataclass
class _RawHashes:
    """Registered articles whose chunks are up to date: record their new raw hash (first run after a code change)."""

    hashes: dict[str, str]


@dataclass
class _Work:
    """An article to embed and store."""

    article: Article
    content_hash: str
    raw_hash: str
    chunks: list[Chunk]
    texts: list[str]
    lexical: DocTokens | None
    signature: Signature | None = None  # for the copy check
    vectors: np.ndarray | None = None
    sentence_texts: list[str] = field(default_factory=list)  # for the evidence picker, not kept yet
    sentence_vectors: np.ndarray | None = None

    @property
    def all_texts(self) -> list[str]:
        """What the embed stage embeds for this article: its chunks, then its sentences."""
        return self.texts + self.sentence_texts


_QUEUED_LIMIT = 200_000  # sentence texts remembered as queued (~50 MB); those written are found in the store


class _Reader:
    """The first stage: reads, cleans and chunks the files; passes on what needs embedding, in file order."""

    def __init__(self, paths: Sequence[Path], prefixes: list[str], registered: dict[str, dict[str, Any]],
                 chunk_words: int, overlap: int, with_tokens: bool, copies: CopyDetector | None = None,
                 sentences: SentenceVectors | None = None) -> None:
        self.paths, self.prefixes, self.registered = paths, prefixes, registered
        self.chunk_words, self.overlap, self.with_tokens = chunk_words, overlap, with_tokens
        self.copies = copies
        self.sentences = sentences
        self.queued: set[str] = set()  # sentence texts passed on to be embedded in this run
        self.seen: set[str] = set()
        self.to_embed = 0
        self.sign_s = 0.0  # time spent on MinHash signatures

    def run(self, out: Channel) -> None:
        up_to_date: dict[str, str] = {}
        for item in _prefixed(self.paths, self.prefixes):
            if isinstance(item, Skipped):
                out.put(_Done(Outcome(item.source, "skipped", reason=item.reason), item))
                continue
            doc_id, rh = article_id(item.source), raw_hash(item, self.chunk_words, self.overlap)
            if doc_id in self.seen:
                continue  # the same file given twice
            self.seen.add(doc_id)
            known = self.registered.get(doc_id)
            if known is not None and known.get("raw_hash") == rh:
                # same input, same code: no cleaning, no language detection, no embedding
                out.put(_Done(Outcome(item.source, "unchanged", doc_id, int(known.get("chunks", 0)))))
                continue
            built = build_article(item)
            if isinstance(built, Skipped):
                out.put(_Done(Outcome(built.source, "skipped", doc_id, reason=built.reason), built))
                continue
            h = index_hash(built, self.chunk_words, self.overlap)
            if known is not None and known.get("content_hash") == h:
                up_to_date[doc_id] = rh  # e.g. the first run after a code change: next time it is skipped early
                out.put(_Done(Outcome(built.source, "unchanged", doc_id, int(known.get("chunks", 0)))))
                if len(up_to_date) >= 1000:
                    out.put(_RawHashes(up_to_date))
                    up_to_date = {}
                continue
            chunks = chunk_article(built, self.chunk_words, self.overlap)
            lexical = tokenize(doc_id, h, *chunk_rows(built, chunks)) if self.with_tokens else None
            signature = None
            if self.copies is not None:
                # CPU time of this thread: wall time here would count the waits for the GIL that the embed
                # and write stages hold meanwhile (430 s instead of ~6 s of signing at 10k articles)
                t = time.thread_time()
                signature = self.copies.sign(built)
                self.sign_s += time.thread_time() - t
            self.to_embed += 1
            out.put(_Work(built, h, rh, chunks, [embedding_text(built, c) for c in chunks], lexical, signature,
                          sentence_texts=self._sentence_texts(built, chunks)))
        if up_to_date:
            out.put(_RawHashes(up_to_date))
        out.put(END)

    def _sentence_texts(self, article: Article, chunks: list[Chunk]) -> list[str]:
        """The evidence picker's texts for the article's passages that are neither kept nor queued already (a
        changed article's unchanged sentences, a copy's shared ones); none when the store cannot be read."""
        if self.sentences is None:
            return []
        texts = [t for t in article_sentence_texts(article.title, article.text, chunks) if t not in self.queued]
        known = self.sentences.known(texts)
        if known is None:
            return []
        texts = [t for t in texts if t not in known]
        if len(self.queued) > _QUEUED_LIMIT:  # bounded on a million articles; beyond it a repeat is re-embedded
            self.queued.clear()
        self.queued.update(texts)
        return texts


def _embed(embedder: VectorEmbedding, read: Channel, out: Channel) -> None:
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
                item = read.get(block=not texts)  # with texts waiting, do not sit on them: send them
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
            if isinstance(item, _Work):
                texts += item.all_texts
            if len(texts) >= embedder.passage_batch:
                submit()
            emit(wait=False)
        out.put(END)
        pool.shutdown(wait=True)


def _pass_on(items: list[Any], vectors: np.ndarray | None, out: Channel) -> None:
    """Hand a batch's articles, with their vectors, and the items between them to the writer, in order."""
    at = 0
    run: list[_Work] = []
    for item in items:
        if isinstance(item, _Work):
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


def _store(works: list[_Work], store: Store, registered: dict[str, dict[str, Any]], lexical: BM25Writer | None,
           summary: IngestSummary, record: Callable[[Outcome], None], copies: CopyDetector | None = None,
           copy_index: CopyIndex | None = None, sentences: SentenceVectors | None = None) -> None:
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
