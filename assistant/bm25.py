"""A BM25 index over all chunks with language-aware (Snowball) tokens, cached on disk per index generation."""

from __future__ import annotations

import logging
import os
import pickle
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from assistant.filters import matches
from assistant.lexicon import german_words
from assistant.models import Filters
from assistant.text import bm25_tokens

log = logging.getLogger(__name__)
_FORMAT = 2  # bump when the on-disk layout or tokenisation changes


@dataclass
class BM25Index:
    """Term-weight matrix (terms x chunks); a query sums the rows of its terms."""

    ids: list[str]
    metas: list[dict[str, Any]]
    vocab: dict[str, int]
    weights: sparse.csr_matrix  # shape (n_terms, n_chunks)
    languages: set[str] = field(default_factory=set)

    @classmethod
    def build(cls, batches: Iterable[tuple[list[str], list[str], list[dict[str, Any]]]],
              k1: float = 1.2, b: float = 0.75) -> BM25Index:
        ids: list[str] = []
        metas: list[dict[str, Any]] = []
        vocab: dict[str, int] = {}
        rows: list[int] = []
        cols: list[int] = []
        vals: list[float] = []
        lengths: list[int] = []
        for batch_ids, texts, batch_metas in batches:
            for cid, text, meta in zip(batch_ids, texts, batch_metas, strict=True):
                col = len(ids)
                ids.append(cid)
                keep = {k: meta[k] for k in ("source", "language", "outlet_key", "date_lo", "date_hi") if k in meta}
                metas.append(keep)
                # the title is part of what a chunk is about (it is embedded with it too)
                toks = bm25_tokens(f"{meta.get('title', '')}\n{text}", meta.get("language", "de"))
                lengths.append(len(toks))
                counts: dict[int, int] = {}
                for t in toks:
                    tid = vocab.setdefault(t, len(vocab))
                    counts[tid] = counts.get(tid, 0) + 1
                for term, tf in counts.items():
                    rows.append(term)
                    cols.append(col)
                    vals.append(tf)
        n = len(ids)
        tf = sparse.csr_matrix((np.asarray(vals, dtype=np.float32), (rows, cols)), shape=(len(vocab), n))
        if n:
            dl = np.asarray(lengths, dtype=np.float32)
            avgdl = max(float(dl.mean()), 1.0)
            df = np.diff(tf.indptr).astype(np.float32)  # rows are terms: nnz per row = document frequency
            idf = np.log(1.0 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
            coo = tf.tocoo()
            norm = k1 * (1 - b + b * dl[coo.col] / avgdl)
            w = idf[coo.row] * coo.data * (k1 + 1) / (coo.data + norm)
            tf = sparse.csr_matrix((w.astype(np.float32), (coo.row, coo.col)), shape=tf.shape)
        langs = {m.get("language", "de") for m in metas}
        return cls(ids=ids, metas=metas, vocab=vocab, weights=tf, languages=langs)

    def query_terms(self, query: str, query_language: str) -> list[int]:
        terms = set(bm25_tokens(query, query_language))
        for lang in self.languages - {query_language}:
            terms |= set(bm25_tokens(query, lang))  # stems as the chunks' own language produces them
        if query_language == "en" and "de" in self.languages:
            # English words the glossary knows, in German ("fuel cells" -> Brennstoffzellen), so that an English
            # question meets German passages on more than names and numbers
            terms |= set(bm25_tokens(" ".join(german_words(query)), "de"))
        return sorted(self.vocab[t] for t in terms if t in self.vocab)

    def search(self, query: str, query_language: str, k: int,
               filters: Filters | None = None) -> list[tuple[str, float]]:
        """The ``k`` best (chunk_id, score) pairs with a positive score."""
        rows = self.query_terms(query, query_language)
        if not rows or not self.ids:
            return []
        scores = np.asarray(self.weights[rows].sum(axis=0)).ravel()
        positive = np.flatnonzero(scores > 0)
        if positive.size == 0:
            return []
        order = positive[np.argsort(-scores[positive], kind="stable")]
        out: list[tuple[str, float]] = []
        for i in order:
            if matches(self.metas[i], filters):
                out.append((self.ids[i], float(scores[i])))
                if len(out) >= k:
                    break
        return out


class BM25Cache:
    """Loads the BM25 index for the current store generation from disk, or builds and saves it."""

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir
        self._generation: str | None = None
        self._index: BM25Index | None = None
        self._lock = threading.Lock()  # concurrent first requests build the index once, not once each

    def get(self, generation: str, batches_factory: Any) -> BM25Index:
        with self._lock:
            return self._get(generation, batches_factory)

    def ensure_saved(self, generation: str, batches_factory: Any) -> None:
        """Make sure the file for ``generation`` exists (build and save it if not) without loading it."""
        with self._lock:
            if not self._path(generation).exists():
                self._get(generation, batches_factory)

    def _path(self, generation: str) -> Path:
        return self.cache_dir / f"bm25-v{_FORMAT}-{generation}.pkl"

    def _get(self, generation: str, batches_factory: Any) -> BM25Index:
        if self._index is not None and self._generation == generation:
            return self._index
        path = self._path(generation)
        index: BM25Index | None = None
        if path.exists():
            try:
                with path.open("rb") as fh:
                    index = pickle.load(fh)  # our own cache file, written below
            except (OSError, pickle.UnpicklingError, EOFError, AttributeError) as e:
                log.warning("BM25 cache %s unreadable (%s); rebuilding", path, e)
        if index is None:
            index = BM25Index.build(batches_factory())
            self._save(path, index)
        self._index, self._generation = index, generation
        return index

    def _save(self, path: Path, index: BM25Index) -> None:
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f"{path.name}.{os.getpid()}-{threading.get_ident()}.tmp")  # one per writer
            with tmp.open("wb") as fh:
                pickle.dump(index, fh, protocol=pickle.HIGHEST_PROTOCOL)
            tmp.replace(path)
            for old in self.cache_dir.glob(f"bm25-v{_FORMAT}-*.pkl"):
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as e:  # a read-only cache dir only costs a rebuild next start
            log.warning("cannot write BM25 cache %s: %s", path, e)
