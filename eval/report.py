"""The human side of a run: report.md (readable on its own), PNG charts, and a console summary."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval import verifier_pairs
from eval.charts import CHART_ANSWERS, CHART_LATENCY, CHART_RETRIEVAL, write_charts
from eval.failures import worst_failures
from eval.gold import Question
from eval.results import ResultsByKey
from eval.summary import ANSWER_METRICS, GROUPS, LATENCY_STAGES, RETRIEVAL_METRICS, TYPE_METRICS, lookup

TYPE_LABELS = {"multi": "cross-article", "followup": "follow-up"}


def fmt(value: Any, previous: Any = None, digits: int = 3) -> str:
    """A number, with its change against ``previous`` when there is one."""
    if value is None:
        return "–"
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value)
    else:
        text = f"{float(value):.{digits}f}"
    if isinstance(previous, int | float) and not isinstance(previous, bool):
        delta = float(value) - float(previous)
        text += f" ({delta:+.{digits}f})" if abs(delta) >= 10**-digits / 2 else " (±0)"
    return text


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def write(
    out: Path,
    summary: dict[str, Any],
    questions: Sequence[Question],
    records: ResultsByKey,
    previous: dict[str, Any] | None,
) -> None:
    """report.md and the charts in ``out``."""
    charts = write_charts(out, summary, records)
    text = render(summary, questions, records, previous, charts)
    (out / "report.md").write_text(text, encoding="utf-8")


def render(
    summary: dict[str, Any],
    questions: Sequence[Question],
    records: ResultsByKey,
    previous: dict[str, Any] | None,
    charts: Sequence[str] = (),
) -> str:
    meta, cfg = summary["meta"], summary["meta"]["config"]
    prev = previous or {}
    lines = ["# Evaluation report", ""]
    phases = ", ".join(
        f"{k.removesuffix('_s').replace('_', ' ')} {v:.0f} s" for k, v in meta["phases_s"].items()
    )
    lines += [
        f"Run started {meta['started']}; wall time {meta['wall_s']:.0f} s ({phases}).",
        f"Command: `{meta['command'] or 'assistant eval'}`. Output folder: `{meta['out']}`.",
    ]
    if previous:
        lines.append(
            f"Numbers in parentheses are changes against the earlier run of "
            f"{lookup(previous, 'meta', 'started')} (`{lookup(previous, 'meta', 'out')}`)."
        )
    if meta.get("rescored"):
        lines.append(f"Scores recomputed from the stored results on {meta['rescored']} (`--rescore`).")
    if meta["reused_results"] and not meta.get("rescored"):
        lines.append(
            f"{meta['reused_results']} per-question results were reused from an interrupted earlier "
            "run with the same configuration."
        )
    verdict = summary.get("quality_gate")
    if verdict:
        lines += [
            "",
            f"**Gate ({verdict['thresholds']}): "
            + ("FAILED**" if verdict["failures"] else f"passed** ({verdict['checked']} metrics checked)"),
        ]
        lines += [f"- {f}" for f in verdict["failures"]]
        if verdict["skipped"]:
            lines.append(f"- not evaluated in this run, so not checked: {', '.join(verdict['skipped'])}")
    if meta.get("timed_out"):
        lines += [
            "",
            f"**{len(meta['timed_out'])} answer(s) hit the LLM time limit (ASSISTANT_LLM_TIMEOUT_S) and were "
            f"cut off**, which usually means the machine was overloaded: {', '.join(meta['timed_out'])}.",
        ]
    cache = meta.get("llm_cache")
    if cache and cache["replayed"]:
        lines += ["", f"**{cache['replayed']} LLM replies were replayed from `{cache['path']}`** "
                      f"({cache['generated']} generated): the latency figures of this run measure nothing."]
    if meta["errors"]:
        lines += ["", f"**{len(meta['errors'])} question(s) failed with an error** (rerun to retry them):"]
        lines += [f"- {e}" for e in meta["errors"]]

    q, c = meta["questions"], meta["corpus"]
    by_lang = ", ".join(f"{n} {k}" for k, n in sorted(q["by_language"].items()))
    by_type = ", ".join(f"{n} {k}" for k, n in sorted(q["by_type"].items()))
    lines += [
        "",
        "## What was evaluated",
        "",
        f"- **Questions**: `{q['path']}`, {q['n']} questions ({by_lang}; {by_type}). "
        f"{len(q['answered_with_llm'])} of them answered by the LLM"
        + (
            f" ({', '.join(q['answered_with_llm'])})."
            if 0 < len(q["answered_with_llm"]) < len(questions)
            else "."
        ),
        f"- **Corpus**: `{c['path']}`, {c['articles']} articles, {c['chunks']} chunks, ingested into a "
        f"throwaway index ({c['ingest_s']:.0f} s)."
        + (f" Skipped: {'; '.join(c['skipped'])}." if c["skipped"] else ""),
        f"- **Follow-ups**: {meta['followup_retrieval']}",
        "",
        *_table(
            ("setting", "value"),
            [
                ("code (git)", str(cfg.get("code") or "unknown")),
                ("embedding model", str(cfg["embedding_model"])),
                ("LLM", str(cfg["llm"] or "not used (--no-llm)")),
                ("retrieval modes compared", ", ".join(cfg["retrieval_modes"])),
                ("retrieval mode of the answers", str(cfg["answer_mode"] or "–")),
                ("hits scored per question (MRR depth)", str(cfg["search_depth"])),
                *((f"`ASSISTANT_{k.upper()}`", v) for k, v in cfg.get("settings", {}).items()),
            ],
        ),
    ]
    lines += _retrieval_section(summary, prev, charts)
    if summary.get("answers"):
        lines += _answer_section(summary, prev, charts)
    if summary.get("verifier"):
        lines += verifier_pairs.report_lines(summary["verifier"])
    lines += worst_failures(summary, questions, records)
    lines += _definitions()
    if meta["unlocated_passages"]:
        lines += [
            "",
            "## Gold problems",
            "",
            "Supporting passages not found in the ingested text "
            "(they count as not retrieved; fix the gold file):",
            "",
        ]
        lines += [f"- {u}" for u in meta["unlocated_passages"]]
    return "\n".join(lines) + "\n"


def _retrieval_section(summary: dict[str, Any], prev: dict[str, Any], charts: Sequence[str]) -> list[str]:
    ret = summary["retrieval"]
    any_mode: dict[str, Any] = next(iter(ret.values()), {})
    n = lookup(any_mode, "overall", "n") or 0
    articles = lookup(summary, "meta", "corpus", "articles") or 0
    lines = [
        "",
        "## Retrieval",
        "",
        f"Over the {n} answerable questions (`Assistant.search`, the same code as POST /api/search). "
        "hit@k and MRR are article level, recall@k is passage level (a hit covers a supporting passage "
        "when their character spans overlap), sources@5 is the share of expected articles in the top 5."
        + (
            f" The corpus has only {articles} articles, so article-level hits are close to 1 by "
            "construction; recall@1 and recall@3 are the columns that tell the modes apart."
            if articles < 20
            else ""
        ),
        "",
        "### Mode comparison (all languages)",
        "",
    ]
    rows = []
    for mode, m in ret.items():
        row = [mode] + [
            fmt(lookup(m, "overall", k), lookup(prev, "retrieval", mode, "overall", k))
            for k in RETRIEVAL_METRICS
        ]
        row += [fmt(lookup(m, "latency_ms", "p50"), digits=0), fmt(lookup(m, "latency_ms", "p95"), digits=0)]
        rows.append(row)
    lines += _table(("mode", *RETRIEVAL_METRICS, "p50 ms", "p95 ms"), rows)
    lines += ["", "### Per language", ""]
    rows = []
    for mode, m in ret.items():
        for g in GROUPS[1:]:
            if g in m:
                rows.append(
                    [mode, g, str(m[g]["n"])]
                    + [
                        fmt(m[g][k], lookup(prev, "retrieval", mode, g, k))
                        for k in ("hit@1", "hit@5", "mrr", "recall@1", "recall@5")
                    ]
                )
    lines += _table(("mode", "language", "n", "hit@1", "hit@5", "MRR", "recall@1", "recall@5"), rows)
    lines += ["", "### Per question type (recall@5)", ""]
    types = sorted({t for m in ret.values() for t in m.get("by_type", {})})
    rows = [
        [t, str(next(iter(ret.values()))["by_type"].get(t, {}).get("n", 0))]
        + [fmt(lookup(m, "by_type", t, "recall@5")) for m in ret.values()]
        for t in types
    ]
    lines += _table(("type", "n", *ret.keys()), rows)
    if CHART_RETRIEVAL in charts:
        lines += ["", f"![Retrieval metrics per mode and language]({CHART_RETRIEVAL})"]
    return lines


def _answer_section(summary: dict[str, Any], prev: dict[str, Any], charts: Sequence[str]) -> list[str]:
    ans = summary["answers"]
    o = ans["overall"]
    lines = [
        "",
        "## Answers",
        "",
        f"{o['n']} questions through `Assistant.ask_stream` (as POST /api/ask): "
        f"{o['n_answerable']} answerable, {o['n'] - o['n_answerable']} unanswerable; "
        f"{o['n_answered']} got an answer, {o['n'] - o['n_answered']} the refusal. "
        f"The lexical judge looked at {o['judged_sentences']} answer sentences "
        f"({o['unjudged_sentences']} more could not be judged: other language and no name or number).",
        "",
    ]
    groups = [g for g in GROUPS if g in ans]
    rows = [
        [label] + [fmt(ans[g].get(k), lookup(prev, "answers", g, k)) for g in groups]
        for k, label in ANSWER_METRICS.items()
    ]
    lines += _table(("metric", *groups), rows)
    causes = ans.get("refusal_causes") or {}
    if causes:
        lines += [
            "",
            "Why answers were refusals: " + ", ".join(f"{v}× {k}" for k, v in sorted(causes.items())) + ".",
        ]
    modes = ans.get("answer_modes") or {}
    if modes:
        lines += ["", "How answers came about: " + ", ".join(f"{v}× {k}" for k, v in sorted(modes.items()))
                  + " (quoted: the evidence sentence itself, after the draft failed verification or the LLM refused a"
                  " question in another language than its evidence)."]
    by_type = ans.get("by_type") or {}
    if by_type:
        lines += ["", "### Per question type", ""]
        lines += _table(
            ("type", "n", *TYPE_METRICS),
            [[TYPE_LABELS.get(t, t), str(v["n"]), *(fmt(v[m], lookup(prev, "answers", "by_type", t, m))
                                                    for m in TYPE_METRICS)] for t, v in by_type.items()],
        )
    lines += ["", "### Latency (ms)", ""]
    rows = [
        [
            LATENCY_STAGES[s],
            str(v["n"]),
            fmt(v["p50"], lookup(prev, "answers", "latency_ms", s, "p50"), 0),
            fmt(v["p95"], lookup(prev, "answers", "latency_ms", s, "p95"), 0),
            fmt(v["max"], digits=0),
        ]
        for s, v in ans["latency_ms"].items()
        if v["n"]
    ]
    lines += _table(("stage", "n", "p50", "p95", "max"), rows)
    lines += [""] + [
        f"![{t}]({c})"
        for c, t in ((CHART_ANSWERS, "Answer metrics per language"), (CHART_LATENCY, "Latency distribution"))
        if c in charts
    ]
    return lines


def _definitions() -> list[str]:
    return [
        "",
        "## How the metrics are defined",
        "",
        "- Retrieval: means over answerable questions; for follow-ups see above.",
        "- Key facts: a fact counts when any of its alternatives occurs in the answer (case-insensitive); "
        "a refusal has none.",
        "- Citation precision: over all passages cited by answers to answerable questions; "
        "citation recall: per answerable question, the share of its supporting passages that a citation "
        "overlaps "
        "(a refusal scores 0).",
        "- Faithfulness: share of the final answer sentences that the lexical judge (eval/judge.py) "
        "supports: "
        "cites a passage, its numbers occur there, and enough of its words (same language) or names "
        "(across languages) do. It is independent of the verifier; verifier agreement compares both on every "
        "sentence the LLM wrote.",
        "- Refusals: precision = refused unanswerable / all refusals; recall = refused unanswerable / "
        "unanswerable. Refusing everything gives high recall but low precision and a false refusal "
        "rate of 1.",
        "- Details and the gold file format: eval/FORMAT.md.",
    ]


def console_summary(summary: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    lines = []
    for mode, m in summary["retrieval"].items():
        o = m.get("overall", {})
        lines.append(
            f"retrieval {mode:<6}  hit@1 {fmt(o.get('hit@1'))}  hit@5 {fmt(o.get('hit@5'))}  "
            f"MRR {fmt(o.get('mrr'))}  recall@5 {fmt(o.get('recall@5'))}"
        )
    ans = summary.get("answers")
    if ans:
        o = ans["overall"]
        lines.append(
            f"answers ({o['n']})  key facts {fmt(o['key_facts_complete'])}  citation P/R "
            f"{fmt(o['citation_precision'])}/{fmt(o['citation_recall'])}  faithfulness "
            f"{fmt(o['faithfulness'])}  refusal P/R {fmt(o['refusal_precision'])}/{fmt(o['refusal_recall'])}"
        )
        total = ans["latency_ms"]["total_ms"]
        lines.append(
            f"latency total p50 {fmt(total['p50'], digits=0)} ms, p95 {fmt(total['p95'], digits=0)} ms"
        )
    v = summary.get("verifier")
    if v:
        o = v["overall"]
        lines.append(f"verifier on {o['n']} labelled pairs: false accepts {fmt(o['false_accept_rate'])}, "
                     f"false rejects {fmt(o['false_reject_rate'])}")
    lines.append(f"wall time {summary['meta']['wall_s']:.0f} s")
    return "\n".join(lines)
