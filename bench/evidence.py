"""Sources sooner: evidence sentences scored with the vectors kept at ingest, against embedding each one per question.

    python -m bench.evidence                      # 20 questions of the gold test split, 10 German, 10 English
    python -m bench.evidence --questions 10 --json out.json
    python -m bench.evidence --no-ingest          # the questions again, on the indexes built last time

Builds the index of the bundled corpus and the eval corpus twice, in this process and with the configured
embedder: with ``ASSISTANT_SENTENCE_VECTORS`` on (ingest embeds every sentence too) and off; prints the ingest
time and the size of each. Then, on the first index, takes each question up to its sources (retrieval and
evidence, no LLM), once with the kept sentence vectors and once embedding every sentence as before
(alternating, so that both meet the same load; the best of ``--repeat`` tries per question, which filters out
stalls caused by other processes), and prints the picker's time and the time to the sources (p50 / p95 over
the questions), and whether both ways picked the same evidence. Figures depend on the machine and its load:
the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

from assistant.events import Sources
from assistant.factory import build_assistant, build_embedder
from assistant.questions import analyse
from assistant.sentence_vectors import FILE_NAME
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from bench.answers import CORPORA, load_average, questions, summary
from ingest.factory import build_ingester


def folder_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20, 2)


def build(index: Path, sentence_vectors: bool) -> dict:
    """A fresh index of the corpora; the ingest's own time (the model loaded before), sizes, counts."""
    shutil.rmtree(index, ignore_errors=True)
    settings = Settings(index_dir=index, sentence_vectors=sentence_vectors)
    embedder = build_embedder(settings)
    embedder.warm_up()
    done = build_ingester(settings, embedder).ingest(CORPORA)
    files = {f.name[len(FILE_NAME):]: f.stat().st_size / 2**20 for f in index.glob(f"{FILE_NAME}*") if f.is_file()}
    return {"sentence_vectors": sentence_vectors, "ingest_s": round(done.seconds, 1), "articles": done.new,
            "chunks": done.chunks_added, "sentences": done.sentences_added, "index_mb": folder_mb(index),
            "sentence_file_mb": round(files.get("", 0.0), 2),  # the SQLite file, and its write-ahead log (WAL)
            "sentence_wal_mb": round(files.get("-wal", 0.0), 2)}


def to_sources(assistant: Assistant, question: str) -> float:
    """Seconds from asking to the sources event (the LLM is never asked: the stream is closed there)."""
    t = time.perf_counter()
    stream = assistant.ask_stream(question)
    try:
        for event in stream:
            if isinstance(event, Sources):
                return time.perf_counter() - t
    finally:
        stream.close()
    raise RuntimeError(f"no sources event for {question!r}")


def measure(index: Path, n: int, repeat: int) -> dict:
    assistant = build_assistant(Settings(index_dir=index))
    picker, kept = assistant.evidence, assistant.evidence.sentence_vectors
    to_sources(assistant, "Wann wurde Carlos Ghosn verhaftet?")  # model and BM25 index loaded
    rows = []
    for q in questions(n):
        text, lang = q["question"], q["language"]
        info = analyse(text, lang)
        depth = assistant.settings.retrieval.context_passages
        passages = assistant.relevant(assistant.retriever.search(text, lang, depth), lang)
        row: dict = {"id": q["id"], "language": lang, "passages": len(passages)}
        picked = {}
        for key in ("picker_embedded_s", "picker_kept_s", "sources_embedded_s", "sources_kept_s", "question_s"):
            row[key] = float("inf")
        for _ in range(repeat):
            t = time.perf_counter()
            assistant.retriever.embedder.query_vector(text)  # what the picker still embeds (retrieval does too)
            row["question_s"] = min(row["question_s"], round(time.perf_counter() - t, 3))
            for way, store in (("embedded", None), ("kept", kept)):
                picker.sentence_vectors = store
                t = time.perf_counter()
                picked[way] = picker.pick(info, passages, assistant._article_text) if passages else []
                row[f"picker_{way}_s"] = min(row[f"picker_{way}_s"], round(time.perf_counter() - t, 3))
                row[f"sources_{way}_s"] = min(row[f"sources_{way}_s"], round(to_sources(assistant, text), 3))
        row["same_evidence"] = picked["embedded"] == picked["kept"]
        rows.append(row)
    picker.sentence_vectors = kept
    out: dict = {"rows": rows}
    for key in ("picker_embedded_s", "picker_kept_s", "sources_embedded_s", "sources_kept_s", "question_s"):
        out[key] = summary([r[key] for r in rows])
    out["same_evidence"] = sum(r["same_evidence"] for r in rows)
    return out


def run(workdir: Path, n: int, repeat: int, with_ingest: bool) -> dict:
    workdir.mkdir(parents=True, exist_ok=True)
    out: dict = {"load_start": load_average(), "repeat": repeat, "indexes": []}
    if with_ingest or not (workdir / "on").is_dir():
        out["indexes"] = [build(workdir / "off", False), build(workdir / "on", True)]
    out.update(measure(workdir / "on", n, repeat))
    out["load_end"] = load_average()
    return out


def render(out: dict) -> str:
    lines = [f"load average at start {out['load_start']}, at end {out['load_end']}"]
    if out["indexes"]:
        lines += ["| sentence vectors at ingest | ingest (s) | articles | chunks | sentences | index (MB) | of it "
                  "sentence vectors, file + WAL (MB) |", "|---|---|---|---|---|---|---|"]
        lines += [f"| {'on' if i['sentence_vectors'] else 'off'} | {i['ingest_s']} | {i['articles']} | {i['chunks']} "
                  f"| {i['sentences']} | {i['index_mb']} | {i['sentence_file_mb']} + {i['sentence_wal_mb']} |"
                  for i in out["indexes"]]
    lines += [f"{len(out['rows'])} questions, best of {out['repeat']} tries each; p50 / p95 in seconds:",
              "| sentences | picker | to the sources |", "|---|---|---|"]
    for way, label in (("embedded", "embedded per question"), ("kept", "kept at ingest")):
        p, s = out[f"picker_{way}_s"], out[f"sources_{way}_s"]
        lines.append(f"| {label} | {p['p50']} / {p['p95']} | {s['p50']} / {s['p95']} |")
    lines.append(f"embedding the question once: {out['question_s']['p50']} / {out['question_s']['p95']} s; "
                 f"same evidence both ways: {out['same_evidence']} of {len(out['rows'])} questions")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.evidence", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--questions", type=int, default=20)
    p.add_argument("--repeat", type=int, default=3, help="tries per question and way; the fastest counts")
    p.add_argument("--no-ingest", action="store_true", help="reuse the indexes of the last run (if there are)")
    p.add_argument("--workdir", type=Path, default=PROJECT_ROOT / ".cache" / "bench" / "evidence")
    p.add_argument("--json", type=Path)
    a = p.parse_args(argv)
    out = run(a.workdir, a.questions, a.repeat, not a.no_ingest)
    if a.json:
        a.json.write_text(json.dumps(out, indent=1, ensure_ascii=False))
    print(render(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
