"""The BM25 index on disk: an index changed step by step ranks exactly as one built at once; readers in other
processes follow the writer; it follows the store's registry (another worker's ingest, an interrupted one)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assistant.bm25_store import BM25Store, BM25Writer, read_manifest
from assistant.bm25_write import DocTokens
from assistant.factory import build_store
from assistant.models import Filters
from assistant.settings import Settings
from ingest.pipeline import ingest
from tests.assistant.test_bm25 import QUERIES, corpus_docs
from tests.fakes import HashEmbedding

FILTERS = [None, Filters(outlet=["Reuters"]), Filters(date_from="2019", date_to="2022-06"), Filters(language=["de"])]


@pytest.fixture(scope="module")
def docs() -> list[DocTokens]:
    return [d for d, _ in corpus_docs()]


def variant(d: DocTokens, n: int) -> DocTokens:
    """The same article changed (another content hash, fewer or other words)."""
    chunks = [type(c)(c.chunk_id, c.tokens[n % 3 :] + [f"neu{n}"], c.language, c.outlet_key, c.date_lo, c.date_hi)
              for c in d.chunks[: max(1, len(d.chunks) - n % 2)]]
    return DocTokens(d.doc_id, f"{d.content_hash}-v{n}", d.source, chunks)


def results(store: BM25Store) -> list[list[tuple[str, float]]]:
    view = store.view()
    return [view.search(q, lang, 12, f) for q, lang in QUERIES for f in FILTERS]


def rebuilt(tmp_path: Path, final: dict[str, DocTokens]) -> BM25Store:
    fresh = BM25Store(tmp_path / "rebuilt")
    with fresh.writer() as w:
        assert w is not None
        w.add(final.values())
        w.commit("g")
    return fresh


def same(a: list[list[tuple[str, float]]], b: list[list[tuple[str, float]]]) -> None:
    for x, y in zip(a, b, strict=True):
        assert [c for c, _ in x] == [c for c, _ in y]
        assert [s for _, s in x] == pytest.approx([s for _, s in y], rel=1e-9)


def test_adding_replacing_and_deleting_step_by_step_ranks_as_a_rebuild(tmp_path: Path, docs) -> None:
    rng = random.Random(3)
    store = BM25Store(tmp_path / "bm25", flush_chunks=25)  # tiny segments: many flushes and merges
    final: dict[str, DocTokens] = {}
    order = docs[:]
    rng.shuffle(order)
    for step in range(12):
        with store.writer() as w:
            assert w is not None
            batch = order[step * 3 : step * 3 + 3]
            w.add(batch)
            final.update({d.doc_id: d for d in batch})
            if final and step % 2:
                changed = rng.choice(sorted(final))
                final[changed] = variant(final[changed], step)
                w.add([final[changed]])
            if len(final) > 4 and step % 3 == 2:
                gone = rng.sample(sorted(final), 2)
                assert w.remove(gone) == 2
                for g in gone:
                    del final[g]
            w.add([final[next(iter(final))]])  # the same content again: nothing to do
            w.commit(f"g{step}")
        same(results(store), results(rebuilt(tmp_path / f"r{step}", final)))
        assert store.view().n == sum(len(d.chunks) for d in final.values())
        assert len(read_manifest(store.root)["segments"]) <= 6  # merged as it grows
    listed = {s["name"] for s in read_manifest(store.root)["segments"]}
    assert {p.name for p in store.root.glob("s-*")} == listed  # replaced segments were removed


def test_a_reader_follows_the_writer_of_another_process(tmp_path: Path, docs) -> None:
    writer_side, reader_side = BM25Store(tmp_path / "bm25"), BM25Store(tmp_path / "bm25")
    assert reader_side.view().n == 0
    with writer_side.writer() as w:
        assert w is not None
        w.add(docs[:5])
        w.flush()
        assert reader_side.view().n == sum(len(d.chunks) for d in docs[:5])  # visible at each flush
        w.remove([docs[0].doc_id])
        w.commit("g1")
    assert reader_side.view().n == sum(len(d.chunks) for d in docs[1:5])
    assert reader_side.view().generation == "g1"


def test_one_writer_at_a_time_and_readers_do_not_wait_for_it(tmp_path: Path, docs) -> None:
    bm25 = BM25Store(tmp_path / "bm25")
    other = BM25Store(tmp_path / "bm25")  # e.g. the server, while `assistant ingest` writes

    class Moved:
        def generation(self) -> str:
            return "moved on"

    with bm25.writer() as w:
        assert w is not None
        with other.writer(wait=False) as second:
            assert second is None
        assert other.current(Moved()).generation == ""  # no sync while another writer works: what is there
        w.add(docs[:2])
        w.commit("g")


def test_unpublished_files_of_a_dead_writer_are_removed(tmp_path: Path, docs) -> None:
    from assistant.bm25_write import write_segment

    bm25 = BM25Store(tmp_path / "bm25")
    bm25.root.mkdir()
    write_segment(bm25.root / "s-0000deadbeef0000", docs[:2])  # written, never listed in a manifest
    (bm25.root / "manifest.json.123.tmp").write_text("{")
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / "bm25-v2-abc.pkl").write_bytes(b"old format")
    with bm25.writer() as w:
        assert w is not None
        w.add(docs[2:3])
        w.commit("g")
    assert bm25.view().n == len(docs[2].chunks)
    assert sorted(p.name for p in bm25.root.iterdir() if not p.name.startswith("s-")) == ["manifest.json",
                                                                                         "write.lock"]
    assert len(list(bm25.root.glob("s-*"))) == 1
    assert not list((tmp_path / "cache").iterdir())  # the pickles of the previous BM25 format


def test_it_follows_the_store_registry(settings: Settings, corpus_copy: Path, tmp_path: Path) -> None:
    """Another worker (no BM25 of its own here) ingests, changes and prunes: this index syncs only what differs
    and then ranks as one built from the store at once."""
    store = build_store(settings, HashEmbedding())
    ingest([corpus_copy], store, HashEmbedding())
    mine = BM25Store(tmp_path / "mine")
    assert mine.current(store).n == store.count_chunks()

    target = corpus_copy / "002_c6212945af6057c2.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\nFord und Xiaomi planen ein Zebra-Projekt.\n",
                      encoding="utf-8")
    (corpus_copy / "001_3ad74785a6077ba1.txt").unlink()
    ingest([corpus_copy], store, HashEmbedding(), prune=True)
    with mine.writer() as w:
        assert w is not None
        assert w.sync(store) == (1, 2)  # the changed article added again; it and the pruned one removed
    assert mine.view().generation == store.generation()
    assert [c for c, _ in mine.view().search("Zebra-Projekt", "de", 1)][0].startswith(
        next(d.doc_id for d in store.documents() if d.source == target.name))
    fresh = BM25Store(tmp_path / "fresh")
    fresh.current(store)  # built from the store at once
    same(results(mine), results(fresh))


def test_an_interrupted_ingest_is_repaired_by_the_next(settings: Settings, corpus_copy: Path) -> None:
    from assistant.factory import build_bm25
    from tests.ingest.test_reingest_shortcut import FailsOnSecondArticle

    store = build_store(settings, HashEmbedding())
    with pytest.raises(RuntimeError, match="interrupted"):
        ingest([corpus_copy], store, FailsOnSecondArticle(), bm25=build_bm25(settings))
    stored = store.count_chunks()
    assert stored and build_bm25(settings).view().generation != store.generation()  # not claimed in line
    summary = ingest([corpus_copy], store, HashEmbedding(), bm25=build_bm25(settings))
    view = build_bm25(settings).view()
    assert (view.generation, view.n) == (store.generation(), store.count_chunks())
    assert summary.chunks_added == store.count_chunks() - stored  # what was stored was not embedded again


def test_sync_is_not_called_when_the_index_is_in_line(settings: Settings, corpus_copy: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.factory import build_bm25

    store = build_store(settings, HashEmbedding())
    ingest([corpus_copy], store, HashEmbedding(), bm25=build_bm25(settings))
    monkeypatch.setattr(BM25Writer, "sync", lambda *a: pytest.fail("synced although in line"))
    assert build_bm25(settings).current(store).n == store.count_chunks()


def test_a_follower_reads_only_what_the_change_log_names(settings: Settings, corpus_copy: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """At a million articles the registry takes a minute to read: a worker one ingest behind asks the store's
    change log which articles changed and compares only those."""
    from assistant.store import Store

    store = build_store(settings, HashEmbedding())
    ingest([corpus_copy], store, HashEmbedding())
    follower = BM25Store(tmp_path / "follower")
    follower.current(store)  # the first sync reads the registry
    target = corpus_copy / "002_c6212945af6057c2.txt"
    target.write_text(target.read_text(encoding="utf-8") + "\nFord und Xiaomi planen ein Zebra-Projekt.\n",
                      encoding="utf-8")
    (corpus_copy / "001_3ad74785a6077ba1.txt").unlink()
    (corpus_copy / "new.txt").write_text("Die Zeppelinwerft testet einen Quantenantrieb.\n" * 3, encoding="utf-8")
    ingest([corpus_copy], store, HashEmbedding(), prune=True)
    ingest([corpus_copy], store, HashEmbedding())  # nothing changed: no new generation, nothing logged
    monkeypatch.setattr(Store, "registered", lambda self: pytest.fail("the whole registry was read"))
    with follower.writer() as w:
        assert w is not None
        assert w.sync(store) == (2, 2)  # the changed and the new one added; the changed and the pruned removed
    monkeypatch.undo()
    fresh = BM25Store(tmp_path / "fresh")
    fresh.current(store)
    same(results(follower), results(fresh))
    assert follower.view().search("Quantenantrieb", "de", 1)


def test_without_a_complete_change_log_the_whole_registry_is_compared(settings: Settings, corpus_copy: Path,
                                                                      tmp_path: Path) -> None:
    from tests.ingest.test_reingest_shortcut import FailsOnSecondArticle

    store = build_store(settings, HashEmbedding())
    follower = BM25Store(tmp_path / "follower")
    follower.current(store)
    with pytest.raises(RuntimeError, match="interrupted"):
        ingest([corpus_copy], store, FailsOnSecondArticle())  # bumped the generation, logged nothing
    ingest([corpus_copy], store, HashEmbedding())
    assert store.changes_since(follower.view().generation, store.generation()) is None
    follower.current(store)
    fresh = BM25Store(tmp_path / "fresh")
    fresh.current(store)
    same(results(follower), results(fresh))
    assert follower.view().n == store.count_chunks()
