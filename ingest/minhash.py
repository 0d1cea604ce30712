"""MinHash signatures over word shingles, and LSH band keys that find near-duplicate candidates without
comparing an article with every other one.

Words are lower-cased and umlaut-folded; a shingle is ``k`` consecutive words. The signature holds, for
each of ``num_perm`` hash permutations, the smallest hashed shingle; two signatures agree at a position
with probability equal to the Jaccard similarity of the shingle sets. Band ``i`` of a signature (``rows``
consecutive values) makes one key: articles sharing any key are candidates (an S-curve around
``(1/bands) ** (1/rows)``: with 32 bands of 2, a pair with Jaccard 0.3 is found with probability 0.95,
one with 0.5 with 0.9999), and candidates are then judged by their estimated containment.
"""

from __future__ import annotations

import base64
import re
import zlib
from dataclasses import dataclass

import numpy as np

_MERSENNE = np.uint64((1 << 61) - 1)
_MAX32 = np.uint64(0xFFFFFFFF)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_FOLD = str.maketrans({"ä": "a", "ö": "o", "ü": "u", "ß": "s"})


def words(text: str) -> list[str]:
    """Lower-cased, umlaut-folded words (punctuation, quotes and layout do not count as edits)."""
    return _WORD.findall(text.lower().translate(_FOLD))


@dataclass(frozen=True)
class Signature:
    """A MinHash signature and the number of distinct shingles it summarises."""

    values: np.ndarray  # uint32, one per permutation
    shingles: int

    def encode(self) -> str:
        """A compact string for Chroma metadata (base64 of the little-endian values)."""
        return base64.b64encode(self.values.astype("<u4").tobytes()).decode("ascii")

    @classmethod
    def decode(cls, text: str, shingles: int) -> Signature:
        return cls(np.frombuffer(base64.b64decode(text), dtype="<u4").astype(np.uint32), shingles)


class MinHasher:
    """Signatures with ``num_perm`` permutations over ``shingle_words``-word shingles; ``bands`` LSH bands."""

    def __init__(self, num_perm: int = 128, shingle_words: int = 3, bands: int = 32, rows: int = 2,
                 seed: int = 12) -> None:
        if bands * rows > num_perm:
            raise ValueError(f"{bands} bands of {rows} rows need at least {bands * rows} permutations")
        self.num_perm = num_perm
        self.shingle_words = shingle_words
        self.bands = bands
        self.rows = rows
        rng = np.random.default_rng(seed)
        self._a = rng.integers(1, int(_MERSENNE), num_perm, dtype=np.uint64)
        self._b = rng.integers(0, int(_MERSENNE), num_perm, dtype=np.uint64)

    @property
    def version(self) -> str:
        """Changes whenever signatures made by this hasher cannot be compared with older ones."""
        return f"mh1-{self.num_perm}-{self.shingle_words}-{int(self._a[0]) % 10007}"

    def shingle_hashes(self, text: str) -> np.ndarray:
        ws = words(text)
        k = self.shingle_words
        grams = {" ".join(ws[i : i + k]) for i in range(max(1, len(ws) - k + 1))} if ws else set()
        return np.fromiter((zlib.crc32(g.encode()) for g in grams), dtype=np.uint64, count=len(grams))

    def signature(self, text: str) -> Signature:
        hashes = self.shingle_hashes(text)
        if hashes.size == 0:
            return Signature(np.full(self.num_perm, 0xFFFFFFFF, dtype=np.uint32), 0)
        # (a*x + b) mod p, truncated to 32 bits; uint64 products wrap, which is deterministic and well mixed
        with np.errstate(over="ignore"):
            permuted = np.bitwise_and((np.outer(hashes, self._a) + self._b) % _MERSENNE, _MAX32)
        return Signature(permuted.min(axis=0).astype(np.uint32), int(hashes.size))

    def band_keys(self, sig: Signature) -> np.ndarray:
        """One uint64 key per band (its ``rows`` values, packed when two fit, else mixed); two articles are
        candidates when they share the key of some band."""
        values = sig.values[: self.bands * self.rows].astype(np.uint64).reshape(self.bands, self.rows)
        if self.rows <= 2:
            key = values[:, 0].copy()
            if self.rows == 2:
                key = (key << np.uint64(32)) | values[:, 1]
            return key
        with np.errstate(over="ignore"):
            key = values[:, 0].copy()
            for r in range(1, self.rows):
                key = key * np.uint64(1_000_003) ^ values[:, r]
        return key


def jaccard(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two shingle sets."""
    if a.shingles == 0 or b.shingles == 0:
        return 0.0
    return float(np.mean(a.values == b.values))


def containment(a: Signature, b: Signature) -> float:
    """Estimated share of the smaller article's shingles that the other one holds too (a shortened copy or
    a later, longer version of a story contains most of the other text, though their Jaccard is lower)."""
    j = jaccard(a, b)
    if j == 0.0:
        return 0.0
    shared = j / (1.0 + j) * (a.shingles + b.shingles)
    return min(1.0, shared / min(a.shingles, b.shingles))
