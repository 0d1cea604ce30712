"""BM25 over immutable on-disk segments (memory-mapped numpy arrays); scores computed exactly at query time.

A segment holds, for a set of articles, the raw term frequencies of their chunks (term -> chunks, sorted by
term), each chunk's token count, and the chunk metadata that filters need (outlet, language, dates, source).
Nothing in a segment depends on the rest of the index: idf, the number of chunks and the average length are
computed when a query runs, over the chunks that are alive in every segment, with the usual Okapi formula

    score(c) = sum over query terms t in c of  idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(c) / avglen))
    idf(t)   = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

so an index grown by adding and deleting articles ranks exactly as one built from scratch. Tokens are the
project's own (``assistant.text.bm25_tokens``: Snowball stems per language, hyphenated compounds and their
parts). ``assistant.bm25_write`` writes and merges segments; ``assistant.bm25_store`` keeps them on disk, adds
and deletes articles, and follows the store.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.filters import date_bounds
from assistant.lexicon import german_words
from assistant.models import Filters
from assistant.text import bm25_tokens

K1, B = 1.2, 0.75
NO_DATE_LO = np.iinfo(np.int32).max  # a chunk without a date passes no date filter
NO_DATE_HI = -1
SEGMENT_ARRAYS = ("chunk_ids", "chunk_doc", "lengths", "lang", "outlet", "date_lo", "date_hi", "doc_ids", "doc_hash",
                  "doc_source", "terms", "term_ptr", "post_chunk", "post_tf")


class Segment:
    """One segment's arrays, memory-mapped: opening costs microseconds, pages load as queries touch them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        meta = json.loads((path / "meta.json").read_text())
        self.n: int = meta["chunks"]
        self.languages: list[str] = meta["languages"]
        self.outlets: list[str] = meta["outlets"]
        self._outlet_code = {o: i for i, o in enumerate(self.outlets)}
        self._lang_code = {x: i for i, x in enumerate(self.languages)}
        a = {name: np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in SEGMENT_ARRAYS}
        self.chunk_ids, self.chunk_doc, self.lengths = a["chunk_ids"], a["chunk_doc"], a["lengths"]
        self.lang, self.outlet, self.date_lo, self.date_hi = a["lang"], a["outlet"], a["date_lo"], a["date_hi"]
        self.doc_ids, self.doc_hash, self.doc_source = a["doc_ids"], a["doc_hash"], a["doc_source"]
        self.terms, self.term_ptr = a["terms"], a["term_ptr"]
        self.post_chunk, self.post_tf = a["post_chunk"], a["post_tf"]

    def postings(self, term: bytes) -> tuple[np.ndarray, np.ndarray] | None:
        """(chunk rows, term frequencies) of ``term`` in this segment, or None."""
        i = int(np.searchsorted(self.terms, term))
        if i >= len(self.terms) or self.terms[i] != term:
            return None
        lo, hi = int(self.term_ptr[i]), int(self.term_ptr[i + 1])
        return self.post_chunk[lo:hi], self.post_tf[lo:hi]

    def rows_of(self, chunk_ids: Sequence[str]) -> np.ndarray:
        """Row of each chunk id, -1 where this segment does not hold it."""
        keys = np.array([c.encode("utf-8") for c in chunk_ids], dtype=self.chunk_ids.dtype)
        pos = np.minimum(np.searchsorted(self.chunk_ids, keys), max(self.n - 1, 0))
        found = (self.chunk_ids[pos] == keys) if self.n else np.zeros(len(keys), bool)
        return np.where(found, pos, -1)

    def filter_mask(self, rows: np.ndarray, f: Filters | None) -> np.ndarray:
        """For each row, whether its chunk passes ``f`` (the same test as ``assistant.filters.matches``)."""
        keep = np.ones(len(rows), dtype=bool)
        if f is None or f.is_empty() or not len(rows):
            return keep
        if f.outlet:
            codes = [self._outlet_code[o.lower()] for o in f.outlet if o.lower() in self._outlet_code]
            keep &= np.isin(self.outlet[rows], codes)
        if f.source:
            keep &= np.isin(self.doc_source[self.chunk_doc[rows]], [s.encode("utf-8") for s in f.source])
        if f.language:
            keep &= np.isin(self.lang[rows], [self._lang_code[x] for x in f.language if x in self._lang_code])
        lo, hi = date_bounds(f.date_from), date_bounds(f.date_to)
        if lo:
            keep &= self.date_hi[rows] >= lo[0]
        if hi:
            keep &= self.date_lo[rows] <= hi[1]
        return keep


