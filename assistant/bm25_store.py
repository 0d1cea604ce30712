"""The BM25 index on disk (``INDEX_DIR/bm25``): segments listed by a manifest, one writer, any number of readers.

Readers (every API worker on the machine, ``assistant search``) memory-map the segments the manifest lists and
reload when it is replaced, so starting costs milliseconds and the pages are shared between processes. A
writer (an ingest, the upload worker, or a reader catching up) holds ``write.lock`` (``flock``), writes new
segments and deletion masks, then replaces the manifest atomically; a reader never sees half a change.

The index follows the store's article registry: ``sync`` compares the content hash of every registered
article with the one indexed and adds, replaces or deletes only the articles that differ. The manifest records
the store generation it is in line with; a reader whose store has moved on syncs on its next search (when no
one else is writing), so workers with their own index folder on a shared Chroma server follow each other's
ingests, and an interrupted ingest is repaired. An ingest feeds the index as it stores articles.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np

from assistant.bm25 import Segment, View
from assistant.bm25_write import DocTokens, merge_segments, tokenize, write_segment

log = logging.getLogger(__name__)

FORMAT = 3
MANIFEST = "manifest.json"
LOCK = "write.lock"
MERGE_RATIO = 4  # merge the newest segment into the one before once it reaches a quarter of its size
SYNC_DOCS = 200  # articles fetched from the store per request while syncing


class BM25Store:
    """The BM25 index folder of one index; ``view`` for searching, ``writer`` for changing it."""

    def __init__(self, root: Path, flush_chunks: int = 20_000) -> None:
        self.root = root
        self.flush_chunks = flush_chunks
        self._view: View | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._lock = threading.Lock()  # guards the loaded view
        self._sync_lock = threading.Lock()  # one thread of this process syncs; others wait for it

    # --- reading ---------------------------------------------------------------------------------
    def view(self) -> View:
        """The index as the manifest lists it now (reloaded only when the manifest was replaced)."""
        with self._lock:
            return self._load()

    def current(self, store: Any) -> View:
        """The view for the store's current generation: synced first if the store moved on, unless another
        writer (an ingest) is at work, whose segments then show as it writes them."""
        generation = store.generation()
        view = self.view()
        if view.generation == generation:
            return view
        with self._sync_lock:
            view = self.view()
            if view.generation == store.generation():
                return view
            with self.writer(wait=False) as writer:
                if writer is None:
                    return view
                added, removed = writer.sync(store)
                log.info("BM25 index synced with the store: %d articles added or replaced, %d removed", added, removed)
            return self.view()

    def _manifest_path(self) -> Path:
        return self.root / MANIFEST

    def _load(self) -> View:
        for _ in range(5):  # a writer may replace the files between our reads: read the new manifest then
            stamp = _stamp(self._manifest_path())
            if self._view is not None and stamp == self._stamp:
                return self._view
            try:
                manifest = read_manifest(self.root)
                segments = [Segment(self.root / s["name"]) for s in manifest["segments"]]
                alive = [None if not s.get("deleted") else ~np.load(self.root / s["name"] / s["deleted"])
                         for s in manifest["segments"]]
            except FileNotFoundError:
                continue
            self._view, self._stamp = View(segments, alive, manifest["generation"]), stamp
            return self._view
        raise RuntimeError(f"the BM25 index {self.root} keeps changing under the reader")

    # --- writing ---------------------------------------------------------------------------------
    @contextmanager
    def writer(self, wait: bool = True) -> Iterator[BM25Writer | None]:
        """The writer, holding the write lock (``None`` when ``wait=False`` and another writer holds it)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with (self.root / LOCK).open("a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield None
                return
            try:
                yield BM25Writer(self, fh)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


class BM25Writer:
    """Adds and deletes articles; ``flush`` makes the changes visible, ``commit`` also records the generation."""

    def __init__(self, store: BM25Store, lock: IO[str]) -> None:
        self.store = store
        self.root = store.root
        self._lock = lock
        manifest = read_manifest(self.root)
        self.generation: str = manifest["generation"]
        self.entries: list[dict[str, Any]] = [dict(s) for s in manifest["segments"]]
        self.segments = [Segment(self.root / s["name"]) for s in self.entries]
        self.deleted = [np.zeros(seg.n, bool) if not s.get("deleted") else np.load(self.root / s["name"] / s["deleted"])
                        for seg, s in zip(self.segments, self.entries, strict=True)]
        self._dirty: set[int] = set()
        self._pending: list[DocTokens] = []
        self._pending_chunks = 0
        self._docs: dict[str, tuple[str, str]] | None = None  # doc_id -> (segment name, content hash)
        self._garbage: list[Path] = []

    # --- what is indexed -----------------------------------------------------------------------
    def docs(self) -> dict[str, tuple[str, str]]:
        """doc_id -> (segment name, content hash) of every article the index holds."""
        if self._docs is None:
            docs: dict[str, tuple[str, str]] = {}
            for entry, seg, deleted in zip(self.entries, self.segments, self.deleted, strict=True):
                alive_docs = np.unique(seg.chunk_doc[~deleted])
                for d, h in zip(seg.doc_ids[alive_docs].tolist(), seg.doc_hash[alive_docs].tolist(), strict=True):
                    docs[d.decode()] = (entry["name"], h.decode())
            for doc in self._pending:
                docs[doc.doc_id] = ("", doc.content_hash)
            self._docs = docs
        return self._docs

    # --- changes ----------------------------------------------------------------------------------
    def add(self, docs: Iterable[DocTokens]) -> None:
        """Add articles, replacing what is indexed under their ids (unless it has the same content hash)."""
        have = self.docs()
        fresh = [d for d in docs if have.get(d.doc_id, ("", None))[1] != d.content_hash]
        self.remove([d.doc_id for d in fresh if d.doc_id in have])
        for d in fresh:
            self._pending.append(d)
            self._pending_chunks += len(d.chunks)
            have[d.doc_id] = ("", d.content_hash)
        if self._pending_chunks >= self.store.flush_chunks:
            self.flush()

    def remove(self, doc_ids: Iterable[str]) -> int:
        """Delete articles; returns how many were indexed."""
        have = self.docs()
        by_segment: dict[str, list[bytes]] = {}
        pending_gone: set[str] = set()
        for doc_id in doc_ids:
            found = have.pop(doc_id, None)
            if found is None:
                continue
            if found[0]:
                by_segment.setdefault(found[0], []).append(doc_id.encode())
            else:
                pending_gone.add(doc_id)
        if pending_gone:
            self._pending = [d for d in self._pending if d.doc_id not in pending_gone]
            self._pending_chunks = sum(len(d.chunks) for d in self._pending)
        for i, entry in enumerate(self.entries):
            gone = by_segment.get(entry["name"])
            if gone:
                seg = self.segments[i]
                rows = np.flatnonzero(np.isin(seg.doc_ids, gone))
                self.deleted[i] |= np.isin(seg.chunk_doc, rows)
                self._dirty.add(i)
        return len(pending_gone) + sum(len(v) for v in by_segment.values())

    def flush(self) -> None:
        """Write what was added and deleted, merge small segments, and publish a new manifest."""
        if self._pending:
            name = _new_name("s")
            write_segment(self.root / name, self._pending)
            self._append(name)
            for d in self._pending:
                self.docs()[d.doc_id] = (name, d.content_hash)
            self._pending, self._pending_chunks = [], 0
        self._write_deletions()
        self._publish()  # new articles are searchable before any merge
        if self._merge():
            self._publish()

    def commit(self, generation: str) -> None:
        """Flush, and record that the index is in line with the store at ``generation``."""
        self.generation = generation
        self.flush()

    def sync(self, store: Any, registry: dict[str, dict[str, Any]] | None = None) -> tuple[int, int]:
        """Bring the index in line with ``store``'s registry; returns (articles added or replaced, articles
        removed). Only the articles the store's change log names since this index's generation are compared,
        when the log can tell; else the whole registry (``registry`` if the caller has just read it)."""
        generation = store.generation()
        changed = None if registry is not None or not self.generation else \
            store.changes_since(self.generation, generation)
        have = self.docs()
        if changed is not None:
            registry = store.registered_subset(changed)
            stale = [d for d in changed if d in have and registry.get(d, {}).get("content_hash") != have[d][1]]
        else:
            registry = store.registered() if registry is None else registry
            stale = [d for d, (_, h) in list(have.items()) if registry.get(d, {}).get("content_hash") != h]
        removed = self.remove(stale)
        missing = [d for d in registry if d not in have]
        for lo in range(0, len(missing), SYNC_DOCS):
            found = store.chunks_of(missing[lo : lo + SYNC_DOCS])  # doc_id -> (ids, texts, metadatas)
            self.add(tokenize(d, str(registry[d].get("content_hash", "")), *rows) for d, rows in found.items())
        self.commit(generation)
        return len(missing), removed

    # --- files -------------------------------------------------------------------------------------
    def _append(self, name: str) -> None:
        seg = Segment(self.root / name)
        self.entries.append({"name": name, "deleted": None})
        self.segments.append(seg)
        self.deleted.append(np.zeros(seg.n, bool))

    def _write_deletions(self) -> None:
        for i in sorted(self._dirty):
            entry = self.entries[i]
            name = _new_name("d") + ".npy"
            np.save(self.root / entry["name"] / name, self.deleted[i], allow_pickle=False)
            if entry.get("deleted"):
                self._garbage.append(self.root / entry["name"] / entry["deleted"])
            entry["deleted"] = name
        self._dirty.clear()

    def _merge(self) -> bool:
        """Merge the newest segments while they come close in size to the one before (so there are few
        segments, and the big one is rewritten only when the index has grown by a quarter); rewrite a segment
        that is mostly deleted. Returns whether anything changed."""
        changed = False
        for i in reversed(range(len(self.entries))):
            alive = int(np.count_nonzero(~self.deleted[i]))
            if alive == 0:
                self._drop([i])
                changed = True
            elif alive < 0.66 * self.segments[i].n and self.segments[i].n >= 1000:
                self._replace([i])
                changed = True
        while len(self.entries) >= 2:
            older, newer = (int(np.count_nonzero(~d)) for d in self.deleted[-2:])
            if newer * MERGE_RATIO < older:
                break
            self._replace([len(self.entries) - 2, len(self.entries) - 1])
            changed = True
        return changed

    def _replace(self, idx: list[int]) -> None:
        name = _new_name("s")
        merge_segments(self.root / name, [(self.segments[i], ~self.deleted[i]) for i in idx])
        at = idx[0]
        self._drop(idx)
        seg = Segment(self.root / name)
        self.entries.insert(at, {"name": name, "deleted": None})
        self.segments.insert(at, seg)
        self.deleted.insert(at, np.zeros(seg.n, bool))
        self._docs = None

    def _drop(self, idx: list[int]) -> None:
        for i in sorted(idx, reverse=True):
            self._garbage.append(self.root / self.entries[i]["name"])
            del self.entries[i], self.segments[i], self.deleted[i]
        self._docs = None

    def _publish(self) -> None:
        manifest = {"format": FORMAT, "generation": self.generation, "segments": self.entries}
        tmp = self.root / f"{MANIFEST}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(manifest))
        os.replace(tmp, self.root / MANIFEST)
        self._collect_garbage()

    def _collect_garbage(self) -> None:
        """Remove files the manifest no longer lists (readers that still map them keep their pages), files of
        writers that died before publishing, and the pickles of the previous BM25 format."""
        import shutil

        listed = {e["name"] for e in self.entries}
        for path in self._garbage:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        self._garbage.clear()
        for path in self.root.iterdir():
            if path.is_dir() and path.name.startswith("s-") and path.name not in listed:
                shutil.rmtree(path, ignore_errors=True)
            elif path.name.endswith(".tmp"):
                path.unlink(missing_ok=True)
        for old in (self.root.parent / "cache").glob("bm25-v*-*.pkl"):
            old.unlink(missing_ok=True)


def read_manifest(root: Path) -> dict[str, Any]:
    """The manifest, or an empty index's when there is none (or one of another format)."""
    path = root / MANIFEST
    if not path.exists():
        return {"format": FORMAT, "generation": "", "segments": []}
    manifest: dict[str, Any] = json.loads(path.read_text())
    if manifest.get("format") != FORMAT:
        log.warning("BM25 index %s has format %s, not %s: it is built again", root, manifest.get("format"), FORMAT)
        return {"format": FORMAT, "generation": "", "segments": []}
    return manifest


def _stamp(path: Path) -> tuple[int, int, int] | None:
    with contextlib.suppress(FileNotFoundError):
        st = path.stat()
        return st.st_ino, st.st_mtime_ns, st.st_size
    return None


def _new_name(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:16]}"
