"""Tables and the growth chart from ``growth.json`` (``bench.growth``), with the targets of issue 13."""

from __future__ import annotations

from pathlib import Path
from typing import Any

TARGETS = {"p50": 100.0, "p95": 250.0, "filtered_ratio": 2.0, "ready_s": 30.0, "rss_mb": 6 * 1024,
           "update_s": 10.0}


def _row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def _get(d: dict, *keys: str) -> Any:
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def _ms(x: float | None) -> str:
    return "–" if x is None else f"{x:.0f}"


def _pair(before: str, after: str) -> str:
    return f"{before} → **{after}**"


def _filtered(serve: dict | None) -> str:
    if not serve:
        return "–"
    base = _get(serve, "hybrid/none", "p50_ms")
    parts = []
    for name in ("outlet", "date"):
        p50 = _get(serve, f"hybrid/{name}", "p50_ms")
        parts.append("–" if p50 is None or not base else f"{p50:.0f} ({p50 / base:.1f}x)")
    return " / ".join(parts)


def _update(row: dict, version: str) -> str:
    if version == "before":
        b = row.get("breakdown/before") or {}
        return "–" if "bm25_build_s" not in b else f"{b['bm25_build_s']:.1f} (full rebuild)"
    u, w = row.get("update") or {}, row.get("worker_sync") or {}
    if "bm25_s" not in u:
        return "–"
    cpu = u.get("bm25_cpu_s", u["bm25_s"])
    return f"{cpu:.1f} CPU in the ingest; {w.get('seconds', float('nan')):.1f} other worker"


def targets_table(results: dict, chroma: str) -> list[str]:
    out = [_row("chunks", "hybrid p50 / p95 ms", "filtered p50 ms: outlet / date (x unfiltered)",
                "start → ready / first answer s", "worker RSS MB", "BM25 update after 1,000 articles s"),
           _row(*["---"] * 6)]
    for size, row in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        serve = row.get("serve", {})
        b, a = serve.get(f"before/{chroma}"), serve.get(f"after/{chroma}")

        def lat(s: dict | None) -> str:
            if not s:
                return "–"
            return f"{_ms(_get(s, 'hybrid/none', 'p50_ms'))} / {_ms(_get(s, 'hybrid/none', 'p95_ms'))}"

        def start(s: dict | None) -> str:
            return "–" if not s else f"{s['ready_s']:.1f} / {s['first_answer_s']:.1f}"

        def rss(s: dict | None) -> str:
            if not s:
                return "–"
            extra = f" (+ Chroma server {s['chroma_server_rss_mb']:.0f})" if s.get("chroma_server_rss_mb") else ""
            return f"{s['rss_peak_mb']:.0f}{extra}"

        chunks = _get(row, "update", "chunks_in_index") or size
        out.append(_row(f"{chunks:,}", _pair(lat(b), lat(a)), _pair(_filtered(b), _filtered(a)),
                        _pair(start(b), start(a)), _pair(rss(b), rss(a)),
                        _pair(_update(row, "before"), _update(row, "after"))))
    return out


def series_table(results: dict) -> list[str]:
    from bench.growth import SERIES

    out = [_row("chunks", "code / Chroma", *[f"{m} {f}" for m, f in SERIES]), _row(*["---"] * (2 + len(SERIES)))]
    for size, row in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        for key, s in sorted(row.get("serve", {}).items()):
            cells = [f"{_ms(_get(s, f'{m}/{f}', 'p50_ms'))} / {_ms(_get(s, f'{m}/{f}', 'p95_ms'))}" for m, f in SERIES]
            out.append(_row(f"{int(size):,}", key, *cells))
    return out


def breakdown_table(results: dict) -> list[str]:
    out = [_row("chunks", "code", "query embedding ms", "Chroma k=30 ms", "Chroma k=30 + outlet / date where ms",
                "BM25 ms", "retrieval without embedding ms (none / outlet / date)", "BM25 open or build"),
           _row(*["---"] * 8)]
    for _size, row in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        for version in ("before", "after"):
            b = row.get(f"breakdown/{version}")
            if not b or "error" in b:
                continue
            where = (f"{_ms(b.get('chroma_where_outlet_ms'))} / {_ms(b.get('chroma_where_date_ms'))}"
                     if "chroma_where_outlet_ms" in b else "–")
            filtered = (f"{b['retrieve_without_embed_ms']:.0f} / {_ms(b.get('retrieve_outlet_without_embed_ms'))} / "
                        f"{_ms(b.get('retrieve_date_without_embed_ms'))}")
            opened = (f"pickle: build {b['bm25_build_s']:.1f} s, load {b['bm25_pickle_load_s']:.2f} s"
                      if "bm25_build_s" in b else f"open {b.get('bm25_open_s', 0):.3f} s, "
                                                  f"{b.get('bm25_segments')} segments")
            out.append(_row(f"{b['chunks']:,}", version, _ms(b["embed_ms"]), f"{b['chroma_dense_ms']:.1f}", where,
                            f"{b['bm25_ms']:.1f}", filtered, opened))
    return out


