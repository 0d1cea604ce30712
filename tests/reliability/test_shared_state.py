"""State shared by requests and processes: the BM25 cache is built once and written without races; an ingest
in another process does not break the running server."""

from __future__ import annotations

import logging
import pickle
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from assistant.bm25 import BM25Cache, BM25Index
from assistant.factory import build_assistant
from tests.fakes import HashEmbedding
from tests.reliability.conftest import SlowLLM, fake_settings
from tests.reliability.test_ingest_safety import make_archive, run_ingest
from ui.server import create_app


def _batches(counter: list[int]) -> Iterator[tuple[list[str], list[str], list[dict[str, Any]]]]:
    counter.append(1)
    texts = [f"Nissan Renault Allianz Artikel {i} " * 30 for i in range(400)]
    yield [f"c{i}" for i in range(400)], texts, [{"language": "de", "source": f"{i}.txt"} for i in range(400)]


def test_concurrent_first_searches_build_the_bm25_cache_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The first burst of requests after start (or after an ingest) all miss the cache at once. Each built
    its own index and wrote it to the same ``.tmp`` file (seen in the 20-request test as 'cannot write
    BM25 cache'); a torn pickle then costs a rebuild or worse. One build, one clean write."""
    cache = BM25Cache(tmp_path / "cache")
    builds: list[int] = []
    barrier = threading.Barrier(8)
    results: list[BM25Index] = []
    errors: list[BaseException] = []

    def first_search() -> None:
        barrier.wait()
        try:
            results.append(cache.get("gen1", lambda: _batches(builds)))
        except BaseException as e:  # noqa: BLE001 - collected and asserted below
            errors.append(e)

    with caplog.at_level(logging.WARNING, logger="assistant.bm25"):
        threads = [threading.Thread(target=first_search) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors
    assert len(results) == 8 and all(r.ids == results[0].ids for r in results)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text
    assert len(builds) == 1
    files = list((tmp_path / "cache").iterdir())
    assert [f.suffix for f in files] == [".pkl"]
    with files[0].open("rb") as fh:
        assert pickle.load(fh).ids == results[0].ids


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
