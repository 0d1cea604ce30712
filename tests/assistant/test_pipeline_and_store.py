"""Ingest into a real (embedded) Chroma with the hash embedder: idempotence, replacement, pruning, model record."""

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.errors import EmbeddingModelMismatch
from assistant.factory import build_store
from assistant.settings import Settings
from assistant.store_rows import TEXT_KEY
from ingest.pipeline import ingest
from tests.fakes import HashEmbedding


@pytest.fixture
def store(settings: Settings):
    return build_store(settings, HashEmbedding())


def test_ingest_is_idempotent(store, corpus_copy: Path) -> None:
    first = ingest([corpus_copy], store, HashEmbedding())
    assert (first.new, first.changed, first.unchanged) == (5, 0, 0)
    chunks = store.count_chunks()
    assert chunks > 5
    gen = store.generation()
    again = ingest([corpus_copy], store, HashEmbedding())
    assert (again.new, again.changed, again.unchanged, again.chunks_added) == (0, 0, 5, 0)
    assert "0 new, 0 changed, 5 unchanged" in again.report()
    assert store.count_chunks() == chunks
    assert store.generation() == gen  # nothing changed: caches stay valid


def test_changed_article_replaces_its_chunks(store, corpus_copy: Path) -> None:
    ingest([corpus_copy], store, HashEmbedding())
    target = corpus_copy / "002_c6212945af6057c2.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\nFord und Xiaomi vereinbarten ein Zebra-Projekt.\n",
                      encoding="utf-8")
    summary = ingest([corpus_copy], store, HashEmbedding())
    assert (summary.new, summary.changed, summary.unchanged) == (0, 1, 4)
    texts = [t for _, batch, _ in store.all_chunks() for t in batch]
    assert any("Zebra-Projekt" in t for t in texts)
    assert store.reconcile() == 0  # no stale chunks of the old version


def test_prune_removes_vanished_articles_but_not_unreadable_ones(store, corpus_copy: Path) -> None:
    ingest([corpus_copy], store, HashEmbedding())
    (corpus_copy / "001_3ad74785a6077ba1.txt").unlink()
    (corpus_copy / "004_575870f288329a95.txt").write_bytes(b"\xff\xfe broken \x00 bytes")
    summary = ingest([corpus_copy], store, HashEmbedding(), prune=True)
    sources = {d.source for d in store.documents()}
    assert "001_3ad74785a6077ba1.txt" not in sources
    assert "004_575870f288329a95.txt" in sources  # a read error never deletes what was ingested
    assert summary.removed == 1 and len(summary.skipped) == 1


def test_orphan_chunks_are_repaired(store, corpus_copy: Path) -> None:
    ingest([corpus_copy], store, HashEmbedding())
    doc = store.documents()[0]
    store.docs.delete(ids=[doc.doc_id])  # what a crash between chunk write and registry write leaves
    summary = ingest([corpus_copy], store, HashEmbedding())
    assert summary.orphans_removed == doc.chunks
    assert summary.new == 1
    assert store.reconcile() == 0


def test_another_embedding_model_is_refused(settings: Settings, store, corpus_copy: Path) -> None:
    ingest([corpus_copy], store, HashEmbedding())
    with pytest.raises(EmbeddingModelMismatch, match="--reset"):
        build_store(settings, HashEmbedding(dim=128))


def test_chunk_offsets_point_into_the_stored_article(store, corpus_copy: Path) -> None:
    ingest([corpus_copy], store, HashEmbedding())
    for _ids, texts, metas in store.all_chunks():
        for text, meta in zip(texts, metas, strict=True):
            _, article = store.document_text(meta["doc_id"])
            assert article[meta["start"] : meta["end"]] == text


def test_furniture_is_not_retrievable(store, corpus_copy: Path) -> None:
    summary = ingest([corpus_copy], store, HashEmbedding())
    texts = " ".join(t for _, batch, _ in store.all_chunks() for t in batch)
    for furniture in ("Bikini", "Bäte", "Jobturbo", "Bauingenieur", "Anzeige"):
        assert furniture not in texts
    assert summary.dropped["003_09edd9866d9f63b6.txt"]


def test_a_search_does_not_reopen_the_index_under_a_writer_of_this_process(settings: Settings) -> None:
    """Another process's change makes a search reopen Chroma (closing the old client); a change made while this
    process writes is its own, and reopening then closed the client under the writer (an upload job failed
    with "'RustBindingsAPI' object has no attribute 'bindings'" while `assistant ingest` ran beside it)."""
    embedder = HashEmbedding()
    store = build_store(settings, embedder)
    other = build_store(settings, embedder)  # stands for another process
    other.bump_generation()
    assert store.refresh()  # another writer: reopened
    client = store.client
    with store.local_write():
        other.bump_generation()  # the same index changes while this process writes
        assert not store.refresh() and store.client is client
        store.bump_generation()
        store.state.count()  # the writer's client still works
    other.bump_generation()
    assert store.refresh() and store.client is not client


