"""The Chroma-backed index: chunk vectors, the article registry, and the index's embedding model.

Write order keeps the index consistent across crashes: an article's registry record is removed first,
its chunks replaced next, and the record written last. A registered article therefore always has all
its chunks; chunks without a record are orphans that ``reconcile`` removes.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.errors import EmbeddingModelMismatch, IndexError_
from assistant.filters import date_bounds, to_where
from assistant.models import Article, Chunk, DocumentInfo, Filters, Passage

log = logging.getLogger(__name__)

_BATCH = 1000


def open_client(index_dir: Path, host: str | None = None, port: int = 8001) -> Any:
    """A Chroma client: a server when ``host`` is set, else a persistent store under ``index_dir``."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if host:
        try:
            return chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
        except Exception as e:  # chromadb raises plain Exception/ValueError when the server is down
            raise IndexError_(
                f"cannot reach the Chroma server at {host}:{port} ({e}); start it or unset ASSISTANT_CHROMA_HOST"
            ) from e
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise IndexError_(
            f"cannot create the index directory {index_dir} ({e.strerror}); "
            "set ASSISTANT_INDEX_DIR to a writable folder"
        ) from e
    try:
        return chromadb.PersistentClient(path=str(index_dir / "chroma"), settings=chroma_settings)
    except Exception as e:  # corrupt sqlite, permissions: chromadb wraps them in generic errors
        if "readonly" in str(e).lower().replace("-", "").replace(" ", ""):
            raise IndexError_(
                f"the index at {index_dir} is read-only ({e}); Chroma needs write access even to search: "
                "make it writable for this user, or copy it and set ASSISTANT_INDEX_DIR to the copy"
            ) from e
        raise IndexError_(
            f"cannot open the index at {index_dir / 'chroma'} ({type(e).__name__}: {e}). If it is corrupt, "
            f"move it away (mv {index_dir} {index_dir}.broken) and build it again: `assistant ingest PATH`."
        ) from e