def ingest_table(results: dict) -> list[str]:
    out = [_row("chunks in index", "bulk ingest (composed vectors)", "last 1,000 articles",
                "of which BM25 (wall / CPU)", "other worker catches up", "BM25 segments", "disk MB (Chroma / BM25)",
                "uptime at the update"),
           _row(*["---"] * 8)]
    for _size, row in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        u, bulk, w = row.get("update") or {}, row.get("bulk") or {}, row.get("worker_sync") or {}
        if not u:
            continue
        disk = row.get("disk_mb", {})
        out.append(_row(f"{u['chunks_in_index']:,}",
                        f"{bulk.get('chunks_added', 0):,} chunks in {bulk.get('seconds', 0):.0f} s" if bulk else "–",
                        f"{u['chunks_added']:,} chunks in {u['seconds']:.1f} s",
                        f"{u['bm25_s']:.1f} / {u.get('bm25_cpu_s', float('nan')):.1f} s",
                        f"{w.get('seconds', 0):.1f} s", u.get("bm25_segments"),
                        f"{disk.get('chroma', '?')} / {disk.get('bm25', '?')}",
                        row.get("uptime_update", "").split("load average:")[-1].strip()))
    return out


def remote_table(results: dict) -> list[str]:
    rows = results.get("remote") or []
    if not rows:
        return []
    out = ["", "### Ingest through an embeddings server", "",
           _row("server", "chunks", "server alone (chunks/s)", "our ingest (chunks/s)", "ratio", "uptime"),
           _row(*["---"] * 6)]
    for r in rows:
        ratio = r["ingest"]["chunks_per_s"] / r["server"]["chunks_per_s"]
        out.append(_row(r["name"], r["ingest"]["chunks"], r["server"]["chunks_per_s"], r["ingest"]["chunks_per_s"],
                        f"{ratio:.2f}", r.get("uptime", "")))
    return out


def chart(results: dict, path: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = sorted(results["sizes"], key=int)
    if not sizes:
        return None
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5))
    x = [int(_get(results["sizes"][s], "update", "chunks_in_index") or s) for s in sizes]

    def series(version: str, *keys: str, chroma: str = "embedded") -> list[float | None]:
        return [_get(results["sizes"][s], "serve", f"{version}/{chroma}", *keys) for s in sizes]

    def plot(ax: Any, ys: list[float | None], label: str, style: str) -> None:
        pts = [(a, b) for a, b in zip(x, ys, strict=True) if b is not None]
        if pts:
            ax.plot(*zip(*pts, strict=True), style, label=label, marker="o")

    ax = axes[0][0]
    for version, style in (("before", "--"), ("after", "-")):
        plot(ax, series(version, "hybrid/none", "p50_ms"), f"{version}: hybrid p50", style)
        plot(ax, series(version, "hybrid/none", "p95_ms"), f"{version}: hybrid p95", style)
        plot(ax, series(version, "hybrid/outlet", "p50_ms"), f"{version}: hybrid + outlet filter p50", style)
        plot(ax, series(version, "hybrid/date", "p50_ms"), f"{version}: hybrid + date filter p50", style)
        plot(ax, series(version, "hybrid/outlet+date", "p50_ms"), f"{version}: hybrid + outlet + date p50", style)
    ax.axhline(TARGETS["p50"], color="grey", lw=0.8)
    ax.axhline(TARGETS["p95"], color="grey", lw=0.8, ls=":")
    ax.set(title="/api/search latency (ms), embedded Chroma", yscale="log")
    ax = axes[0][1]
    for version, style in (("before", "--"), ("after", "-")):
        plot(ax, series(version, "first_answer_s"), f"{version}: start to first answer", style)
        plot(ax, series(version, "first_answer_s", chroma="server"), f"{version}: same, Chroma server", style)
    ax.axhline(TARGETS["ready_s"], color="grey", lw=0.8)
    ax.set(title="start-up (s)", yscale="log")
    ax = axes[1][0]
    for version, style in (("before", "--"), ("after", "-")):
        plot(ax, series(version, "rss_peak_mb"), f"{version}: worker, embedded Chroma", style)
        plot(ax, series(version, "rss_peak_mb", chroma="server"), f"{version}: worker, Chroma server", style)
    ax.axhline(TARGETS["rss_mb"], color="grey", lw=0.8)
    ax.set(title="worker RSS (MB)", yscale="log")
    ax = axes[1][1]
    plot(ax, [_get(results["sizes"][s], "breakdown/before", "bm25_build_s") for s in sizes],
         "before: full rebuild", "--")
    plot(ax, [_get(results["sizes"][s], "update", "bm25_cpu_s") for s in sizes], "after: inside the ingest (CPU)", "-")
    plot(ax, [_get(results["sizes"][s], "worker_sync", "seconds") for s in sizes], "after: another worker", "-")
    ax.axhline(TARGETS["update_s"], color="grey", lw=0.8)
    ax.set(title="BM25 update after 1,000 new articles (s)", yscale="log")
    for ax in axes.flat:
        ax.set_xscale("log")
        ax.set_xlabel("chunks")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Growth 10k → 1M chunks (composed vectors, real query embedder; 2-core machine)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def render(results: dict, work: Path) -> str:
    lines = ["## Growth (bench.growth)", "",
             f"Started {results.get('started')}, finished {results.get('finished')}.", "",
             "### Targets, embedded Chroma (before → **after**)", "", *targets_table(results, "embedded"), "",
             "### Targets, Chroma server (`chroma run` on the same folder)", "", *targets_table(results, "server"),
             "", "### Every series, p50 / p95 ms", "", *series_table(results), "",
             "### In-process breakdown (medians)", "", *breakdown_table(results), "",
             "### Growing the index", "", *ingest_table(results), *remote_table(results)]
    png = chart(results, work / "growth.png")
    if png:
        lines += ["", f"Chart: {png}"]
    return "\n".join(lines) + "\n"
