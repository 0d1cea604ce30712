"""Ingest: read -> clean -> chunk -> embed -> store as overlapping stages, idempotently and resumably."""

from __future__ import annotations

import contextlib
import logging
import queue
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path

from assistant.bm25_store import BM25Store
from assistant.embeddings import VectorEmbedding
from assistant.sentence_vectors import SentenceVectors
from assistant.store import Store
from ingest.copies import CopyDetector, CopyIndex
from ingest.embed_stage import embed_articles
from ingest.read_stage import Done, RawHashes, Reader, Work
from ingest.stages import END, Pipeline
from ingest.summary import IngestSummary, Outcome
from ingest.write_stage import write_articles

log = logging.getLogger(__name__)
WRITE_CHUNKS = 1000  # chunks written to the store in one call (Chroma's cost is mostly per call; its add batch)
WRITE_WAIT_S = 1.0  # longest an embedded article waits for others to be written with (fewer chunks come slowly)


def _terminate_as_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def stop_on_sigterm() -> None:
    """Make SIGTERM (``kill PID``, a service manager's stop) stop this process's ingest as Ctrl-C does: between
    two Python steps, so the writer finishes the Chroma write it is in (its files are not cut off, see
    bench/SCALING.md). For the main thread of a process whose work is an ingest (the CLI, the bench jobs)."""
    signal.signal(signal.SIGTERM, _terminate_as_interrupt)


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
    what is stored is unchanged next time and costs a hash, not an embedding. They are written several at a time
    (Chroma's cost is mostly per call): once WRITE_CHUNKS chunks are ready, WRITE_WAIT_S after the first of them
    came, and when another stage fails; the outcomes of unchanged or skipped files among them are recorded in
    between, so ``on_outcome`` still hears of every file in file order.

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
    store.add_file_fields(registered)  # items of files from before the field: found by file (uploads)
    since = store.generation()
    reader = Reader(paths, prefixes, registered, chunk_words, overlap_sentences, with_tokens=bm25 is not None,
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
        pipeline.start("embed", lambda: embed_articles(embedder, read, embedded))
        held: list[Work | Done] = []  # embedded articles to write, with the outcomes known in between (file order)
        due = 0.0  # when the articles held are written even if fewer than WRITE_CHUNKS chunks are ready

        def finish(done: Done) -> None:
            if done.skipped is not None:
                summary.skipped.append(done.skipped)
            summary.unchanged += done.outcome.status == "unchanged"
            record(done.outcome)

        def write() -> None:
            nonlocal changed
            if not held:
                return
            if not changed:  # before the first write: caches (BM25) must not outlive an interrupted ingest
                store.bump_generation()
                changed = True
            ready = [w for w in held if isinstance(w, Work)]
            rest = deque(held)

            def in_order(outcome: Outcome) -> None:  # write_articles records its articles in order
                while isinstance(done := rest.popleft(), Done):
                    finish(done)
                record(outcome)

            store.mark_writing([w.article.doc_id for w in ready])
            write_articles(ready, store, registered, lexical, summary, in_order, copies, load_copies(), sentences)
            for done in rest:  # the outcomes known after the last of them
                assert isinstance(done, Done)
                finish(done)
            held.clear()
            if progress:
                progress(summary.new + summary.changed, reader.to_embed)

        def next_item() -> object:
            """The embed stage's next item; meanwhile the held articles are written when they are due, and when
            another stage failed (what it embedded is kept; its error then goes on)."""
            while True:
                try:
                    return embedded.get(timeout=max(0.0, due - time.monotonic()) if held else None)
                except queue.Empty:
                    write()
                except Exception:
                    write()
                    raise

        while (item := next_item()) is not END:
            if isinstance(item, list):  # embedded articles: written together, WRITE_CHUNKS or WRITE_WAIT_S at a time
                if not held:
                    due = time.monotonic() + WRITE_WAIT_S
                held.extend(item)
                if sum(len(w.chunks) for w in held if isinstance(w, Work)) >= WRITE_CHUNKS:
                    write()
            elif isinstance(item, Done):  # unchanged or skipped: recorded after the articles before it are written
                if held:
                    held.append(item)
                else:
                    finish(item)
            elif isinstance(item, RawHashes):
                write()  # what came before it first, as before any item that is not an article
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


def _protected(source: str, skipped: tuple[str, ...]) -> bool:
    """An article whose file could not be read this time is kept: a read error must not delete data."""
    return any(source == s or source.startswith(s.split("#")[0] + "#") for s in skipped)
