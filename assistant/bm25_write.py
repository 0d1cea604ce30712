"""Writing BM25 segments: articles' chunks tokenised, written as arrays, and merged from older segments."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.bm25 import NO_DATE_HI, NO_DATE_LO, SEGMENT_ARRAYS, Segment
from assistant.text import bm25_tokens


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
    for name in SEGMENT_ARRAYS:
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
