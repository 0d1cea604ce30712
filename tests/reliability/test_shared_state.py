"""State shared by requests and processes: the BM25 index is brought in line once and written without races;
an ingest in another process does not break the running server."""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.bm25_store import BM25Store, BM25Writer
from assistant.factory import build_assistant, build_store
from ingest.pipeline import ingest
from tests.fakes import HashEmbedding, fake_settings
from tests.reliability.conftest import SlowLLM
from tests.reliability.test_ingest_safety import make_archive, run_ingest
from ui.server import create_app


def test_concurrent_first_searches_sync_the_bm25_index_once(
    tmp_path: Path, corpus_copy: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first burst of requests after start (or after an ingest elsewhere) all find the BM25 index behind the
    store at once. One of them brings it in line; the others wait for it and search the same index."""
    settings = fake_settings(tmp_path / "index")
    store = build_store(settings, HashEmbedding())
    ingest([corpus_copy], store, HashEmbedding())  # no BM25: as if another worker ingested
    bm25 = BM25Store(tmp_path / "bm25")
    syncs: list[int] = []
    real_sync = BM25Writer.sync

    def counted(self: BM25Writer, *a: Any, **k: Any) -> tuple[int, int]:
        syncs.append(1)
        return real_sync(self, *a, **k)

    monkeypatch.setattr(BM25Writer, "sync", counted)
    barrier = threading.Barrier(8)
    results: list[list[tuple[str, float]]] = []
    errors: list[BaseException] = []

    def first_search() -> None:
        barrier.wait()
        try:
            results.append(bm25.current(store).search("Renault Nissan Allianz", "de", 5))
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    with caplog.at_level(logging.WARNING, logger="assistant"):
        threads = [threading.Thread(target=first_search) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    assert len(results) == 8 and results[0] and all(r == results[0] for r in results)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert len(syncs) == 1
    assert sorted(p.name for p in (tmp_path / "bm25").iterdir() if not p.name.startswith("s-")) == \
        ["manifest.json", "write.lock"]


def test_server_keeps_answering_after_another_process_ingests(tmp_path: Path) -> None:
    """`assistant ingest` next to a running server (the documented workflow) left the server's Chroma client
    with stale vector segments: every search and ask failed with chromadb 'Error finding id' (HTTP 500)
    until the server was restarted."""
    articles = make_archive(tmp_path / "articles", n=12)
    first = tmp_path / "first"
    first.mkdir()
    for path in sorted(articles.iterdir())[:4]:
        shutil.copy(path, first / path.name)
    index = tmp_path / "index"
    run_ingest(index, first)
    settings = fake_settings(index)
    assistant = build_assistant(settings, embedder=HashEmbedding(), llm=SlowLLM(delay_s=0))
    client = TestClient(create_app(assistant, settings, with_ui=False), raise_server_exceptions=False)
    assert client.post("/api/search", json={"query": "Vorgang Nummer 1002"}).status_code == 200

    run_ingest(index, articles)  # another process adds 8 articles while the server runs

    assert len(client.get("/api/documents").json()["documents"]) == 12
    r = client.post("/api/search", json={"query": "Vorgang Nummer 1010 Unternehmen"})
    assert r.status_code == 200, r.text
    assert any(hit["source"] == "010.txt" for hit in r.json()["results"])
    assert client.post("/api/ask", json={"question": "Was berichtet die Meldung 10?"}).status_code == 200
