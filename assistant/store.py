"""What the Chroma-backed index keeps: chunk vectors, the article registry, stories of copies and a change log.

Write order keeps the index consistent across crashes: an article's registry record is removed first,
its chunks replaced next, and the record written last. A registered article therefore always has all
its chunks; chunks without a record are orphans that ``reconcile`` removes.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from assistant.filters import to_where
from assistant.index_collections import IndexCollections
from assistant.models import Article, Chunk, DocumentInfo, Filters, Passage
from assistant.store_rows import (
    TEXT_KEY,
    StoredArticle,
    article_meta,
    chunk_rows,
    file_fields,
    passage_from_row,
    text_and_meta,
)

_BATCH = 1000
_LOG_MAX_DOCS = 2000  # articles named in one change-log record; more are recorded as "all"
_LOG_KEEP = 64  # change-log records kept (a follower further behind compares the whole registry)


class Store(IndexCollections):
    """Chunks with vectors, articles with their full text, and a generation counter for caches (the collections
    and the generation: assistant/index_collections.py)."""

    # --- registry ---------------------------------------------------------------------------
    def registered(self) -> dict[str, dict[str, Any]]:
        """doc_id -> registry metadata of every ingested article."""
        out: dict[str, dict[str, Any]] = {}
        total = self.docs.count()
        for offset in range(0, total, _BATCH):
            got = self.docs.get(include=["metadatas"], limit=_BATCH, offset=offset)
            for i, m in zip(got["ids"], got["metadatas"], strict=True):
                out[i] = dict(m or {})
        return out

    def documents(self) -> list[DocumentInfo]:
        docs = [
            DocumentInfo(doc_id=i, **{k: m.get(k) for k in ("source", "title", "outlet", "date", "url", "language",
                                                            "story_id") if m.get(k) is not None},
                         chunks=int(m.get("chunks", 0)), content_hash=m.get("content_hash", ""))
            for i, m in self.registered().items()
        ]
        return sorted(docs, key=lambda d: d.source)

    def document_text(self, doc_id: str) -> tuple[DocumentInfo, str] | None:
        got = self.docs.get(ids=[doc_id], include=["metadatas", "documents"])
        if not got["ids"]:
            return None
        m = got["metadatas"][0] or {}
        fields = ("source", "title", "outlet", "date", "url", "language", "story_id")
        info = DocumentInfo(doc_id=doc_id, **{k: m.get(k) for k in fields if m.get(k) is not None},
                            chunks=int(m.get("chunks", 0)), content_hash=m.get("content_hash", ""))
        if got["documents"][0] is not None:  # an article stored by an older version: its text is the document
            return info, got["documents"][0]
        kept = self.texts.get(ids=[doc_id], include=["metadatas"])
        return info, str((kept["metadatas"][0] or {}).get(TEXT_KEY, "")) if kept["ids"] else ""

    # --- writes -----------------------------------------------------------------------------
    def put_article(self, article: Article, chunks: Sequence[Chunk], vectors: np.ndarray,
                    content_hash: str | None = None, raw_hash: str | None = None,
                    replace: bool = True, copy_fields: dict[str, Any] | None = None) -> None:
        """Replace everything stored for ``article`` with ``chunks`` (crash-safe order, see module doc).
        ``replace=False`` skips deleting: for an article that is not registered, after ``reconcile``.
        ``copy_fields`` (ingest/copies.py) go into the registry record; its ``story_id`` into the chunks too."""
        self.put_articles([StoredArticle(article, chunks, vectors, content_hash, raw_hash, replace, copy_fields)])

    def put_articles(self, items: Sequence[StoredArticle]) -> None:
        """``put_article`` for several articles with one write per collection: Chroma's cost is mostly per call
        (a call of 300 chunks costs a fifth of the CPU per chunk of ten calls of 30). The order stays crash-safe:
        the records of the articles that are replaced go first, then every chunk, then the new records."""
        replaced = [x.article.doc_id for x in items if x.replace]
        if replaced:
            self.docs.delete(ids=replaced)
            self.chunks.delete(where={"doc_id": {"$in": replaced}})
        # the full texts before the registry records (a text without its record is overwritten next time)
        self.texts.upsert(ids=[x.article.doc_id for x in items], embeddings=[[1.0]] * len(items),
                          metadatas=[{TEXT_KEY: x.article.text} for x in items])
        copy_fields = [{k: v for k, v in (x.copy_fields or {}).items() if v is not None} for x in items]
        story = [{"story_id": f["story_id"]} if f.get("story_id") else {} for f in copy_fields]
        rows = [chunk_rows(x.article, x.chunks) for x in items]
        ids = [i for r in rows for i in r[0]]
        metas = [{**m, **s, TEXT_KEY: t} for r, s in zip(rows, story, strict=True)
                 for t, m in zip(r[1], r[2], strict=True)]
        vectors = np.concatenate([np.asarray(x.vectors, dtype=np.float32).reshape(len(x.chunks), -1)
                                  for x in items]) if ids else np.zeros((0, self.dim), np.float32)
        for lo in range(0, len(ids), _BATCH):
            self.chunks.add(ids=ids[lo : lo + _BATCH], embeddings=vectors[lo : lo + _BATCH],
                            metadatas=metas[lo : lo + _BATCH])
        self.docs.add(
            ids=[x.article.doc_id for x in items],
            embeddings=[[1.0]] * len(items),
            metadatas=[{**article_meta(x.article), "content_hash": x.content_hash or x.article.content_hash,
                        "chunks": len(x.chunks), "dropped": len(x.article.dropped),
                        **({"raw_hash": x.raw_hash} if x.raw_hash else {}), **file_fields(x.article.source), **f}
                       for x, f in zip(items, copy_fields, strict=True)],
        )

    def set_raw_hashes(self, raw_hashes: dict[str, str]) -> None:
        """Record the input hash of registered articles whose index entries are up to date."""
        items = list(raw_hashes.items())
        for lo in range(0, len(items), _BATCH):
            part = items[lo : lo + _BATCH]
            self.docs.update(ids=[i for i, _ in part], metadatas=[{"raw_hash": h} for _, h in part])

    def delete_article(self, doc_id: str) -> None:
        got = self.docs.get(ids=[doc_id], include=["metadatas"])
        story = (got["metadatas"][0] or {}).get("story_id") if got["ids"] else None
        self.docs.delete(ids=[doc_id])
        self.chunks.delete(where={"doc_id": doc_id})
        self.texts.delete(ids=[doc_id])
        if story:
            self.leave_story(str(story))

    # --- stories of copies (ingest/copies.py assigns them, assistant/copies.py collapses them) ----------
    def story_members(self, story_ids: list[str]) -> dict[str, list[dict[str, Any]]]:
        """story_id -> the registry records (with ``doc_id``) of its members."""
        if not story_ids:
            return {}
        self.refresh()
        got = self.docs.get(where={"story_id": {"$in": list(story_ids)}}, include=["metadatas"])
        out: dict[str, list[dict[str, Any]]] = {}
        for i, m in zip(got["ids"], got["metadatas"], strict=True):
            out.setdefault(str((m or {})["story_id"]), []).append({**(m or {}), "doc_id": i})
        return out

    def set_story(self, doc_ids: list[str], story_id: str | None) -> None:
        """Put registered articles (registry record and chunks) into a story, or out of any (None)."""
        self.set_stories(dict.fromkeys(doc_ids, story_id))

    def set_stories(self, stories: dict[str, str | None]) -> None:
        """``set_story`` for many articles at once (doc_id -> story id or None), in a few batched writes."""
        if not stories:
            return
        items = list(stories.items())
        for lo in range(0, len(items), _BATCH):
            part = items[lo : lo + _BATCH]
            self.docs.update(ids=[d for d, _ in part], metadatas=[{"story_id": sid} for _, sid in part])
            got = self.chunks.get(where={"doc_id": {"$in": [d for d, _ in part]}}, include=["metadatas"])
            for c in range(0, len(got["ids"]), _BATCH):
                ids = got["ids"][c : c + _BATCH]
                metas = got["metadatas"][c : c + _BATCH]
                self.chunks.update(ids=ids, metadatas=[{"story_id": stories[(m or {})["doc_id"]]} for m in metas])

    def leave_story(self, story_id: str) -> None:
        """After a member left ``story_id``: a story of one is no story; its last member stands alone."""
        left = self.story_members([story_id]).get(story_id, [])
        if len(left) == 1:
            self.set_story([left[0]["doc_id"]], None)

    def set_registry_fields(self, fields: dict[str, dict[str, Any]]) -> None:
        """Merge ``fields`` into the registry records of registered articles (doc_id -> fields)."""
        items = list(fields.items())
        for lo in range(0, len(items), _BATCH):
            part = items[lo : lo + _BATCH]
            self.docs.update(ids=[i for i, _ in part], metadatas=[f for _, f in part])

    def mark_writing(self, doc_ids: Sequence[str]) -> None:
        """Note the articles an ingest is about to write, so that the chunks of one it could not finish are
        found without reading every chunk (``reconcile``)."""
        self.state.upsert(ids=["writing"], embeddings=[[1.0]], metadatas=[{"doc_ids": ",".join(doc_ids)}])

    def reconcile(self, registered: dict[str, dict[str, Any]] | None = None) -> int:
        """Remove chunks whose article is not registered (left by an interrupted ingest); return how many.
        ``registered`` is the registry if the caller has just read it."""
        registered = self.registered() if registered is None else registered
        got = self.state.get(ids=["writing"], include=["metadatas"])
        noted = str(got["metadatas"][0].get("doc_ids", "")) if got["ids"] else ""
        unfinished = [d for d in noted.split(",") if d and d not in registered]
        if unfinished:  # the articles an interrupted ingest was writing: their full texts go first
            self.texts.delete(ids=unfinished)
        expected = sum(int(m.get("chunks", 0)) for m in registered.values())
        before: int = self.chunks.count()
        if before == expected:
            return 0
        if unfinished:  # no need to read every chunk
            self.chunks.delete(where={"doc_id": {"$in": unfinished}})
            if self.chunks.count() == expected:
                return before - expected
        orphans: list[str] = []
        total = self.chunks.count()
        for offset in range(0, total, _BATCH):
            got = self.chunks.get(include=["metadatas"], limit=_BATCH, offset=offset)
            orphans += [i for i, m in zip(got["ids"], got["metadatas"], strict=True)
                        if (m or {}).get("doc_id") not in registered]
        for lo in range(0, len(orphans), _BATCH):
            self.chunks.delete(ids=orphans[lo : lo + _BATCH])
        after: int = self.chunks.count()
        return before - after

    # --- the change log: which articles a generation changed, so followers need not read the registry ---
    def log_changes(self, since: str, doc_ids: Iterable[str]) -> None:
        """Record that the step from generation ``since`` to the current one changed (added, replaced or
        removed) exactly ``doc_ids``. Many articles are recorded as 'all' (followers then compare everything)."""
        ids = sorted(set(doc_ids))
        docs = ",".join(ids) if len(ids) <= _LOG_MAX_DOCS else "*"
        self.state.upsert(ids=[f"log-{self.generation()}"], embeddings=[[1.0]],
                          metadatas=[{"kind": "log", "prev": since, "docs": docs, "at": time.time()}])
        logs = self.state.get(where={"kind": "log"}, include=["metadatas"])
        if len(logs["ids"]) > 2 * _LOG_KEEP:
            by_age = sorted(zip(logs["ids"], logs["metadatas"], strict=True), key=lambda x: x[1].get("at", 0))
            self.state.delete(ids=[i for i, _ in by_age[:-_LOG_KEEP]])

    def changes_since(self, since: str, until: str) -> set[str] | None:
        """The articles changed from generation ``since`` to ``until``, or None when the log cannot tell (an
        interrupted ingest, a change of many articles, an old index): then compare the whole registry."""
        changed: set[str] = set()
        current = until
        for _ in range(_LOG_KEEP):
            if current == since:
                return changed
            got = self.state.get(ids=[f"log-{current}"], include=["metadatas"])
            if not got["ids"] or got["metadatas"][0].get("docs") == "*":
                return None
            meta = got["metadatas"][0]
            changed |= {d for d in str(meta.get("docs", "")).split(",") if d}
            current = str(meta.get("prev", ""))
        return None

    def files_with_articles(self, files: Sequence[str]) -> set[str]:
        """Those of ``files`` ("uploads/a.txt") a registered article comes from, as its source or as an item of it
        ("uploads/x.jsonl#3", its ``file`` field): a ``where`` on the registry, which is never read whole here."""
        files, found = list(dict.fromkeys(files)), set()
        for lo in range(0, len(files), _BATCH):
            part = files[lo : lo + _BATCH]
            got = self.docs.get(where={"$or": [{"source": {"$in": part}}, {"file": {"$in": part}}]},
                                include=["metadatas"])
            found |= {str(m.get("file") or m.get("source")) for m in got["metadatas"] if m}
        return found & set(files)

    def add_file_fields(self, registered: dict[str, dict[str, Any]]) -> int:
        """Give registry records of items ("x.jsonl#3") written before ``file`` existed that field; how many."""
        missing = {d: f for d, m in registered.items() if "file" not in m and (f := file_fields(str(m.get("source"))))}
        self.set_registry_fields(missing)
        for doc_id, fields in missing.items():
            registered[doc_id].update(fields)
        return len(missing)

    def registered_subset(self, doc_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """doc_id -> registry metadata of those of ``doc_ids`` that are registered."""
        ids = list(doc_ids)
        out: dict[str, dict[str, Any]] = {}
        for lo in range(0, len(ids), _BATCH):
            got = self.docs.get(ids=ids[lo : lo + _BATCH], include=["metadatas"])
            out.update({i: dict(m or {}) for i, m in zip(got["ids"], got["metadatas"], strict=True)})
        return out

    # --- dates (assistant/date_filters.py) ---------------------------------------------------
    def article_dates(self) -> tuple[int | None, int]:
        """The latest date (yyyymmdd, the end of a partial date) of any registered article (None if none is
        dated), and how many registered articles have no date."""
        registry = self.registered().values()
        newest = max((int(m["date_hi"]) for m in registry if "date_hi" in m), default=None)
        return newest, sum("date_hi" not in m for m in registry)

    def has_articles(self, filters: Filters | None) -> bool:
        """Whether any registered article matches ``filters``."""
        got = self.docs.get(where=to_where(filters), limit=1, include=[])
        return bool(got["ids"])

    # --- reads ------------------------------------------------------------------------------
    def count_chunks(self) -> int:
        return int(self.chunks.count())

    def count_documents(self) -> int:
        return int(self.docs.count())

    def all_chunks(self) -> Iterable[tuple[list[str], list[str], list[dict[str, Any]]]]:
        """Every chunk in batches of (ids, texts, metadatas)."""
        total = self.chunks.count()
        for offset in range(0, total, _BATCH):
            got = self.chunks.get(include=["documents", "metadatas"], limit=_BATCH, offset=offset)
            rows = [text_and_meta(t, m) for t, m in zip(got["documents"], got["metadatas"], strict=True)]
            yield got["ids"], [t for t, _ in rows], [m for _, m in rows]

    def chunks_of(self, doc_ids: Sequence[str]) -> dict[str, tuple[list[str], list[str], list[dict[str, Any]]]]:
        """The stored chunks of these articles: doc_id -> (chunk ids, texts, metadatas)."""
        out: dict[str, tuple[list[str], list[str], list[dict[str, Any]]]] = {}
        if not doc_ids:
            return out
        got = self.chunks.get(where={"doc_id": {"$in": list(doc_ids)}}, include=["documents", "metadatas"])
        for cid, document, stored in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            text, meta = text_and_meta(document, stored)
            ids, texts, metas = out.setdefault(str(meta.get("doc_id")), ([], [], []))
            ids.append(cid)
            texts.append(text)
            metas.append(meta)
        return out

    def chunk_ids(self, doc_id: str) -> list[str]:
        """The ids of an article's stored chunks (ids only: Chroma reads no text or vector for them)."""
        self.refresh()
        return list(self.chunks.get(where={"doc_id": doc_id}, include=[])["ids"])

    def dense(self, vector: np.ndarray, k: int, filters: Filters | None,
              among: list[str] | None = None) -> list[Passage]:
        """The ``k`` nearest chunks that pass ``filters`` (Chroma filters first: fast when few chunks pass), or,
        given ``among``, the ``k`` nearest of those chunk ids (the caller knows which chunks pass: no ``where``,
        which reads every chunk's metadata)."""
        self.refresh()
        if among is not None and not among:
            return []
        got = self.chunks.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=k,
            where=to_where(filters) if among is None else None,
            ids=among,
            include=["documents", "metadatas", "distances"],
        )
        return [
            passage_from_row(i, *text_and_meta(t, m), 1.0 - float(d))
            for i, t, m, d in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0],
                                  strict=True)
        ]

    def nearest(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        """(chunk id, cosine similarity) of the ``n`` nearest chunks, unfiltered: ids and distances only, which
        Chroma returns without reading metadata (a few ms for a thousand at a million chunks)."""
        self.refresh()
        got = self.chunks.query(query_embeddings=[np.asarray(vector, dtype=np.float32)], n_results=n,
                                include=["distances"])
        return [(i, 1.0 - float(d)) for i, d in zip(got["ids"][0], got["distances"][0], strict=True)]

    def metadatas(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        if not ids:
            return {}
        got = self.chunks.get(ids=ids, include=["metadatas"])
        return {i: text_and_meta(None, m)[1] for i, m in zip(got["ids"], got["metadatas"], strict=True)}

    def scored_passages(self, vector: np.ndarray, ids: list[str]) -> dict[str, Passage]:
        """The passages of ``ids`` with their cosine similarity to ``vector`` (one read of the store)."""
        if not ids:
            return {}
        self.refresh()
        got = self.chunks.get(ids=ids, include=["embeddings", "documents", "metadatas"])
        sims = (np.asarray(got["embeddings"], dtype=np.float32) @ vector).tolist()
        rows = zip(got["ids"], got["documents"], got["metadatas"], sims, strict=True)
        return {i: passage_from_row(i, *text_and_meta(t, m), float(sim)) for i, t, m, sim in rows}
