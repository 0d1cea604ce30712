"""The bench jobs' command line: ``bench.run`` runs each job in its own process, so its time and memory are its own.

``python -m bench.jobs JOB ...`` prints one JSON line with the job's figures as its last output line.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from bench.embed_jobs import job_compare_composed, job_embed_throughput, job_raw_embed
from bench.ingest_jobs import job_bm25_sync, job_grow_index, job_ingest, job_naive_ingest, job_remote_ingest
from bench.query_jobs import job_naive_ask, job_prompt_tokens, job_search_breakdown


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.jobs")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--cpus", type=lambda s: {int(x) for x in s.split(",")}, help="run on these cores only")
    sub = p.add_subparsers(dest="job", required=True)
    s = sub.add_parser("raw-embed")
    s.add_argument("--corpus", type=Path, required=True)
    s.add_argument("--out", type=Path)
    s.add_argument("--batch", type=int, default=32)
    s.set_defaults(func=job_raw_embed)
    s = sub.add_parser("ingest")
    s.add_argument("--corpus", type=Path, required=True)
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--embedder", choices=["real", "composed"], default="real")
    s.add_argument("--sentence-cache", type=Path)
    s.add_argument("--profile", type=Path, help="write a cProfile summary of the ingest call here")
    s.set_defaults(func=job_ingest)
    s = sub.add_parser("naive-ingest")
    s.add_argument("--corpus", type=Path, required=True)
    s.add_argument("--index", type=Path, required=True)
    s.set_defaults(func=job_naive_ingest)
    s = sub.add_parser("compare-composed")
    s.add_argument("--corpus", type=Path, required=True)
    s.add_argument("--real", type=Path, required=True)
    s.add_argument("--sentence-cache", type=Path, required=True)
    s.add_argument("--limit", type=int, default=300)
    s.set_defaults(func=job_compare_composed)
    s = sub.add_parser("naive-ask")
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--questions", type=Path, required=True)
    s.add_argument("--model", type=Path, required=True)
    s.set_defaults(func=job_naive_ask)
    s = sub.add_parser("prompt-tokens")
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--questions", type=Path, required=True)
    s.add_argument("--model", type=Path, required=True)
    s.set_defaults(func=job_prompt_tokens)
    s = sub.add_parser("search-breakdown")
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--queries", type=Path, required=True)
    s.add_argument("--outlet", default="Weser-Post")
    s.add_argument("--year", default="2019")
    s.set_defaults(func=job_search_breakdown)
    s = sub.add_parser("grow-index")
    s.add_argument("--corpus", type=Path, required=True)
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--articles", type=int, required=True)
    s.add_argument("--sentence-cache", type=Path, required=True)
    s.set_defaults(func=job_grow_index)
    s = sub.add_parser("bm25-sync")
    s.add_argument("--index", type=Path, required=True)
    s.add_argument("--bm25", type=Path, required=True)
    s.add_argument("--sentence-cache", type=Path, required=True)
    s.set_defaults(func=job_bm25_sync)
    for name, fn in (("embed-throughput", job_embed_throughput), ("remote-ingest", job_remote_ingest)):
        s = sub.add_parser(name)
        s.add_argument("--corpus", type=Path, required=True)
        s.add_argument("--url", required=True)
        s.add_argument("--model", default="composed-e5")
        s.add_argument("--batch", type=int, default=64)
        s.add_argument("--in-flight", type=int, default=4)
        s.add_argument("--index", type=Path)
        s.add_argument("--no-bm25", action="store_true")
        s.set_defaults(func=fn)
    a = p.parse_args(argv)
    from ingest.pipeline import stop_on_sigterm

    stop_on_sigterm()  # `kill PID` stops an ingest job between two writes, never inside one (grow-index runs for hours)
    if a.cpus:
        import os

        os.sched_setaffinity(0, a.cpus)
    a.func(a)


if __name__ == "__main__":
    main()
