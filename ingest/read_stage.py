"""The ingest's read stage: reads, cleans, chunks and signs the files, passing on in file order what to embed."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from assistant.bm25_write import DocTokens, tokenize
from assistant.evidence import article_sentence_texts
from assistant.models import Article, Chunk
from assistant.sentence_vectors import SentenceVectors
from assistant.store_rows import chunk_rows
from ingest.chunking import chunk_article, embedding_text
from ingest.copies import CopyDetector
from ingest.hashes import index_hash, raw_hash
from ingest.metadata import article_id, build_article
from ingest.minhash import Signature
from ingest.readers import iter_documents
from ingest.records import RawDoc, Skipped
from ingest.stages import END, Channel
from ingest.summary import Outcome


@dataclass
class Done:
    """An article (or unusable file) whose outcome is known without embedding: unchanged or skipped."""

    outcome: Outcome
    skipped: Skipped | None = None


@dataclass
class RawHashes:
    """Registered articles whose chunks are up to date: record their new raw hash (first run after a code change)."""

    hashes: dict[str, str]


@dataclass
class Work:
    """An article to embed and store."""

    article: Article
    content_hash: str
    raw_hash: str
    chunks: list[Chunk]
    texts: list[str]
    lexical: DocTokens | None
    signature: Signature | None = None  # for the copy check
    vectors: np.ndarray | None = None
    sentence_texts: list[str] = field(default_factory=list)  # for the evidence picker, not kept yet
    sentence_vectors: np.ndarray | None = None

    @property
    def all_texts(self) -> list[str]:
        """What the embed stage embeds for this article: its chunks, then its sentences."""
        return self.texts + self.sentence_texts


_QUEUED_LIMIT = 200_000  # sentence texts remembered as queued (~50 MB); those written are found in the store


class Reader:
    """The first stage: reads, cleans and chunks the files; passes on what needs embedding, in file order."""

    def __init__(self, paths: Sequence[Path], prefixes: list[str], registered: dict[str, dict[str, Any]],
                 chunk_words: int, overlap: int, with_tokens: bool, copies: CopyDetector | None = None,
                 sentences: SentenceVectors | None = None) -> None:
        self.paths, self.prefixes, self.registered = paths, prefixes, registered
        self.chunk_words, self.overlap, self.with_tokens = chunk_words, overlap, with_tokens
        self.copies = copies
        self.sentences = sentences
        self.queued: set[str] = set()  # sentence texts passed on to be embedded in this run
        self.seen: set[str] = set()
        self.to_embed = 0
        self.sign_s = 0.0  # time spent on MinHash signatures

    def run(self, out: Channel) -> None:
        up_to_date: dict[str, str] = {}
        for item in _prefixed(self.paths, self.prefixes):
            if isinstance(item, Skipped):
                out.put(Done(Outcome(item.source, "skipped", reason=item.reason), item))
                continue
            doc_id, rh = article_id(item.source), raw_hash(item, self.chunk_words, self.overlap)
            if doc_id in self.seen:
                continue  # the same file given twice
            self.seen.add(doc_id)
            known = self.registered.get(doc_id)
            if known is not None and known.get("raw_hash") == rh:
                # same input, same code: no cleaning, no language detection, no embedding
                out.put(Done(Outcome(item.source, "unchanged", doc_id, int(known.get("chunks", 0)))))
                continue
            built = build_article(item)
            if isinstance(built, Skipped):
                out.put(Done(Outcome(built.source, "skipped", doc_id, reason=built.reason), built))
                continue
            h = index_hash(built, self.chunk_words, self.overlap)
            if known is not None and known.get("content_hash") == h:
                up_to_date[doc_id] = rh  # e.g. the first run after a code change: next time it is skipped early
                out.put(Done(Outcome(built.source, "unchanged", doc_id, int(known.get("chunks", 0)))))
                if len(up_to_date) >= 1000:
                    out.put(RawHashes(up_to_date))
                    up_to_date = {}
                continue
            chunks = chunk_article(built, self.chunk_words, self.overlap)
            lexical = tokenize(doc_id, h, *chunk_rows(built, chunks)) if self.with_tokens else None
            signature = None
            if self.copies is not None:
                # CPU time of this thread: wall time here would count the waits for the GIL that the embed
                # and write stages hold meanwhile (430 s instead of ~6 s of signing at 10k articles)
                t = time.thread_time()
                signature = self.copies.sign(built)
                self.sign_s += time.thread_time() - t
            self.to_embed += 1
            out.put(Work(built, h, rh, chunks, [embedding_text(built, c) for c in chunks], lexical, signature,
                         sentence_texts=self._sentence_texts(built, chunks)))
        if up_to_date:
            out.put(RawHashes(up_to_date))
        out.put(END)

    def _sentence_texts(self, article: Article, chunks: list[Chunk]) -> list[str]:
        """The evidence picker's texts for the article's passages that are neither kept nor queued already (a
        changed article's unchanged sentences, a copy's shared ones); none when the store cannot be read."""
        if self.sentences is None:
            return []
        texts = [t for t in article_sentence_texts(article.title, article.text, chunks) if t not in self.queued]
        known = self.sentences.known(texts)
        if known is None:
            return []
        texts = [t for t in texts if t not in known]
        if len(self.queued) > _QUEUED_LIMIT:  # bounded on a million articles; beyond it a repeat is re-embedded
            self.queued.clear()
        self.queued.update(texts)
        return texts


def _prefixed(paths: Sequence[Path], prefixes: list[str]) -> Iterator[RawDoc | Skipped]:
    for path, prefix in zip(paths, prefixes, strict=True):
        for item in iter_documents([Path(path)]):
            yield replace(item, source=prefix + item.source) if prefix else item
