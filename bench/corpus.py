"""Synthetic German corpora of a chosen size: the bundled articles' sentences, shuffled and recombined.

Every sentence is a real German sentence from ``corpus/*.txt`` as the ingest pipeline cleans it; only the
order and grouping are new. Each generated article has a headline (a short sentence), then paragraphs of
2-4 sentences. With about 100 distinct sentences, large corpora repeat sentences a lot: BM25 posting
lists are denser than in a real archive, which makes BM25 search slower, not faster, than real text.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

from assistant.models import Article
from assistant.settings import PROJECT_ROOT
from assistant.text import split_sentences
from ingest.chunking import chunk_article

BUNDLED = PROJECT_ROOT / "corpus"
_HEADLINE_MAX = 80


@dataclass(frozen=True)
class SentencePool:
    """The distinct sentences of the bundled articles, and the short ones that can serve as headlines."""

    sentences: list[str]
    headlines: list[str]

    @classmethod
    def from_corpus(cls, folder: Path = BUNDLED) -> SentencePool:
        from ingest.metadata import build_article
        from ingest.readers import RawDoc, iter_documents

        seen: dict[str, None] = {}
        for raw in iter_documents([folder]):
            if not isinstance(raw, RawDoc):
                continue
            built = build_article(raw)
            if isinstance(built, Article):
                for s in split_sentences(built.text):
                    s = " ".join(s.split())
                    if len(s.split()) >= 4:
                        seen.setdefault(s, None)
        sentences = list(seen)
        headlines = [s.rstrip(".") for s in sentences if len(s) <= _HEADLINE_MAX]
        if len(sentences) < 20 or not headlines:
            raise RuntimeError(f"only {len(sentences)} usable sentences in {folder}; need the bundled corpus")
        return cls(sentences, headlines)


def article(pool: SentencePool, rng: random.Random) -> tuple[str, str]:
    """(headline, body): 6-14 paragraphs of 2-4 sentences drawn without repetition inside one article."""
    n_par = rng.randint(6, 14)
    sizes = [rng.randint(2, 4) for _ in range(n_par)]
    picked = rng.sample(pool.sentences, min(sum(sizes), len(pool.sentences)))
    paragraphs, i = [], 0
    for size in sizes:
        if i >= len(picked):
            break
        paragraphs.append(" ".join(picked[i : i + size]))
        i += size
    return rng.choice(pool.headlines), "\n\n".join(paragraphs)


def expected_chunks(title: str, body: str, chunk_words: int = 90, overlap: int = 1) -> int:
    """How many chunks the ingest chunker makes of this article (the cleaner keeps such text as it is)."""
    return len(chunk_article(Article(doc_id="x", source="x", title=title, text=body), chunk_words, overlap))


def make_corpus(dest: Path, target_chunks: int, seed: int = 5, pool: SentencePool | None = None) -> dict:
    """Write articles into ``dest`` until they make about ``target_chunks`` chunks; reuse an existing one.

    Returns the manifest ({"articles", "chunks", "seed"}), also kept in ``dest/.manifest.json``.
    """
    manifest_path = dest / ".manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("target") == target_chunks and manifest.get("seed") == seed:
            return manifest
    pool = pool or SentencePool.from_corpus()
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.txt"):
        old.unlink()
    chunks = articles = 0
    while chunks < target_chunks:
        title, body = article(pool, rng)
        year, month = rng.randint(2015, 2024), rng.randint(1, 12)
        path = dest / f"{articles // 1000:03d}" / f"art_{articles:06d}.txt"
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"date {year}-{month:02d}\n{title}\n\n{body}\n", encoding="utf-8")
        chunks += expected_chunks(title, body)
        articles += 1
    manifest = {"target": target_chunks, "seed": seed, "articles": articles, "chunks": chunks}
    manifest_path.write_text(json.dumps(manifest))
    return manifest
