"""How articles and chunks are kept as Chroma rows and metadata, and chunk rows read back as passages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.filters import date_bounds
from assistant.models import Article, Chunk, Passage

# Texts are kept in metadata under this key (chunks: their own; articles: in the texts collection, apart from the
# registry that every ingest reads whole), never as Chroma documents, which Chroma also puts into an FTS5 index
# nothing here queries: half of a chunk's write time, 40 % of the disk. Older indexes' documents read as before.
TEXT_KEY = "text"


def chunk_rows(article: Article, chunks: Sequence[Chunk]) -> tuple[list[str], list[str], list[dict[str, Any]]]:
    """(ids, texts, metadatas) of an article's chunks as the store keeps them."""
    meta = article_meta(article)
    return ([c.chunk_id for c in chunks], [c.text for c in chunks],
            [{**meta, "chunk_index": c.index, "start": c.start, "end": c.end, **_page_meta(c)} for c in chunks])


def article_meta(a: Article) -> dict[str, Any]:
    meta: dict[str, Any] = {"doc_id": a.doc_id, "source": a.source, "title": a.title, "language": a.language}
    if a.outlet:
        meta["outlet"] = a.outlet
        meta["outlet_key"] = a.outlet.lower()
    if a.url:
        meta["url"] = a.url
    if a.date:
        meta["date"] = a.date
        bounds = date_bounds(a.date)
        if bounds:
            meta["date_lo"], meta["date_hi"] = bounds
    return meta


def file_fields(source: str) -> dict[str, str]:
    """The registry's ``file`` field of an article that is an item of a file ("uploads/x.jsonl#3" ->
    "uploads/x.jsonl"), so that the articles of one file are found with a ``where``; none for a whole file."""
    file, item, _ = source.partition("#")
    return {"file": file} if item else {}


def _page_meta(c: Chunk) -> dict[str, int]:
    """Chroma keeps no None values: the page fields are present only for paged formats (PDF)."""
    return {k: v for k, v in (("page", c.page), ("page_end", c.page_end)) if v is not None}


def passage_from_row(chunk_id: str, text: str, m: dict[str, Any], score: float) -> Passage:
    return Passage(
        doc_id=m["doc_id"], source=m["source"], title=m.get("title", ""), outlet=m.get("outlet"),
        date=m.get("date"), language=m.get("language", "de"), chunk_id=chunk_id, text=text,
        start=int(m.get("start", 0)), end=int(m.get("end", 0)), score=score, dense_score=score,
        page=m.get("page"), page_end=m.get("page_end"), story_id=m.get("story_id"),
    )


def text_and_meta(document: str | None, stored: Any) -> tuple[str, dict[str, Any]]:
    """A chunk's text and its metadata without it, from either way of keeping the text (see TEXT_KEY)."""
    meta = dict(stored or {})
    text = meta.pop(TEXT_KEY, None)
    return str(document if document is not None else text or ""), meta


@dataclass
class StoredArticle:
    """An article to store: its chunks with their vectors, the hashes its registry record keeps, and whether an
    earlier version is registered (and must be replaced)."""

    article: Article
    chunks: Sequence[Chunk]
    vectors: np.ndarray
    content_hash: str | None = None
    raw_hash: str | None = None
    replace: bool = True
    copy_fields: dict[str, Any] | None = None  # signature and story (ingest/copies.py)