PASSING_CACHE = 16  # filters whose passing chunk ids a view remembers


@dataclass
class View:
    """What one search sees: segments with their alive masks, and the statistics over alive chunks."""

    segments: list[Segment]
    alive: list[np.ndarray | None]  # None: every chunk of the segment is alive
    generation: str = "empty"
    n: int = 0
    avg_length: float = 1.0
    languages: frozenset[str] = frozenset()
    _shares: dict[str, float] = field(default_factory=dict, repr=False, compare=False)
    _passing: dict[str, list[str]] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        total = length = 0
        langs: set[str] = set()
        for seg, alive in zip(self.segments, self.alive, strict=True):
            lengths = seg.lengths if alive is None else seg.lengths[alive]
            total += len(lengths)
            length += int(np.sum(lengths, dtype=np.int64))
            codes = np.bincount(seg.lang if alive is None else seg.lang[alive], minlength=len(seg.languages))
            langs |= {seg.languages[i] for i in np.flatnonzero(codes)}
        self.n = total
        self.avg_length = max(length / total, 1.0) if total else 1.0
        self.languages = frozenset(langs)

    def query_terms(self, query: str, query_language: str) -> list[str]:
        terms = set(bm25_tokens(query, query_language))
        for lang in self.languages - {query_language}:
            terms |= set(bm25_tokens(query, lang))  # stems as the chunks' own language produces them
        if query_language == "en" and "de" in self.languages:
            # English words the glossary knows, in German ("fuel cells" -> Brennstoffzellen), so that an English
            # question meets German passages on more than names and numbers
            terms |= set(bm25_tokens(" ".join(german_words(query)), "de"))
        return sorted(terms)

    def search(self, query: str, query_language: str, k: int,
               filters: Filters | None = None) -> list[tuple[str, float]]:
        """The ``k`` best (chunk_id, score) pairs with a positive score; ties by chunk id."""
        if not self.n or k <= 0:
            return []
        postings = []
        for term in self.query_terms(query, query_language):
            key = term.encode("utf-8")
            per_seg = [seg.postings(key) for seg in self.segments]
            df = sum(_alive_count(p[0], a) for p, a in zip(per_seg, self.alive, strict=True) if p is not None)
            if df:
                postings.append((np.log(1.0 + (self.n - df + 0.5) / (df + 0.5)), per_seg))
        if not postings:
            return []
        found: list[tuple[float, str]] = []
        for s, (seg, alive) in enumerate(zip(self.segments, self.alive, strict=True)):
            parts = [(idf, p) for idf, per_seg in postings if (p := per_seg[s]) is not None]
            if not parts:
                continue
            rows = np.concatenate([p[0] for _, p in parts])
            tf = np.concatenate([p[1] for _, p in parts]).astype(np.float64)
            idf = np.concatenate([np.full(len(p[0]), w) for w, p in parts])
            norm = K1 * (1.0 - B + B * seg.lengths[rows] / self.avg_length)
            weights = idf * tf * (K1 + 1.0) / (tf + norm)
            if len(rows) * 16 < seg.n:  # few postings: sum per distinct row
                rows, inverse = np.unique(rows, return_inverse=True)
                scores = np.bincount(inverse, weights=weights)
            else:  # many: one dense accumulator over the segment
                dense = np.bincount(rows, weights=weights, minlength=seg.n)
                rows = np.flatnonzero(dense)
                scores = dense[rows]
            keep = seg.filter_mask(rows, filters)
            if alive is not None:
                keep &= alive[rows]
            rows, scores = rows[keep], scores[keep]
            if len(rows) > k:  # the k best, and everything tied with the k-th
                cut = np.partition(scores, len(scores) - k)[len(scores) - k]
                sel = scores >= cut
                rows, scores = rows[sel], scores[sel]
            found += [(float(x), seg.chunk_ids[r].decode("utf-8")) for r, x in zip(rows, scores, strict=True)]
        found.sort(key=lambda h: (-h[0], h[1]))
        return [(cid, score) for score, cid in found[:k]]

    def earliest_with(self, terms: Sequence[str]) -> tuple[int, int, str] | None:
        """(date_lo, date_hi, source) of the earliest dated alive chunk holding every one of ``terms``, or None."""
        if not terms:
            return None
        best: tuple[int, int, str] | None = None
        for seg, alive in zip(self.segments, self.alive, strict=True):
            rows: np.ndarray | None = None
            for term in terms:
                p = seg.postings(term.encode("utf-8"))
                if p is None:
                    rows = None
                    break
                rows = np.unique(p[0]) if rows is None else np.intersect1d(rows, p[0])
                if not len(rows):
                    break
            if rows is None or not len(rows):
                continue
            if alive is not None:
                rows = rows[alive[rows]]
            rows = rows[seg.date_lo[rows] != NO_DATE_LO]
            if not len(rows):
                continue
            r = rows[np.lexsort((seg.date_hi[rows], seg.date_lo[rows]))[0]]
            found = (int(seg.date_lo[r]), int(seg.date_hi[r]), seg.doc_source[seg.chunk_doc[r]].decode("utf-8"))
            if best is None or found[:2] < best[:2]:
                best = found
        return best

    def locate(self, chunk_ids: Sequence[str]) -> list[tuple[int, int] | None]:
        """(segment, row) of each alive chunk id, None for chunks this view does not hold."""
        out: list[tuple[int, int] | None] = [None] * len(chunk_ids)
        for s, (seg, alive) in enumerate(zip(self.segments, self.alive, strict=True)):
            for i, r in enumerate(seg.rows_of(chunk_ids).tolist()):
                if r >= 0 and (alive is None or alive[r]):
                    out[i] = (s, r)
        return out

    def matching(self, chunk_ids: Sequence[str], filters: Filters | None) -> list[bool | None]:
        """Whether each chunk passes ``filters``; None for a chunk this view does not know (not yet indexed)."""
        out: list[bool | None] = [None] * len(chunk_ids)
        for seg, alive in zip(self.segments, self.alive, strict=True):
            rows = seg.rows_of(chunk_ids)
            known = rows >= 0
            if alive is not None:
                known[known] &= alive[rows[known]]
            idx = np.flatnonzero(known)
            for i, ok in zip(idx.tolist(), seg.filter_mask(rows[idx], filters).tolist(), strict=True):
                out[i] = ok
        return out

    def selectivity(self, filters: Filters | None) -> float:
        """The share of alive chunks that pass ``filters`` (1.0 without filters or chunks); remembered per
        filter for this view (a few ms at a million chunks)."""
        if filters is None or filters.is_empty() or not self.n:
            return 1.0
        key = filters.model_dump_json()
        if key not in self._shares:
            if len(self._shares) > 256:
                self._shares.clear()
            self._shares[key] = self._count_passing(filters) / self.n
        return self._shares[key]

    def passing_ids(self, filters: Filters) -> list[str]:
        """The ids of the alive chunks that pass ``filters``, remembered for the last few filters of this view
        (a view never changes: a new generation is a new view)."""
        key = filters.model_dump_json()
        if key not in self._passing:
            if len(self._passing) >= PASSING_CACHE:
                self._passing.pop(next(iter(self._passing)))
            self._passing[key] = [c.decode("utf-8") for seg, rows in self._passing_rows(filters)
                                  for c in seg.chunk_ids[rows]]
        return self._passing[key]

    def _count_passing(self, filters: Filters) -> int:
        return sum(len(rows) for _, rows in self._passing_rows(filters))

    def _passing_rows(self, filters: Filters) -> Iterator[tuple[Segment, np.ndarray]]:
        """Each segment with the rows of its alive chunks that pass ``filters``."""
        for seg, alive in zip(self.segments, self.alive, strict=True):
            rows = np.arange(seg.n) if alive is None else np.flatnonzero(alive)
            yield seg, rows[seg.filter_mask(rows, filters)]


def _alive_count(rows: np.ndarray, alive: np.ndarray | None) -> int:
    return len(rows) if alive is None else int(np.count_nonzero(alive[rows]))
