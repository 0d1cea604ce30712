"""BM25 over immutable on-disk segments (memory-mapped numpy arrays); scores computed exactly at query time.

A segment holds, for a set of articles, the raw term frequencies of their chunks (term -> chunks, sorted by
term), each chunk's token count, and the chunk metadata that filters need (outlet, language, dates, source).
Nothing in a segment depends on the rest of the index: idf, the number of chunks and the average length are
computed when a query runs, over the chunks that are alive in every segment, with the usual Okapi formula

    score(c) = sum over query terms t in c of  idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(c) / avglen))
    idf(t)   = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

so an index grown by adding and deleting articles ranks exactly as one built from scratch. Tokens are the
project's own (``assistant.text.bm25_tokens``: Snowball stems per language, hyphenated compounds and their
parts). ``assistant.bm25_store`` keeps the segments on disk, adds and deletes articles, and follows the store.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.filters import date_bounds
from assistant.lexicon import german_words
from assistant.models import Filters
from assistant.text import bm25_tokens

K1, B = 1.2, 0.75
NO_DATE_LO = np.iinfo(np.int32).max  # a chunk without a date passes no date filter
NO_DATE_HI = -1
_ARRAYS = ("chunk_ids", "chunk_doc", "lengths", "lang", "outlet", "date_lo", "date_hi", "doc_ids", "doc_hash",
           "doc_source", "terms", "term_ptr", "post_chunk", "post_tf")


@dataclass
class ChunkTokens:
    """One chunk as BM25 sees it: its tokens and the metadata filters use."""

    chunk_id: str
    tokens: list[str]
    language: str = "de"
    outlet_key: str | None = None
    date_lo: int | None = None
    date_hi: int | None = None


@dataclass
class DocTokens:
    """One article's chunks, with the registry's content hash (a changed article has another)."""

    doc_id: str
    content_hash: str
    source: str
    chunks: list[ChunkTokens] = field(default_factory=list)


def tokenize(doc_id: str, content_hash: str, ids: Sequence[str], texts: Sequence[str],
             metas: Sequence[dict[str, Any]]) -> DocTokens:
    """An article's chunks as stored in Chroma (id, text, metadata) turned into BM25 input. The title is part
    of what a chunk is about (it is embedded with it too)."""
    source = str(metas[0].get("source", "")) if metas else ""
    chunks = [
        ChunkTokens(cid, bm25_tokens(f"{m.get('title', '')}\n{text}", m.get("language", "de")),
                    m.get("language", "de"), m.get("outlet_key"), m.get("date_lo"), m.get("date_hi"))
        for cid, text, m in zip(ids, texts, metas, strict=True)
    ]
    return DocTokens(doc_id, content_hash, source, chunks)


def _bytes_array(values: Sequence[str]) -> np.ndarray:
    """UTF-8 strings as a fixed-width bytes array (width of the longest; at least 1)."""
    encoded = [v.encode("utf-8") for v in values]
    return np.array(encoded, dtype=f"S{max([1, *map(len, encoded)])}")


def write_segment(path: Path, docs: Iterable[DocTokens]) -> int:
    """Write the segment of ``docs`` into the new folder ``path``; returns its number of chunks."""
    docs = sorted(docs, key=lambda d: d.doc_id)
    rows = sorted(((c.chunk_id, d_i, c) for d_i, d in enumerate(docs) for c in d.chunks), key=lambda r: r[0])
    langs = sorted({c.language for _, _, c in rows})
    outlets = sorted({c.outlet_key for _, _, c in rows if c.outlet_key})
    lang_code = {x: i for i, x in enumerate(langs)}
    outlet_code = {x: i for i, x in enumerate(outlets)}
    vocab: dict[str, int] = {}
    p_term: list[int] = []
    p_chunk: list[int] = []
    p_tf: list[int] = []
    for r, (_, _, c) in enumerate(rows):
        for term, tf in Counter(c.tokens).items():
            p_term.append(vocab.setdefault(term, len(vocab)))
            p_chunk.append(r)
            p_tf.append(tf)
    terms = sorted(vocab)
    remap = np.empty(len(vocab), dtype=np.int32)
    for i, t in enumerate(terms):
        remap[vocab[t]] = i
    term_of = remap[np.asarray(p_term, dtype=np.int32)] if p_term else np.zeros(0, np.int32)
    chunk_of = np.asarray(p_chunk, dtype=np.int32)
    order = np.lexsort((chunk_of, term_of))
    arrays = {
        "chunk_ids": _bytes_array([cid for cid, _, _ in rows]),
        "chunk_doc": np.asarray([d for _, d, _ in rows], dtype=np.int32),
        "lengths": np.asarray([len(c.tokens) for _, _, c in rows], dtype=np.int32),
        "lang": np.asarray([lang_code[c.language] for _, _, c in rows], dtype=np.uint8),
        "outlet": np.asarray([outlet_code.get(c.outlet_key or "", -1) for _, _, c in rows], dtype=np.int32),
        "date_lo": np.asarray([NO_DATE_LO if c.date_lo is None else c.date_lo for _, _, c in rows], dtype=np.int32),
        "date_hi": np.asarray([NO_DATE_HI if c.date_hi is None else c.date_hi for _, _, c in rows], dtype=np.int32),
        "doc_ids": _bytes_array([d.doc_id for d in docs]),
        "doc_hash": _bytes_array([d.content_hash for d in docs]),
        "doc_source": _bytes_array([d.source for d in docs]),
        "terms": _bytes_array(terms),
        "term_ptr": np.concatenate([[0], np.cumsum(np.bincount(term_of, minlength=len(terms)))]).astype(np.int64),
        "post_chunk": chunk_of[order],
        "post_tf": np.minimum(np.asarray(p_tf, dtype=np.int64), 65535).astype(np.uint16)[order],
    }
    _save(path, arrays, langs, outlets)
    return len(rows)


def _save(path: Path, arrays: dict[str, np.ndarray], langs: list[str], outlets: list[str]) -> None:
    path.mkdir(parents=True)
    for name in _ARRAYS:
        np.save(path / f"{name}.npy", arrays[name], allow_pickle=False)
    (path / "meta.json").write_text(json.dumps({"chunks": int(len(arrays["chunk_ids"])), "languages": langs,
                                                "outlets": outlets}))


def merge_segments(path: Path, parts: Sequence[tuple[Segment, np.ndarray | None]]) -> int:
    """Write the alive chunks of ``parts`` (segment, alive mask or None) as one new segment, from their
    postings (nothing is tokenized again); returns its number of chunks."""
    live = [np.arange(seg.n) if alive is None else np.flatnonzero(alive) for seg, alive in parts]
    ids = np.concatenate([seg.chunk_ids[rows] for (seg, _), rows in zip(parts, live, strict=True)])
    order = np.argsort(ids, kind="stable")
    new_row = np.empty(len(ids), dtype=np.int64)
    new_row[order] = np.arange(len(ids))
    langs = sorted({x for seg, _ in parts for x in seg.languages})
    outlets = sorted({x for seg, _ in parts for x in seg.outlets})
    all_terms = np.unique(np.concatenate([seg.terms for seg, _ in parts]))
    cols: dict[str, list[np.ndarray]] = {k: [] for k in ("doc", "lengths", "lang", "outlet", "date_lo", "date_hi")}
    docs: dict[str, list[np.ndarray]] = {"ids": [], "hash": [], "source": []}
    post: dict[str, list[np.ndarray]] = {"term": [], "chunk": [], "tf": []}
    offset = doc_offset = 0
    for (seg, _), rows in zip(parts, live, strict=True):
        old_to_new = np.full(seg.n, -1, dtype=np.int64)
        old_to_new[rows] = new_row[offset : offset + len(rows)]
        offset += len(rows)
        kept_docs = np.unique(seg.chunk_doc[rows])
        doc_to_new = np.full(len(seg.doc_ids), -1, dtype=np.int64)
        doc_to_new[kept_docs] = np.arange(len(kept_docs)) + doc_offset
        doc_offset += len(kept_docs)
        docs["ids"].append(seg.doc_ids[kept_docs])
        docs["hash"].append(seg.doc_hash[kept_docs])
        docs["source"].append(seg.doc_source[kept_docs])
        lang_map = np.array([langs.index(x) for x in seg.languages] or [0], dtype=np.uint8)
        outlet_map = np.array([outlets.index(x) for x in seg.outlets] + [-1], dtype=np.int32)  # [-1] maps -1
        cols["doc"].append(doc_to_new[seg.chunk_doc[rows]])
        cols["lengths"].append(seg.lengths[rows])
        cols["lang"].append(lang_map[seg.lang[rows]])
        cols["outlet"].append(outlet_map[seg.outlet[rows]])
        cols["date_lo"].append(seg.date_lo[rows])
        cols["date_hi"].append(seg.date_hi[rows])
        term_of = np.repeat(np.searchsorted(all_terms, seg.terms), np.diff(seg.term_ptr))
        chunk_of = old_to_new[seg.post_chunk]
        keep = chunk_of >= 0
        post["term"].append(term_of[keep])
        post["chunk"].append(chunk_of[keep])
        post["tf"].append(np.asarray(seg.post_tf)[keep])
    # documents in doc_id order, chunk columns in chunk_id order
    doc_ids = np.concatenate(docs["ids"])
    doc_order = np.argsort(doc_ids, kind="stable")
    doc_rank = np.empty(len(doc_ids), dtype=np.int64)
    doc_rank[doc_order] = np.arange(len(doc_ids))
    chunk_cols = {k: np.concatenate(v)[order] for k, v in cols.items()}
    term_of = np.concatenate(post["term"])
    chunk_of = np.concatenate(post["chunk"])
    tf = np.concatenate(post["tf"])
    sort = np.lexsort((chunk_of, term_of))
    # outlets and languages that only deleted chunks had are dropped from the tables
    lang_used = np.unique(chunk_cols["lang"]).astype(np.int64)
    langs = [langs[i] for i in lang_used]
    chunk_cols["lang"] = np.searchsorted(lang_used, chunk_cols["lang"])
    outlet_used = np.unique(chunk_cols["outlet"][chunk_cols["outlet"] >= 0]).astype(np.int64)
    outlets = [outlets[i] for i in outlet_used]
    chunk_cols["outlet"] = np.where(chunk_cols["outlet"] >= 0, np.searchsorted(outlet_used, chunk_cols["outlet"]), -1)
    counts = np.bincount(term_of, minlength=len(all_terms))
    used = counts > 0  # terms whose every posting was deleted are dropped
    arrays = {
        "chunk_ids": ids[order],
        "chunk_doc": doc_rank[chunk_cols["doc"]].astype(np.int32),
        "lengths": chunk_cols["lengths"].astype(np.int32),
        "lang": chunk_cols["lang"].astype(np.uint8),
        "outlet": chunk_cols["outlet"].astype(np.int32),
        "date_lo": chunk_cols["date_lo"].astype(np.int32),
        "date_hi": chunk_cols["date_hi"].astype(np.int32),
        "doc_ids": doc_ids[doc_order],
        "doc_hash": np.concatenate(docs["hash"])[doc_order],
        "doc_source": np.concatenate(docs["source"])[doc_order],
        "terms": all_terms[used],
        "term_ptr": np.concatenate([[0], np.cumsum(counts[used])]).astype(np.int64),
        "post_chunk": chunk_of[sort].astype(np.int32),
        "post_tf": tf[sort].astype(np.uint16),
    }
    _save(path, arrays, langs, outlets)
    return len(ids)


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
        a = {name: np.load(path / f"{name}.npy", mmap_mode="r", allow_pickle=False) for name in _ARRAYS}
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

    def _count_passing(self, filters: Filters) -> int:
        passing = 0
        for seg, alive in zip(self.segments, self.alive, strict=True):
            rows = np.arange(seg.n) if alive is None else np.flatnonzero(alive)
            passing += int(np.count_nonzero(seg.filter_mask(rows, filters)))
        return passing


def _alive_count(rows: np.ndarray, alive: np.ndarray | None) -> int:
    return len(rows) if alive is None else int(np.count_nonzero(alive[rows]))
