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
from typing import Any

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


# --- the growth corpus: regional outlets, dates, an archive that can only grow -----------------------------
# Outlets of a regional publisher with their share of the articles: a filter on one of them keeps 1-30 %.
OUTLETS = (("Nordsee-Kurier", 30), ("Elbe-Anzeiger", 20), ("Harzer Tageblatt", 12), ("Weser-Post", 10),
           ("Altmark-Zeitung", 8), ("Saale-Bote", 6), ("Uckermark-Echo", 5), ("Spreewald-Rundschau", 4),
           ("Vorpommern-Blick", 3), ("Lausitzer Bote", 2))
YEARS = range(2015, 2025)  # one year keeps about a tenth
PART = 1000  # articles per folder


def growth_pool() -> SentencePool:
    """The sentences of the bundled and the eval corpus (about 650 distinct German sentences)."""
    a, b = SentencePool.from_corpus(BUNDLED), SentencePool.from_corpus(PROJECT_ROOT / "eval" / "corpus")
    return SentencePool(list(dict.fromkeys(a.sentences + b.sentences)), list(dict.fromkeys(a.headlines + b.headlines)))


def growth_article(pool: SentencePool, i: int, seed: int = 7) -> tuple[str, int]:
    """Article ``i`` of the growth corpus as Markdown with front matter, and its number of chunks; the same for
    the same ``i``."""
    rng = random.Random(seed * 10_000_019 + i)
    title, body = article(pool, rng)
    outlet = rng.choices([o for o, _ in OUTLETS], weights=[w for _, w in OUTLETS])[0]
    date = f"{rng.choice(YEARS)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    text = f'---\ntitle: "{title}"\noutlet: "{outlet}"\ndate: {date}\n---\n{body}\n'
    return text, expected_chunks(title, body)


def grow_corpus(dest: Path, target_chunks: int, seed: int = 7) -> dict:
    """Extend the growth corpus in ``dest`` until it makes ``target_chunks`` chunks; earlier articles stay as
    they are, so a smaller corpus is the first folders of a larger one. Articles go into folders ``p0000``,
    ``p0001``, ... of 1,000 each. Returns the manifest: {"articles", "chunks", "cumulative"} where
    ``cumulative[i]`` is the number of chunks of articles 0..i."""
    manifest_path = dest / ".manifest.json"
    manifest: dict[str, Any] = {"seed": seed, "articles": 0, "chunks": 0, "cumulative": []}
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
    if manifest["chunks"] >= target_chunks:
        return manifest
    pool = growth_pool()
    while manifest["chunks"] < target_chunks:
        i = manifest["articles"]
        path = dest / f"p{i // PART:04d}" / f"a{i:07d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        text, n = growth_article(pool, i, seed)
        path.write_text(text, encoding="utf-8")
        manifest["chunks"] += n
        manifest["cumulative"].append(manifest["chunks"])
        manifest["articles"] = i + 1
        if i % 5000 == 4999:
            manifest_path.write_text(json.dumps(manifest))
    manifest_path.write_text(json.dumps(manifest))
    return manifest


def articles_for(manifest: dict, chunks: int) -> int:
    """How many of the growth corpus's first articles make ``chunks`` chunks."""
    from bisect import bisect_left

    return min(bisect_left(manifest["cumulative"], chunks) + 1, manifest["articles"])
