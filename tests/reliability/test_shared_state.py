"""State shared by concurrent requests: the BM25 cache is built once and written without races."""

from __future__ import annotations

import logging
import pickle
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.bm25 import BM25Cache, BM25Index


def _batches(counter: list[int]) -> Iterator[tuple[list[str], list[str], list[dict[str, Any]]]]:
    counter.append(1)
    texts = [f"Nissan Renault Allianz Artikel {i} " * 30 for i in range(400)]
    yield [f"c{i}" for i in range(400)], texts, [{"language": "de", "source": f"{i}.txt"} for i in range(400)]


@pytest.mark.xfail(
    strict=True, reason="needs lead patch: BM25Cache lock + unique temp file (assistant/bm25.py)"
)
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