class Store:
    """Chunks with vectors, articles with their full text, and a generation counter for caches."""

    def __init__(self, client: Any, prefix: str, embed_model: str, dim: int,
                 reopen: Callable[[], Any] | None = None) -> None:
        self.client = client
        self._reopen = reopen
        self._refresh_lock = threading.Lock()
        self.embed_model = embed_model
        self.dim = dim
        self.prefix = prefix
        try:
            self.chunks = client.get_or_create_collection(
                f"{prefix}_chunks",
                metadata={"hnsw:space": "cosine", "embedding_model": embed_model, "dim": dim},
                embedding_function=None,
            )
            self.docs = client.get_or_create_collection(
                f"{prefix}_docs", metadata={"hnsw:space": "l2"}, embedding_function=None
            )
            self.state = client.get_or_create_collection(
                f"{prefix}_state", metadata={"hnsw:space": "l2"}, embedding_function=None
            )
        except Exception as e:
            raise IndexError_(f"cannot open the Chroma collections ({type(e).__name__}: {e})") from e
        self._seen_generation = self.generation()
        built_with = (self.chunks.metadata or {}).get("embedding_model")
        if built_with and built_with != embed_model:
            raise EmbeddingModelMismatch(
                f"the index was built with the embedding model {built_with!r}, but {embed_model!r} is configured. "
                "Set ASSISTANT_EMBED_BACKEND/ASSISTANT_EMBED_MODEL back, or rebuild the index with "
                "`assistant ingest PATH --reset` (or use another ASSISTANT_INDEX_DIR)."
            )

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
        return info, got["documents"][0] or ""

    # --- writes -----------------------------------------------------------------------------
    def put_article(self, article: Article, chunks: Sequence[Chunk], vectors: np.ndarray,
                    content_hash: str | None = None, raw_hash: str | None = None,
                    replace: bool = True, copy_fields: dict[str, Any] | None = None) -> None:
        """Replace everything stored for ``article`` with ``chunks`` (crash-safe order, see module doc).
        ``replace=False`` skips deleting: for an article that is not registered, after ``reconcile``.
        ``copy_fields`` (ingest/copies.py) go into the registry record; its ``story_id`` into the chunks too."""
        if replace:
            self.docs.delete(ids=[article.doc_id])
            self.chunks.delete(where={"doc_id": article.doc_id})
        copy_fields = {k: v for k, v in (copy_fields or {}).items() if v is not None}
        meta = _article_meta(article)
        if copy_fields.get("story_id"):
            meta["story_id"] = copy_fields["story_id"]
        for lo in range(0, len(chunks), _BATCH):
            part = chunks[lo : lo + _BATCH]
            self.chunks.add(
                ids=[c.chunk_id for c in part],
                documents=[c.text for c in part],
                embeddings=np.asarray(vectors[lo : lo + _BATCH], dtype=np.float32),
                metadatas=[{**meta, "chunk_index": c.index, "start": c.start, "end": c.end, **_page_meta(c)}
                           for c in part],
            )
        self.docs.add(
            ids=[article.doc_id],
            documents=[article.text],
            embeddings=[[1.0]],
            metadatas=[{**meta, "content_hash": content_hash or article.content_hash, "chunks": len(chunks),
                        "dropped": len(article.dropped), **({"raw_hash": raw_hash} if raw_hash else {}),
                        **copy_fields}],
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

    def reconcile(self, registered: dict[str, dict[str, Any]] | None = None) -> int:
        """Remove chunks whose article is not registered (left by an interrupted ingest); return how many.
        ``registered`` is the registry if the caller has just read it."""
        registered = self.registered() if registered is None else registered
        expected = sum(int(m.get("chunks", 0)) for m in registered.values())
        if self.chunks.count() == expected:
            return 0
        orphans: list[str] = []
        total = self.chunks.count()
        for offset in range(0, total, _BATCH):
            got = self.chunks.get(include=["metadatas"], limit=_BATCH, offset=offset)
            orphans += [i for i, m in zip(got["ids"], got["metadatas"], strict=True)
                        if (m or {}).get("doc_id") not in registered]
        for lo in range(0, len(orphans), _BATCH):
            self.chunks.delete(ids=orphans[lo : lo + _BATCH])
        return len(orphans)

    def bump_generation(self) -> str:
        """Mark the index as changed so that caches built on it (BM25) are rebuilt."""
        gen = uuid.uuid4().hex
        self.state.upsert(ids=["generation"], embeddings=[[1.0]], metadatas=[{"value": gen}])
        self._seen_generation = gen
        return gen

    def refresh(self) -> bool:
        """Reopen Chroma when another process (an ingest next to the server) changed the index.

        Chroma holds a persistent index's vector segments in memory per process: after another process
        wrote, this one's queries fail ('Error finding id') until the client is opened again."""
        if self._reopen is None:
            return False
        with self._refresh_lock:
            if self.generation() == self._seen_generation:
                return False
            log.info("the index was changed by another process; reopening it")
            self.client.close()
            client = self._reopen()
            self.__init__(client, self.prefix, self.embed_model, self.dim, self._reopen)  # type: ignore[misc]
            return True

    def generation(self) -> str:
        got = self.state.get(ids=["generation"], include=["metadatas"])
        return str(got["metadatas"][0]["value"]) if got["ids"] else "empty"

    def reset(self) -> None:
        for name in (f"{self.prefix}_chunks", f"{self.prefix}_docs", f"{self.prefix}_state"):
            try:
                self.client.delete_collection(name)
            except Exception as e:  # chromadb raises NotFoundError/ValueError by version
                log.debug("collection %s not deleted: %s", name, e)
        self.__init__(self.client, self.prefix, self.embed_model, self.dim, self._reopen)  # type: ignore[misc]

    # --- reads ------------------------------------------------------------------------------
    def count_chunks(self) -> int:
        return int(self.chunks.count())

    def all_chunks(self) -> Iterable[tuple[list[str], list[str], list[dict[str, Any]]]]:
        """Every chunk in batches of (ids, texts, metadatas)."""
        total = self.chunks.count()
        for offset in range(0, total, _BATCH):
            got = self.chunks.get(include=["documents", "metadatas"], limit=_BATCH, offset=offset)
            yield got["ids"], got["documents"], [dict(m or {}) for m in got["metadatas"]]

    def dense(self, vector: np.ndarray, k: int, filters: Filters | None) -> list[Passage]:
        self.refresh()
        n = self.chunks.count()
        if n == 0:
            return []
        got = self.chunks.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=min(k, n),
            where=to_where(filters),
            include=["documents", "metadatas", "distances"],
        )
        return [
            _passage(i, t, m, 1.0 - float(d))
            for i, t, m, d in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0],
                                  strict=True)
        ]

    def similarities(self, vector: np.ndarray, ids: list[str]) -> dict[str, float]:
        """Cosine similarity of ``vector`` with the stored vectors of ``ids``."""
        if not ids:
            return {}
        self.refresh()
        got = self.chunks.get(ids=ids, include=["embeddings"])
        emb = np.asarray(got["embeddings"], dtype=np.float32)
        return dict(zip(got["ids"], (emb @ vector).tolist(), strict=True))

    def passages(self, ids: list[str]) -> dict[str, Passage]:
        if not ids:
            return {}
        got = self.chunks.get(ids=ids, include=["documents", "metadatas"])
        rows = zip(got["ids"], got["documents"], got["metadatas"], strict=True)
        return {i: _passage(i, t, m, 0.0) for i, t, m in rows}


def _article_meta(a: Article) -> dict[str, Any]:
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


def _page_meta(c: Chunk) -> dict[str, int]:
    """Chroma keeps no None values: the page fields are present only for paged formats (PDF)."""
    return {k: v for k, v in (("page", c.page), ("page_end", c.page_end)) if v is not None}


def _passage(chunk_id: str, text: str, m: dict[str, Any], score: float) -> Passage:
    return Passage(
        doc_id=m["doc_id"], source=m["source"], title=m.get("title", ""), outlet=m.get("outlet"),
        date=m.get("date"), language=m.get("language", "de"), chunk_id=chunk_id, text=text,
        start=int(m.get("start", 0)), end=int(m.get("end", 0)), score=score, dense_score=score,
        page=m.get("page"), page_end=m.get("page_end"), story_id=m.get("story_id"),
    )
