"""The one place that builds the ingest pipeline from settings: the CLI, the upload worker, eval and bench use it.

One writer at a time per index: ``Ingester`` holds a thread lock (the upload worker and a delete in the same
server) and an exclusive ``flock`` on ``INDEX_DIR/ingest.lock`` (an ``assistant ingest`` next to the running
server). Chroma keeps a persistent index's vector segments per process, so two processes writing at once
would each save their own version; with the lock the second writer waits, then reopens the index.
"""

from __future__ import annotations

import fcntl
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from assistant.bm25_store import BM25Store
from assistant.embeddings import VectorEmbedding
from assistant.errors import IndexUnusable
from assistant.sentence_vectors import SentenceVectors
from assistant.settings import Settings
from assistant.store import Store
from ingest import readers
from ingest.copies import CopyDetector, CopyPolicy
from ingest.pipeline import ingest
from ingest.summary import IngestSummary, Outcome

log = logging.getLogger(__name__)

UPLOADS = "uploads"  # folder of kept upload originals under the index dir, and the prefix of their sources
LOCK_FILE = "ingest.lock"


def supported_suffixes() -> frozenset[str]:
    """File name endings the readers turn into articles (``.txt``, ``.md``, ``.pdf``, ...)."""
    return frozenset(readers._READERS) | frozenset(readers._FILE_READERS)  # the readers' own tables


@dataclass
class Ingester:
    """The ingest pipeline bound to one index and embedder, with the settings' chunking."""

    store: Store
    embedder: VectorEmbedding
    index_dir: Path
    chunk_words: int = 90
    overlap_sentences: int = 1
    bm25: BM25Store | None = None
    copies: CopyDetector | None = None
    sentences: SentenceVectors | None = None  # the evidence picker's sentence vectors: cleared by a reset
    fill_sentences: bool = True  # and filled at ingest (else only as questions need them)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def uploads_dir(self) -> Path:
        return self.index_dir / UPLOADS

    @contextmanager
    def writing(self, wait_note: Callable[[], None] | None = None) -> Iterator[None]:
        """Be the only writer of the index (this process and others); reopen it if another process wrote."""
        with self._lock:
            self.index_dir.mkdir(parents=True, exist_ok=True)
            with (self.index_dir / LOCK_FILE).open("a+") as fh:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    if wait_note:
                        wait_note()
                    t = time.monotonic()
                    fcntl.flock(fh, fcntl.LOCK_EX)
                    log.info("waited %.1f s for another ingest of %s", time.monotonic() - t, self.index_dir)
                try:
                    self.store.refresh()
                    with self.store.local_write():  # searches in this process must not reopen it under us
                        yield
                finally:
                    fcntl.flock(fh, fcntl.LOCK_UN)

    def ingest(self, paths: Sequence[Path], *, reset: bool = False, prune: bool = False,
               progress: Callable[[int, int], None] | None = None, source_prefix: str | Sequence[str] = "",
               on_outcome: Callable[[Outcome], None] | None = None,
               wait_note: Callable[[], None] | None = None) -> IngestSummary:
        """``ingest.pipeline.ingest`` as the only writer. ``prune`` spares uploaded articles (they are under
        no folder a user ingests) unless the uploads folder itself is one of ``paths``."""
        keep = () if any(Path(p).resolve() == self.uploads_dir.resolve() for p in paths) else (f"{UPLOADS}/",)
        with self.writing(wait_note):
            if reset and self.sentences is not None:
                self.sentences.clear()
            return ingest(paths, self.store, self.embedder, chunk_words=self.chunk_words,
                          overlap_sentences=self.overlap_sentences, reset=reset, prune=prune, progress=progress,
                          bm25=self.bm25, source_prefix=source_prefix, keep_prefixes=keep, on_outcome=on_outcome,
                          copies=self.copies, sentences=self.sentences if self.fill_sentences else None)

    def delete(self, doc_id: str) -> tuple[str, bool] | None:
        """Remove an article and its chunks (dense and BM25 at once) and, for an upload, its kept original,
        so that nothing brings it back; a story of copies it belonged to is shown from another member from
        now on. Returns (source, original removed) or None if it is not indexed."""
        with self.writing():
            found = self.store.document_text(doc_id)
            if found is None:
                return None
            source = found[0].source
            since = self.store.generation()
            self.store.delete_article(doc_id)
            self.store.bump_generation()
            self.store.log_changes(since, [doc_id])
            if self.bm25 is not None:  # gone from BM25 search too, before anyone searches again; a sync, not a
                # bare removal, so what another writer stored since this folder's last update is added too (the
                # change log names only those articles and this one)
                with self.bm25.writer() as writer:
                    assert writer is not None
                    writer.sync(self.store)
            return source, self._remove_original(source)

    def _remove_original(self, source: str) -> bool:
        if not source.startswith(f"{UPLOADS}/"):
            return False  # the user's own file, ingested from a folder: not ours to delete
        file_part = source.split("#", 1)[0]  # "uploads/export.jsonl#3": one article of a JSONL file
        path = (self.index_dir / file_part).resolve()
        if not path.is_relative_to(self.uploads_dir.resolve()) or not path.is_file():
            return False
        if "#" in source and self.store.files_with_articles([file_part]):
            return False  # other articles of the same file are still indexed
        try:
            path.unlink()
        except OSError as e:
            raise IndexUnusable(f"cannot remove the kept original {path} ({e.strerror}); check its permissions") from e
        return True


def build_ingester(settings: Settings, embedder: VectorEmbedding | None = None, store: Store | None = None,
                   bm25: BM25Store | None = None, with_bm25: bool = True, reset: bool = False) -> Ingester:
    """The ingester for ``settings``; the server passes its assistant's embedder, store and BM25 index, so
    that queries and uploads share one model (and its lock) and new articles are searchable at once.
    ``with_bm25=False`` leaves the BM25 index to the first search (the ingest benchmark measures without it).
    ``reset``: the ingest will reset the index, so collections Chroma cannot read are deleted, not refused."""
    from assistant.factory import build_bm25, build_embedder, build_sentence_vectors, build_store, offline_environment

    offline_environment()
    embedder = embedder or build_embedder(settings)
    store = store or build_store(settings, embedder, drop_damaged=reset)
    return Ingester(store, embedder, settings.storage.index_dir, settings.chunk.words, settings.chunk.overlap_sentences,
                    (bm25 or build_bm25(settings)) if with_bm25 else None, build_copy_detector(settings),
                    build_sentence_vectors(settings, embedder), settings.storage.sentence_vectors)


def build_copy_detector(settings: Settings) -> CopyDetector | None:
    """The copy check of ``settings`` (None when ``copies_detect`` is off)."""
    if not settings.copies.detect:
        return None
    return CopyDetector(policy=CopyPolicy(settings.copies.min_containment, settings.copies.window_days))
