"""The ingest factory: one writer per index (also across processes), prune spares uploads, delete removes an
upload's kept original only when no article of it is left."""

from __future__ import annotations

import fcntl
import json
import threading
import time
from pathlib import Path

from ingest.factory import LOCK_FILE, build_ingester, supported_suffixes
from tests.conftest import CORPUS
from tests.fakes import HashEmbedding, fake_settings

TEXT = (CORPUS / "001_3ad74785a6077ba1.txt").read_text(encoding="utf-8")


def test_supported_suffixes_are_the_readers() -> None:
    assert {".txt", ".md", ".html", ".jsonl", ".pdf", ".docx"} <= supported_suffixes()
    assert ".zip" not in supported_suffixes()


def test_prune_spares_uploaded_articles(tmp_path: Path) -> None:
    ingester = build_ingester(fake_settings(tmp_path / "index"), embedder=HashEmbedding())
    up = ingester.uploads_dir / "eigen.txt"
    up.parent.mkdir(parents=True)
    up.write_text(TEXT, encoding="utf-8")
    ingester.ingest([up], source_prefix="uploads/")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT.replace("Nissan", "Renault"), encoding="utf-8")
    summary = ingester.ingest([folder], prune=True)
    assert summary.removed == 0
    assert {d.source for d in ingester.store.documents()} == {"uploads/eigen.txt", "a.txt"}
    (folder / "a.txt").unlink()
    (folder / "b.txt").write_text(TEXT.replace("Nissan", "Toyota"), encoding="utf-8")
    assert ingester.ingest([folder], prune=True).removed == 1  # the folder's own article does go
    assert {d.source for d in ingester.store.documents()} == {"uploads/eigen.txt", "b.txt"}


def test_a_second_writer_waits_for_the_first(tmp_path: Path) -> None:
    """Another process holding the index's lock (as `assistant ingest` does) makes this writer wait."""
    ingester = build_ingester(fake_settings(tmp_path / "index"), embedder=HashEmbedding())
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "index").mkdir(parents=True, exist_ok=True)
    other = (tmp_path / "index" / LOCK_FILE).open("a+")  # its own open file: flock conflicts like a process
    fcntl.flock(other, fcntl.LOCK_EX)
    notes: list[float] = []
    done: list[float] = []
    t0 = time.monotonic()
    worker = threading.Thread(target=lambda: done.append(
        ingester.ingest([folder], wait_note=lambda: notes.append(time.monotonic())).new))
    worker.start()
    time.sleep(0.5)
    assert worker.is_alive() and notes and not done  # waiting, and it said so
    fcntl.flock(other, fcntl.LOCK_UN)
    other.close()
    worker.join(10)
    assert done == [1] and time.monotonic() - t0 >= 0.5


def test_deleting_one_article_of_an_uploaded_jsonl_keeps_the_file_until_the_last(tmp_path: Path) -> None:
    ingester = build_ingester(fake_settings(tmp_path / "index"), embedder=HashEmbedding())
    path = ingester.uploads_dir / "export.jsonl"
    path.parent.mkdir(parents=True)
    lines = [json.dumps({"text": TEXT[i * 800:(i + 1) * 800], "title": f"Teil {i}"}) for i in range(2)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingester.ingest([path], source_prefix="uploads/")
    first, second = sorted(ingester.store.documents(), key=lambda d: d.source)
    assert ingester.delete(first.doc_id) == ("uploads/export.jsonl#1", False)
    assert path.exists()
    assert ingester.delete(second.doc_id) == ("uploads/export.jsonl#2", True)
    assert not path.exists()
    assert ingester.delete(second.doc_id) is None


def test_a_delete_brings_a_bm25_folder_that_fell_behind_in_line(tmp_path: Path) -> None:
    """Another writer (a worker with its own BM25 folder on the shared store) ingested after this folder's last
    update: the delete must not mark the folder in line with the store without that article."""
    from ingest.pipeline import ingest

    ingester = build_ingester(fake_settings(tmp_path / "index"), embedder=HashEmbedding())
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a.txt").write_text(TEXT, encoding="utf-8")
    ingester.ingest([folder])
    assert ingester.bm25 is not None
    (folder / "b.txt").write_text("Die Zeppelinwerft testet einen Quantenantrieb.\n" * 3, encoding="utf-8")
    ingest([folder], ingester.store, ingester.embedder)  # the other writer: this BM25 folder is not updated
    gone = next(d.doc_id for d in ingester.store.documents() if d.source == "a.txt")
    assert ingester.delete(gone) is not None
    view = ingester.bm25.current(ingester.store)
    assert view.generation == ingester.store.generation()
    assert view.n == ingester.store.count_chunks()
    assert view.search("Quantenantrieb", "de", 1)
