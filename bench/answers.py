"""The answer path as a user meets it: `assistant serve` start to ready, then questions through the streaming
API, timing the `sources` event, the first answer token and the final answer per language; the server's RSS.

    python -m bench.answers                      # 40 questions of the gold test split, 20 German, 20 English
    python -m bench.answers --questions 10 --json out.json

The index holds the bundled corpus and the eval corpus (`assistant ingest corpus eval/corpus`). The server is
started twice: the first start processes the static prompts and saves their states (into a folder of the benchmark's
own, empty at its start: what the first start on a machine would do if `make setup` had not computed them), the
second restores them (what every later start of a real installation does, of its first index or of a new one).
Figures depend on the machine: run it on a quiet one (`uptime` is printed before and after).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import httpx

from assistant.settings import PROJECT_ROOT
from bench.serving import ingest_cli, serve
from eval.metrics import percentile

GOLD = PROJECT_ROOT / "eval" / "gold.jsonl"
CORPORA = [PROJECT_ROOT / "corpus", PROJECT_ROOT / "eval" / "corpus"]


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def questions(n: int, split: str = "test") -> list[dict]:
    """``n`` questions without history from a gold split, alternating German and English, in file order."""
    rows = [json.loads(x) for x in GOLD.read_text(encoding="utf-8").splitlines() if x.strip()]
    pool = {lang: [r for r in rows if r.get("split") == split and not r["history"] and r["language"] == lang]
            for lang in ("de", "en")}
    out: list[dict] = []
    while len(out) < n and (pool["de"] or pool["en"]):
        for lang in ("de", "en"):
            if pool[lang] and len(out) < n:
                out.append(pool[lang].pop(0))
    return out


def ask(base: str, question: str) -> dict:
    """One streamed /api/ask: seconds to the sources event, to the first token (None if the LLM was not
    asked), to the final answer; and how the answer came about."""
    t = time.perf_counter()
    marks: dict[str, float] = {}
    final = None
    event = None
    with httpx.Client(base_url=base, timeout=600, trust_env=False) as client, \
            client.stream("POST", "/api/ask", json={"question": question, "stream": True}) as r:
        r.raise_for_status()
        for line in r.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event:
                marks.setdefault(event, time.perf_counter() - t)
                if event == "final":
                    final = json.loads(line[6:])
                elif event == "error":
                    raise RuntimeError(f"/api/ask failed: {line[6:]}")
    if final is None:
        raise RuntimeError(f"no final event for {question!r}")
    return {"sources_s": round(marks.get("sources", marks["final"]), 3),
            "first_token_s": round(marks["token"], 3) if "token" in marks else None,
            "total_s": round(marks["final"], 3), "mode": (final.get("trace") or {}).get("mode"),
            "answerable": final["answerable"]}


def summary(values: list[float]) -> dict:
    p50, p95 = percentile(values, 50), percentile(values, 95)  # None if there are no values
    return {"n": len(values), "p50": round(p50, 2) if p50 is not None else None,
            "p95": round(p95, 2) if p95 is not None else None}


def run(workdir: Path, n: int) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    index = workdir / "index"
    shutil.rmtree(index, ignore_errors=True)
    states = workdir / "prompt-states"  # not the machine's (beside the models): the first start computes them
    shutil.rmtree(states, ignore_errors=True)
    log = workdir / "server.log"
    out: dict = {"load_start": load_average()}
    out["ingest_s"] = round(sum(ingest_cli(c, index, log) for c in CORPORA), 1)
    starts = []
    for attempt in ("first start (prompt states computed)", "second start (prompt states restored)"):
        with serve(index, warm_up=True, log=log, ASSISTANT_LLM_STATE_DIR=str(states)) as server:
            starts.append({"start": attempt, "ready_s": server.ready_s, "rss_idle_mb": server.rss_mb()})
            if attempt.startswith("second"):
                rows = []
                with server.sampling():
                    for q in questions(n):
                        r = ask(server.base, q["question"])
                        rows.append({"id": q["id"], "language": q["language"], **r})
                out["rss_peak_mb"] = round(server.peak_rss / 2**20, 1)
                out["rss_after_mb"] = server.rss_mb()
                out["rows"] = rows
    out["starts"] = starts
    for lang in ("de", "en", "all"):
        part = [r for r in out["rows"] if lang in ("all", r["language"])]
        out[lang] = {k: summary([r[k] for r in part if r[k] is not None])
                     for k in ("sources_s", "first_token_s", "total_s")}
    out["load_end"] = load_average()
    return out


def render(out: dict) -> str:
    lines = [f"load average at start {out['load_start']}, at end {out['load_end']}; ingest {out['ingest_s']} s",
             *(f"{s['start']}: ready after {s['ready_s']} s, RSS {s['rss_idle_mb']} MB" for s in out["starts"]),
             f"serving RSS peak {out['rss_peak_mb']} MB over {len(out['rows'])} questions",
             "| language | n | sources p50 / p95 (s) | first token p50 / p95 (s) | answer p50 / p95 (s) |",
             "|---|---|---|---|---|"]
    for lang in ("de", "en", "all"):
        r = out[lang]
        lines.append(f"| {lang} | {r['total_s']['n']} | {r['sources_s']['p50']} / {r['sources_s']['p95']} | "
                     f"{r['first_token_s']['p50']} / {r['first_token_s']['p95']} | "
                     f"{r['total_s']['p50']} / {r['total_s']['p95']} |")
    modes: dict[str, int] = {}
    for r in out["rows"]:
        modes[str(r["mode"])] = modes.get(str(r["mode"]), 0) + 1
    lines.append("answers: " + ", ".join(f"{v} {k}" for k, v in sorted(modes.items())))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.answers", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--questions", type=int, default=40)
    p.add_argument("--workdir", type=Path, default=PROJECT_ROOT / ".cache" / "bench" / "answers")
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    out = run(a.workdir, a.questions)
    if a.json:
        a.json.write_text(json.dumps(out, indent=1, ensure_ascii=False))
    print(render(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
