"""PNG charts of a run (matplotlib, Agg backend): metrics per mode and language, answer latency per stage."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.results import AnswerResult, ResultsByKey
from eval.summary import GROUPS, lookup

CHART_RETRIEVAL, CHART_ANSWERS, CHART_LATENCY = (
    "retrieval_by_language.png",
    "answers_by_language.png",
    "latency.png",
)


def write_charts(out: Path, summary: dict[str, Any], records: ResultsByKey) -> list[str]:
    """PNG charts; returns the names written."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    written: list[str] = []
    ret = summary["retrieval"]
    if ret:
        metrics: tuple[str, ...] = ("hit@1", "hit@5", "mrr", "recall@1", "recall@5")
        fig, axes = plt.subplots(1, len(ret), figsize=(4.2 * len(ret), 3.6), sharey=True, squeeze=False)
        for ax, (mode, m) in zip(axes[0], ret.items(), strict=True):
            _bars(ax, metrics, {g: [lookup(m, g, k) or 0.0 for k in metrics] for g in GROUPS if g in m})
            ax.set_title(f"retrieval: {mode}")
        axes[0][0].set_ylabel("score")
        _save(fig, out / CHART_RETRIEVAL, plt)
        written.append(CHART_RETRIEVAL)
    ans = summary.get("answers")
    if ans:
        metrics = (
            "key_facts_complete",
            "citation_precision",
            "citation_recall",
            "faithfulness",
            "language_match",
            "refusal_precision",
            "refusal_recall",
        )
        fig, ax = plt.subplots(figsize=(10, 3.8))
        _bars(
            ax,
            [m.replace("_", " ") for m in metrics],
            {g: [lookup(ans, g, k) or 0.0 for k in metrics] for g in GROUPS if g in ans},
        )
        ax.set_title("answers per language")
        _save(fig, out / CHART_ANSWERS, plt)
        written.append(CHART_ANSWERS)
        stages = ("retrieve_ms", "ttft_ms", "generate_ms", "total_ms")
        data = {
            s: [r.timings[s] / 1000 for r in records.values() if isinstance(r, AnswerResult) and s in r.timings]
            for s in stages
        }
        data = {s: v for s, v in data.items() if v}
        if data:
            fig, ax = plt.subplots(figsize=(8, 3.8))
            ax.boxplot(list(data.values()), showfliers=True)
            ax.set_xticks(range(1, len(data) + 1), [s.removesuffix("_ms") for s in data])
            ax.set_ylabel("seconds")
            ax.set_title("answer latency per stage")
            _save(fig, out / CHART_LATENCY, plt)
            written.append(CHART_LATENCY)
    return written


def _bars(ax: Any, labels: Sequence[str], series: dict[str, list[float]]) -> None:
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        xs = [x + (i - (len(series) - 1) / 2) * width for x in range(len(labels))]
        ax.bar(xs, values, width, label=name)
    ax.set_xticks(range(len(labels)), labels, rotation=20, ha="right", fontsize=8)
    ax.set_ylim(0, 1.22)
    ax.set_yticks([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    ax.legend(fontsize=8, loc="upper center", ncol=len(series), frameon=False)
    ax.grid(axis="y", alpha=0.3)


def _save(fig: Any, path: Path, plt: Any) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
