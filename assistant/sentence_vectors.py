"""Sentence vectors kept next to the index, so that answering a question embeds only the question.

The evidence picker (assistant/evidence.py) scores every sentence of the retrieved passages by its vector.
Ingest embeds exactly those texts ahead (``evidence.article_sentence_texts``) and keeps them here; the picker
reads them and embeds, and keeps, only what is missing, so an index built before this file existed fills up as
it is asked.

One SQLite file (WAL: one writer and readers in other threads and processes at once; a connection per call),
rows keyed by a hash of the embedding model's name and the exact text, vectors as float32 bytes. Keyed by
content, nothing needs invalidating: a changed article's new sentences are new keys, and the same sentence
embedded by another model is another key. Rows of deleted or changed articles stay (about 1.6 KB per sentence
for a 384-dimensional model) until ``assistant ingest --reset`` clears the file. A file that cannot be read or
written costs one warning, never an answer: the picker then embeds as if the file did not exist.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import Path

import numpy as np

from assistant.embeddings import VectorEmbedding

log = logging.getLogger(__name__)

FILE_NAME = "sentence_vectors.sqlite"
_PARAMS = 500  # keys per SELECT (SQLite's limit on bound parameters is 999 in old builds)
# A row is found by the first 8 bytes of its key (the rowid: no index besides the table) and checked against the
# whole key. Rows of ~1.6 KB fit in a table page; a WITHOUT ROWID table would spill them into overflow pages (3x
# the file size for 384 dimensions).
_SCHEMA = "CREATE TABLE IF NOT EXISTS vectors (id INTEGER PRIMARY KEY, key BLOB NOT NULL, vector BLOB NOT NULL)"


class SentenceVectors:
    """Passage vectors of sentence texts for one embedding model, in ``path`` (see module docstring).

    ``timeout_s`` is how long a write waits for another writer (an ingest next to the server writes a few
    thousand rows at a time, in tens of milliseconds); a read never waits in WAL mode. ``dim`` (when known)
    rejects rows of another length."""

    def __init__(self, path: Path, model: str, dim: int = 0, timeout_s: float = 2.0) -> None:
        self.path = Path(path)
        self.model = model
        self.dim = dim
        self.timeout_s = timeout_s
        self._warned = False
        self._folder_made = False

    def key(self, text: str) -> bytes:
        return hashlib.sha256(f"{self.model}\x1f{text}".encode()).digest()

    def get_many(self, texts: Iterable[str]) -> dict[str, np.ndarray]:
        """The kept vectors of those ``texts`` that have one; {} when the file cannot be read."""
        keys = {self.key(t): t for t in texts}
        out: dict[str, np.ndarray] = {}
        try:
            with closing(self._connect()) as con:
                for part in _parts([_rowid(k) for k in keys]):
                    rows = con.execute(f"SELECT key, vector FROM vectors WHERE id IN ({_marks(part)})", part)
                    for key, blob in rows:
                        vector = np.frombuffer(blob, dtype=np.float32)
                        if key in keys and vector.size and (not self.dim or vector.size == self.dim):
                            out[keys[key]] = vector
        except sqlite3.Error as e:
            self._failed("read", e)
            return {}
        return out

    def known(self, texts: Iterable[str]) -> set[str] | None:
        """Which of ``texts`` have a kept vector (keys only, no vectors read); None when the file cannot be read."""
        keys = {self.key(t): t for t in texts}
        out: set[str] = set()
        try:
            with closing(self._connect()) as con:
                for part in _parts([_rowid(k) for k in keys]):
                    rows = con.execute(f"SELECT key FROM vectors WHERE id IN ({_marks(part)})", part)
                    out.update(keys[key] for (key,) in rows if key in keys)
        except sqlite3.Error as e:
            self._failed("read", e)
            return None
        return out

    def put_many(self, texts: Sequence[str], vectors: np.ndarray) -> bool:
        """Keep ``vectors[i]`` for ``texts[i]`` (a text kept already keeps its vector); False if it could not."""
        if len(texts) != len(vectors):
            raise ValueError(f"{len(texts)} texts but {len(vectors)} vectors")
        if not texts:
            return True
        keys = [self.key(t) for t in texts]
        rows = [(_rowid(k), k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(keys, vectors, strict=True)]
        try:
            with closing(self._connect()) as con, con:  # a row kept already stays (as would the 1 in 2^64 other
                # text of the same rowid: that text is then embedded every time)
                con.executemany("INSERT OR IGNORE INTO vectors (id, key, vector) VALUES (?, ?, ?)", rows)
        except sqlite3.Error as e:
            self._failed("write", e)
            return False
        return True

    def embed(self, texts: Sequence[str], embedder: VectorEmbedding) -> np.ndarray:
        """``embedder.passages(texts)``, reading the kept vectors and embedding (and keeping) only the others."""
        found = self.get_many(texts)
        missing = [t for t in dict.fromkeys(texts) if t not in found]
        if missing:
            vectors = embedder.passages(missing)
            self.put_many(missing, vectors)
            found.update(zip(missing, vectors, strict=True))
        if not texts:
            return np.zeros((0, embedder.dim), dtype=np.float32)
        return np.stack([found[t] for t in texts])

    def clear(self) -> None:
        """Forget every kept vector (``assistant ingest --reset``)."""
        try:
            with closing(self._connect()) as con:
                with con:
                    con.execute("DELETE FROM vectors")
                con.execute("VACUUM")
        except sqlite3.Error as e:
            self._failed("clear", e)

    def count(self) -> int:
        """Rows kept (every model's); 0 when the file cannot be read."""
        try:
            with closing(self._connect()) as con:
                return int(con.execute("SELECT count(*) FROM vectors").fetchone()[0])
        except sqlite3.Error as e:
            self._failed("read", e)
            return 0

    def _connect(self) -> sqlite3.Connection:
        if not self._folder_made:  # an index on a Chroma server may have no folder of its own yet
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as e:
                raise sqlite3.OperationalError(f"cannot create {self.path.parent}: {e.strerror}") from e
            self._folder_made = True
        con = sqlite3.connect(self.path, timeout=self.timeout_s)
        try:
            con.execute("PRAGMA page_size=8192")  # a new file only: 5 rows of ~1.6 KB a page instead of 2 in 4 KB
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")  # WAL: a crash loses at most the last writes, never the file
            con.execute(_SCHEMA)
        except sqlite3.Error:
            con.close()
            raise
        return con

    def _failed(self, action: str, e: sqlite3.Error) -> None:
        busy = isinstance(e, sqlite3.OperationalError) and ("locked" in str(e) or "busy" in str(e))
        if busy or self._warned:  # another writer for longer than timeout_s: the next call tries again
            log.debug("sentence vectors: cannot %s %s (%s)", action, self.path, e)
            return
        self._warned = True
        log.warning("cannot %s the sentence vectors in %s (%s: %s); sentences are embedded at question time "
                    "instead. Remove the file if it is corrupt (ingest fills it again).", action, self.path,
                    type(e).__name__, e)


def _rowid(key: bytes) -> int:
    return int.from_bytes(key[:8], "big", signed=True)


def _parts(ids: list[int]) -> list[list[int]]:
    return [ids[i : i + _PARAMS] for i in range(0, len(ids), _PARAMS)]


def _marks(part: list[int]) -> str:
    return ",".join("?" * len(part))
