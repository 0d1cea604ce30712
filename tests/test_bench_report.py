"""`make bench` prints its report from the jobs' records: the records of the current code, and older ones."""

from __future__ import annotations

from bench.report import render

BREAKDOWN = {"chunks": 1006, "bm25_open_s": 0.002, "bm25_segments": 1, "bm25_chunks": 1006, "embed_ms": 0.01,
             "generation_ms": 0.58, "chroma_dense_ms": 2.66, "bm25_ms": 0.11, "retrieve_without_embed_ms": 7.21}
SEARCH = {"chunks": 1006, "load_before": 0.52, "load_after": 0.67, "server_rss_mb": 437.1,
          "hybrid": {"cold_ms": 405.1, "n": 299, "p50_ms": 23.2, "p95_ms": 33.3, "server_p50_ms": 21.2},
          "dense": {"p50_ms": 21.5}, "bm25": {"p50_ms": 8.4}, "breakdown": BREAKDOWN}
RUN = {"started": "2026-12-01 19:26:40", "threads": 2, "load_start": "0.40"}
BUILD = {"seconds": 3.53, "chunks_added": 1006, "chunks_in_index": 1006, "embed_s": 5.73, "ru_maxrss_mb": 304.3}


def test_the_report_reads_the_on_disk_bm25_breakdown_and_the_overlapping_build() -> None:
    text = render({**RUN, "search": {"1000": SEARCH}, "composed_build": {"1000": BUILD}})
    assert "| 1006 | 0 ms | 7.2 ms | 2.7 ms | 0.1 ms | 0.6 ms | 0.002 s, 1 segment(s) | 1006 |" in text
    # the embed calls overlap the other stages (5.7 s of calls in a 3.5 s ingest): no "time outside" is derived
    assert "1006 chunks: 3.5 s in ingest(), 285 chunks/s" in text and "-" not in text.split("in ingest(),")[1][:30]


def test_records_of_the_pickled_bm25_index_still_render() -> None:
    old = {**BREAKDOWN, "bm25_build_s": 2.1, "bm25_pickle_load_s": 0.01, "bm25_nnz": 51234}
    text = render({**RUN, "search": {"1000": {**SEARCH, "breakdown": old}}})
    assert "pickle: build 2.1 s, load 0.01 s" in text
    assert "Not measured in this run (`--skip ingest`)." in text  # no empty table
