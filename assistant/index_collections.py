"""The index's Chroma collections, opened for one embedding model and reopened when another process wrote."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from assistant.errors import EmbeddingModelMismatch, IndexDamaged, IndexUnusable

log = logging.getLogger(__name__)


class IndexCollections:
    """The chunks, docs (article registry), texts (articles' full texts) and state collections of one index, and
    its generation; ``Store`` adds what is kept in them."""

    def __init__(self, client: Any, prefix: str, embed_model: str, dim: int,
                 reopen: Callable[[], Any] | None = None, drop_damaged: bool = False) -> None:
        self._reopen = reopen
        self._refresh_lock = threading.Lock()
        self._local_writers = 0  # writers in this process: the index changes under them are their own
        self.embed_model = embed_model
        self.dim = dim
        self.prefix = prefix
        try:
            self._open(client)
        except IndexDamaged as e:
            if not drop_damaged:
                raise
            log.warning("deleting the damaged collections before the reset: %s", e)
            self.client = client
            self.reset()  # unreadable anyway: what the reset would delete, deleted before opening

    def _open(self, client: Any) -> None:
        """Open (or create) the collections through ``client``; refuse an index built with another model or
        whose files Chroma cannot read."""
        self.client = client
        try:
            self.chunks = client.get_or_create_collection(
                f"{self.prefix}_chunks",
                metadata={"hnsw:space": "cosine", "embedding_model": self.embed_model, "dim": self.dim},
                embedding_function=None,
            )
            self.docs = client.get_or_create_collection(
                f"{self.prefix}_docs", metadata={"hnsw:space": "l2"}, embedding_function=None
            )
            self.texts = client.get_or_create_collection(
                f"{self.prefix}_texts", metadata={"hnsw:space": "l2"}, embedding_function=None
            )
            self.state = client.get_or_create_collection(
                f"{self.prefix}_state", metadata={"hnsw:space": "l2"}, embedding_function=None
            )
        except Exception as e:
            raise IndexUnusable(f"cannot open the Chroma collections ({type(e).__name__}: {e})") from e
        for collection in (self.chunks, self.docs, self.texts, self.state):
            try:
                collection.count()  # Chroma loads the collection's vector index: cut-off files fail here
            except Exception as e:
                raise IndexDamaged(
                    f"the index cannot be read: Chroma fails on the stored vectors of {collection.name!r} "
                    f"({type(e).__name__}: {str(e)[:300]}). This happens when a process is killed while Chroma "
                    "writes its vector index to disk. Your article files are not affected: rebuild the index with "
                    "`assistant ingest PATH --reset` (it embeds every article again), or restore a backup of "
                    "ASSISTANT_INDEX_DIR."
                ) from e
        self._seen_generation = self.generation()
        built = self.chunks.metadata or {}
        built_with, built_dim = built.get("embedding_model"), built.get("dim")
        if (built_with and built_with != self.embed_model) or (built_dim and int(built_dim) != self.dim):
            raise EmbeddingModelMismatch(
                f"the index was built with the embedding model {built_with!r} ({built_dim} dimensions), but "
                f"{self.embed_model!r} ({self.dim} dimensions) is configured. "
                "Set ASSISTANT_EMBED_BACKEND/ASSISTANT_EMBED_MODEL "
                "(and for a server ASSISTANT_EMBED_BASE_URL) back, or rebuild the index with "
                "`assistant ingest PATH --reset` (or use another ASSISTANT_INDEX_DIR)."
            )

    def reset(self) -> None:
        for name in (f"{self.prefix}_chunks", f"{self.prefix}_docs", f"{self.prefix}_texts", f"{self.prefix}_state"):
            try:
                self.client.delete_collection(name)
            except Exception as e:  # chromadb raises NotFoundError/ValueError by version
                log.debug("collection %s not deleted: %s", name, e)
        self._open(self.client)

    # --- generation: which version of the index this process sees ------------------------------
    def generation(self) -> str:
        got = self.state.get(ids=["generation"], include=["metadatas"])
        return str(got["metadatas"][0]["value"]) if got["ids"] else "empty"

    def bump_generation(self) -> str:
        """Mark the index as changed so that caches built on it (BM25) are rebuilt."""
        gen = uuid.uuid4().hex
        self._seen_generation = gen  # before it is visible: a reader must not take it for another process's
        self.state.upsert(ids=["generation"], embeddings=[[1.0]], metadatas=[{"value": gen}])
        return gen

    def refresh(self) -> bool:
        """Reopen Chroma when another process (an ingest next to the server) changed the index.

        Chroma holds a persistent index's vector segments in memory per process: after another process
        wrote, this one's queries fail ('Error finding id') until the client is opened again."""
        if self._reopen is None:
            return False
        with self._refresh_lock:
            if self._local_writers or self.generation() == self._seen_generation:
                return False
            log.info("the index was changed by another process; reopening it")
            self.client.close()
            self._open(self._reopen())
            return True

    @contextmanager
    def local_write(self) -> Iterator[None]:
        """While this process writes (as the only writer of the index), a change of generation is its own:
        refresh() then reopens nothing, which would close the client under the writer."""
        with self._refresh_lock:
            self._local_writers += 1
        try:
            yield
        finally:
            with self._refresh_lock:
                self._local_writers -= 1
