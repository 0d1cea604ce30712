"""Hybrid retrieval: dense (Chroma) plus BM25, fused with a weight that depends on the languages involved.

BM25 only helps when question and passage share a language: an English question shares little more
than names with a German passage, and plain rank fusion then lets BM25's noise push good dense hits
out. Each candidate's score is its dense cosine similarity plus ``w * bm25 / max_bm25``, where ``w``
is the same-language weight when the passage's language equals the question's and the (small)
cross-language weight otherwise. Every candidate has a true dense similarity (BM25-only hits are
scored against their stored vectors), so relevance gates can use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from assistant.bm25 import View
from assistant.bm25_store import BM25Store
from assistant.copies import collapse
from assistant.embeddings import VectorEmbedding
from assistant.filters import matches
from assistant.models import Filters, Passage
from assistant.store import Store

Mode = Literal["hybrid", "dense", "bm25"]


@dataclass(frozen=True)
class FusionWeights:
    """How much BM25 adds to dense similarity, by whether the languages match."""

    same_language: float = 0.15
    cross_language: float = 0.05

    def for_pair(self, question_language: str, passage_language: str) -> float:
        return self.same_language if question_language == passage_language else self.cross_language


class Retriever:
    """Finds the passages for a question; the one place retrieval happens (API, UI and eval use it)."""

    def __init__(self, store: Store, embedder: VectorEmbedding, bm25: BM25Store, weights: FusionWeights,
                 dense_candidates: int = 30, bm25_candidates: int = 30, mode: Mode = "hybrid",
                 story_margin: float = 0.03) -> None:
        self.store = store
        self.embedder = embedder
        self.bm25 = bm25
        self.weights = weights
        self.dense_candidates = dense_candidates
        self.bm25_candidates = bm25_candidates
        self.mode: Mode = mode
        self.story_margin = story_margin  # copies of one story: see assistant/copies.py

    def bm25_index(self) -> View:
        """The BM25 index in line with the store (synced first if another process changed the store)."""
        return self.bm25.current(self.store)

    def search(self, query: str, language: str, k: int, filters: Filters | None = None,
               mode: Mode | None = None) -> list[Passage]:
        mode = mode or self.mode
        vector = self.embedder.query_vector(query)
        filtered = filters is not None and not filters.is_empty()
        view = self.bm25_index() if mode != "dense" or filtered else None
        dense = self._dense(vector, max(k, self.dense_candidates), filters, view) if mode != "bm25" else []
        if mode == "dense":
            return self._one_per_story(dense)[:k]
        assert view is not None
        hits = view.search(query, language, max(k, self.bm25_candidates), filters)
        bm25 = dict(hits)
        by_id = {p.chunk_id: p for p in dense}
        by_id.update(self.store.scored_passages(vector, [cid for cid in bm25 if cid not in by_id]))
        top_bm25 = max(bm25.values(), default=0.0) or 1.0
        scored: list[Passage] = []
        for cid, p in by_id.items():
            b = bm25.get(cid, 0.0)
            dense_score = p.dense_score or 0.0
            if mode == "bm25":
                if cid not in bm25:
                    continue
                score = b
            else:
                score = dense_score + self.weights.for_pair(language, p.language) * b / top_bm25
            scored.append(p.model_copy(update={"score": score, "bm25_score": b}))
        scored.sort(key=_rank_key)
        return self._one_per_story(scored)[:k]

    def _one_per_story(self, passages: list[Passage]) -> list[Passage]:
        """Copies of one story shown once (the others in ``also_in``), before the cut to ``k``."""
        return collapse(passages, self.store.story_members, self.story_margin)

    def _dense(self, vector: np.ndarray, k: int, filters: Filters | None, view: View | None) -> list[Passage]:
        """The ``k`` nearest passages that pass ``filters``.

        Chroma filters before its vector search by reading every matching chunk's metadata from SQLite: fine
        when few chunks pass, but a filter that keeps a tenth of a million chunks costs seconds. So when the
        BM25 index's chunk metadata says enough chunks pass, the nearest ``2k / share`` chunks are fetched
        unfiltered (ids and distances only) and filtered here; the result is the same set, unless too few of
        them pass, when Chroma filters after all. When few chunks pass (outlet and date together: ~1 %), the
        index names them and Chroma searches among those ids (no ``where``: 45 ms instead of 330 ms at 100k
        chunks), if the index is in line with the store (during another process's ingest Chroma filters)."""
        if filters is None or filters.is_empty() or view is None:
            return self.store.dense(vector, k, filters)
        share = view.selectivity(filters)
        if share * MAX_FETCH < 2 * k:
            among = view.passing_ids(filters) if view.generation == self.store.generation() else None
            return self.store.dense(vector, k, filters, among)
        fetch = min(MAX_FETCH, math.ceil(2 * k / share))
        near = self.store.nearest(vector, fetch)
        ids = [cid for cid, _ in near]
        passing = view.matching(ids, filters)
        unknown = [cid for cid, ok in zip(ids, passing, strict=True) if ok is None]  # stored after the index
        metas = self.store.metadatas(unknown)
        chosen = [cid for cid, ok in zip(ids, passing, strict=True)
                  if ok or (ok is None and cid in metas and matches(metas[cid], filters))][:k]
        if len(chosen) < k and len(near) == fetch:
            return self.store.dense(vector, k, filters)
        found = self.store.scored_passages(vector, chosen)
        return [found[cid] for cid in chosen if cid in found]


MAX_FETCH = 2000  # nearest chunks fetched to be filtered here; filters keeping fewer go to Chroma


def _rank_key(p: Passage) -> tuple[float, str]:
    return (-p.score, p.chunk_id)