def test_chunk_text_is_kept_outside_the_full_text_index_and_old_chunks_still_read(store, corpus_copy: Path) -> None:
    """New chunks keep their text in the metadata (Chroma's FTS index of documents costs half the write time);
    chunks an older version wrote as documents read the same way: search, BM25 rows, an article's chunks."""
    ingest([corpus_copy], store, HashEmbedding())
    raw = store.chunks.get(include=["documents", "metadatas", "embeddings"])
    assert all(d is None for d in raw["documents"]) and all(m[TEXT_KEY] for m in raw["metadatas"])
    vector = raw["embeddings"][0]
    before = {p.chunk_id: p.text for p in store.dense(vector, 8, None)}
    rows_before = _rows(store)
    assert all(TEXT_KEY not in m for _, m in rows_before.values())  # callers see the metadata as before
    assert {i: t for i, (t, _) in rows_before.items()} == dict(zip(raw["ids"], [m[TEXT_KEY] for m in raw["metadatas"]],
                                                                      strict=True))
    # the same chunks written the old way: the text as a Chroma document
    store.chunks.delete(ids=raw["ids"])
    store.chunks.add(ids=raw["ids"], embeddings=raw["embeddings"], documents=[m[TEXT_KEY] for m in raw["metadatas"]],
                     metadatas=[{k: v for k, v in m.items() if k != TEXT_KEY} for m in raw["metadatas"]])
    assert {p.chunk_id: p.text for p in store.dense(vector, 8, None)} == before
    assert _rows(store) == rows_before
    doc_id = next(iter(rows_before.values()))[1]["doc_id"]
    ids, texts, _ = store.chunks_of([doc_id])[doc_id]
    assert texts == [rows_before[i][0] for i in ids] and all(texts)
    assert store.scored_passages(np.asarray(vector), ids[:1])[ids[0]].text == rows_before[ids[0]][0]


def _rows(store) -> dict:
    return {i: (t, m) for ids, texts, metas in store.all_chunks() for i, t, m in zip(ids, texts, metas, strict=True)}


def test_article_texts_are_kept_apart_from_the_registry_and_old_ones_still_read(store, corpus_copy: Path) -> None:
    ingest([corpus_copy], store, HashEmbedding())
    docs = store.docs.get(include=["documents", "metadatas"])
    assert all(d is None for d in docs["documents"]) and all(TEXT_KEY not in m for m in docs["metadatas"])
    doc_id = docs["ids"][0]
    info, text = store.document_text(doc_id)
    assert len(text) > 200 and store.texts.count() == len(docs["ids"])
    # an article an older version stored: its text as the registry record's document, nothing in texts
    store.texts.delete(ids=[doc_id])
    store.docs.delete(ids=[doc_id])
    store.docs.add(ids=[doc_id], embeddings=[[1.0]], documents=[text], metadatas=[docs["metadatas"][0]])
    assert store.document_text(doc_id) == (info, text)
    # a text whose registry record an interrupted ingest did not write is removed at the next start
    store.mark_writing(["never-registered"])
    store.texts.add(ids=["never-registered"], embeddings=[[1.0]], metadatas=[{TEXT_KEY: "Halb geschrieben."}])
    store.reconcile()
    assert store.texts.get(ids=["never-registered"])["ids"] == []
    other = docs["ids"][1]
    store.delete_article(other)
    assert store.texts.get(ids=[other])["ids"] == [] and store.document_text(other) is None


def test_the_articles_of_a_file_are_found_by_a_where_on_the_registry(store, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Upload clean-up asks which files still give an article: a lookup by source (whole files) or by ``file``
    (items of a .jsonl or feed), never a read of the whole registry; items stored before ``file`` existed get it
    at the next ingest."""
    folder = tmp_path / "files"
    folder.mkdir()
    text = "Die Stadtwerke von Quellstadt bauen ein neues Wasserkraftwerk am Fluss für 40 Millionen Euro.\n"
    (folder / "a.txt").write_text(text, encoding="utf-8")
    lines = [json.dumps({"text": text.strip()}), json.dumps({"text": text.strip().replace("Fluss", "See")})]
    (folder / "x.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    ingest([folder], store, HashEmbedding(), source_prefix="uploads/")
    sources = {d.source: d.doc_id for d in store.documents()}
    assert set(sources) == {"uploads/a.txt", "uploads/x.jsonl#1", "uploads/x.jsonl#2"}

    def no_whole_read() -> dict:
        raise AssertionError("the whole registry was read")

    wanted = ["uploads/a.txt", "uploads/x.jsonl", "uploads/gone.txt", "uploads/x.jsonl#1"]
    with monkeypatch.context() as m:
        m.setattr(store, "registered", no_whole_read)
        assert store.files_with_articles(wanted) == {"uploads/a.txt", "uploads/x.jsonl"}
    # an index written before the field: its items are found again once an ingest has added it
    store.docs.update(ids=[sources["uploads/x.jsonl#1"], sources["uploads/x.jsonl#2"]],
                      metadatas=[{"file": None}, {"file": None}])
    assert store.files_with_articles(["uploads/x.jsonl"]) == set()
    ingest([folder / "a.txt"], store, HashEmbedding(), source_prefix="uploads/")
    assert store.files_with_articles(["uploads/x.jsonl"]) == {"uploads/x.jsonl"}
    store.delete_article(sources["uploads/x.jsonl#1"])
    assert store.files_with_articles(["uploads/x.jsonl"]) == {"uploads/x.jsonl"}
    store.delete_article(sources["uploads/x.jsonl#2"])
    assert store.files_with_articles(["uploads/x.jsonl", "uploads/a.txt"]) == {"uploads/a.txt"}
