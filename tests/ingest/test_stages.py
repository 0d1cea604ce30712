"""The ingest stages overlap (reading, embedding, writing), keep order, stay bounded, stop together on an error,
and an interrupted ingest resumes without embedding again what it stored."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from chromadb.api.types import GetResult
from pydantic import PrivateAttr

import ingest.read_stage as read_stage
from assistant.factory import build_store
from assistant.models import Article
from assistant.openai_embeddings import OpenAIEmbedding
from assistant.settings import Settings
from assistant.store import Store
from assistant.store_rows import TEXT_KEY, StoredArticle
from ingest.pipeline import WRITE_WAIT_S, ingest
from ingest.records import RawDoc, Skipped
from ingest.summary import Outcome
from tests.fakes import FakeEmbeddingsServer, HashEmbedding

WORDS = ["Hafen", "Streik", "Werft", "Bahn", "Brücke", "Haushalt", "Schule", "Klinik", "Wahl", "Messe", "Museum"]


def archive(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        w = WORDS[i % len(WORDS)]
        body = " ".join(f"Der {w} Nummer {i} meldet Neuigkeiten aus Satz {j}." for j in range(12 + i % 5))
        (folder / f"a{i:03d}.txt").write_text(f"{w} Meldung {i}\n\n{body}\n", encoding="utf-8")
    return folder


class SlowEmbedding(HashEmbedding):
    """Takes ``delay_s`` per call; counts texts; may fail at a given call; may wait for a gate."""

    delay_s: float = 0.0
    fail_at: int | None = None
    _gate: threading.Event | None = PrivateAttr(default=None)
    _calls: int = PrivateAttr(default=0)
    _texts: list[str] = PrivateAttr(default_factory=list)

    def __init__(self, delay_s: float = 0.0, fail_at: int | None = None, gate: threading.Event | None = None):
        super().__init__(delay_s=delay_s, fail_at=fail_at)
        self._gate = gate

    @property
    def calls(self) -> int:
        return self._calls

    @property
    def texts(self) -> list[str]:
        return self._texts

    def passages(self, texts: list[str]) -> np.ndarray:
        self._calls += 1
        if self._gate is not None:
            self._gate.wait(10)
        if self.fail_at is not None and self._calls >= self.fail_at:
            raise RuntimeError("embedder died")
        time.sleep(self.delay_s)
        self._texts += texts
        return super().passages(texts)


def test_reading_embedding_and_writing_overlap(settings: Settings, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Each stage is slowed by 0.1 s per article or batch; the ingest takes about as long as the slowest stage,
    not as long as all three one after the other."""
    corpus = archive(tmp_path / "a", 12)
    busy = {"read": 0.0, "write": 0.0}
    real_build, real_put = read_stage.build_article, Store.put_articles
    first = next(iter(read_stage.iter_documents([corpus])))
    assert isinstance(first, RawDoc)
    real_build(first)  # loads the language detector once, untimed

    def timed(stage: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            time.sleep(0.1)
            try:
                return fn(*a, **k)
            finally:
                busy[stage] += time.perf_counter() - t
        return run

    monkeypatch.setattr(read_stage, "build_article", timed("read", real_build))
    monkeypatch.setattr(Store, "put_articles", timed("write", real_put))
    embedder = SlowEmbedding(delay_s=0.1)
    embedder.passage_batch = 2  # about one article per batch
    store = build_store(settings, embedder)
    t = time.perf_counter()
    summary = ingest([corpus], store, embedder)
    elapsed = time.perf_counter() - t
    # about one article per call; two when the reader got ahead (a loaded machine): the sum below counts calls
    assert summary.new == 12 and embedder.calls >= 6
    one_after_another = busy["read"] + busy["write"] + 0.1 * embedder.calls
    assert elapsed < 0.75 * one_after_another, f"{elapsed:.1f} s of {one_after_another:.1f} s: no overlap"


def test_articles_are_stored_in_file_order_with_their_own_vectors(settings: Settings, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches come back from a remote embedder in any order (four requests in flight, random delays)."""
    corpus = archive(tmp_path / "a", 15)
    server = FakeEmbeddingsServer(dim=256, delay_s=0.02)
    real_handle = server.handle
    rng = np.random.default_rng(1)

    def jittered(request: httpx.Request) -> httpx.Response:
        time.sleep(float(rng.uniform(0, 0.05)))
        return real_handle(request)

    monkeypatch.setattr(server, "handle", jittered)
    embedder = OpenAIEmbedding("http://embed.test/v1", "plain", transport=server.transport(), batch=5, in_flight=4)
    store = build_store(settings, embedder)
    order: list[str] = []
    summary = ingest([corpus], store, embedder, on_outcome=lambda o: order.append(o.source))
    assert order == sorted(p.name for p in corpus.iterdir())
    assert summary.new == 15 and server.max_active >= 2
    got = store.chunks.get(include=["embeddings", "metadatas"])
    expected = HashEmbedding(256).passages([f"{m['title']}\n{m[TEXT_KEY]}" for m in got["metadatas"]])
    assert np.allclose(np.asarray(got["embeddings"]), expected, atol=1e-5)


def test_the_reader_runs_only_a_bounded_way_ahead(settings: Settings, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = archive(tmp_path / "a", 60)
    gate = threading.Event()
    embedder = SlowEmbedding(gate=gate)
    embedder.passage_batch = 4  # texts per batch: at most 4 articles
    built: list[str] = []
    real_build = read_stage.build_article

    def build(raw: RawDoc) -> Article | Skipped:  # records what the reader has read
        built.append(raw.source)
        return real_build(raw)

    monkeypatch.setattr(read_stage, "build_article", build)
    store = build_store(settings, embedder)
    runner = threading.Thread(target=lambda: ingest([corpus], store, embedder, queue_articles=4))
    runner.start()
    time.sleep(1.5)  # the embedder is blocked: the reader fills the queues and waits
    ahead = len(built)
    gate.set()
    runner.join(60)
    assert not runner.is_alive()
    # 4 articles in the read queue, two batches (one embedding, one waiting) held by the embedding stage, one
    # article in the reader's hands; the other 47 wait until the embedder moves
    assert 5 <= ahead <= 4 + 2 * 4 + 1, ahead
    assert store.count_chunks() > 0 and len(store.documents()) == 60


class HeldEmbedding(HashEmbedding):
    """Embeds the texts that contain ``held`` only once ``release`` is set (at most 10 s later)."""

    held: str = ""
    _release: threading.Event = PrivateAttr(default_factory=threading.Event)
    _waited: list[bool] = PrivateAttr(default_factory=list)

    def passages(self, texts: list[str]) -> np.ndarray:
        if any(self.held in t for t in texts):
            self._waited.append(self._release.wait(10))
        return super().passages(texts)


def test_articles_that_come_faster_than_a_write_are_written_together(settings: Settings, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Two articles every 0.1 s, 0.02 s a write: the writer used to write whenever no embedded article was
    waiting, two articles a call (15 calls); now it collects them for WRITE_WAIT_S (or WRITE_CHUNKS chunks)."""
    corpus = archive(tmp_path / "a", 30)
    writes: list[int] = []
    real_put = Store.put_articles

    def put(self: Store, items: Sequence[StoredArticle]) -> None:
        writes.append(len(items))
        time.sleep(0.02)
        real_put(self, items)

    monkeypatch.setattr(Store, "put_articles", put)
    embedder = SlowEmbedding(delay_s=0.1)
    embedder.passage_batch = 1  # one article a call, two calls in flight
    store = build_store(settings, embedder)
    t = time.perf_counter()
    summary = ingest([corpus], store, embedder)
    elapsed = time.perf_counter() - t
    assert summary.new == 30 and sum(writes) == 30 and store.count_chunks() == summary.chunks_added
    assert len(writes) <= 2 + elapsed / WRITE_WAIT_S, (writes, elapsed)


def test_an_article_that_comes_alone_is_written_within_the_wait(settings: Settings, tmp_path: Path) -> None:
    """The third article's embedding waits until the second is stored: the writer must not hold the first two
    until more come (or until the end), but write them WRITE_WAIT_S after they came."""
    corpus = archive(tmp_path / "a", 3)
    embedder = HeldEmbedding(held="Nummer 2 meldet")
    embedder.passage_batch = 1  # one article a call: the third is held alone
    store = build_store(settings, embedder)
    stored: dict[str, float] = {}

    def outcome(o: Outcome) -> None:
        stored[o.source] = time.perf_counter()
        if o.source == "a001.txt":
            embedder._release.set()

    t = time.perf_counter()
    summary = ingest([corpus], store, embedder, on_outcome=outcome)
    assert summary.new == 3 and embedder._waited == [True]
    assert stored["a001.txt"] - t < WRITE_WAIT_S + 4, stored


def test_changed_articles_among_unchanged_ones_are_written_together_in_file_order(
        settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every third article changed: the unchanged ones between them used to force a write each (10 writes); now
    their outcomes wait for the articles before them, and every outcome still comes in file order."""
    corpus = archive(tmp_path / "a", 30)
    store = build_store(settings, HashEmbedding())
    ingest([corpus], store, HashEmbedding())
    for f in sorted(corpus.iterdir())[::3]:
        f.write_text(f.read_text(encoding="utf-8") + "\nNachtrag: Die Redaktion ergänzt einen Satz.\n",
                     encoding="utf-8")
    writes: list[int] = []
    real_put = Store.put_articles

    def put(self: Store, items: Sequence[StoredArticle]) -> None:
        writes.append(len(items))
        real_put(self, items)

    monkeypatch.setattr(Store, "put_articles", put)
    order: list[tuple[str, str]] = []
    t = time.perf_counter()
    summary = ingest([corpus], store, HashEmbedding(), on_outcome=lambda o: order.append((o.source, o.status)))
    elapsed = time.perf_counter() - t
    assert (summary.changed, summary.unchanged) == (10, 20)
    assert order == [(f"a{i:03d}.txt", "changed" if i % 3 == 0 else "unchanged") for i in range(30)]
    assert sum(writes) == 10 and len(writes) <= 1 + elapsed / WRITE_WAIT_S, (writes, elapsed)
    assert store.count_chunks() == sum(d.chunks for d in store.documents())


@pytest.mark.parametrize("where", ["read", "embed", "write"])
def test_a_failing_stage_stops_the_ingest_with_its_error(settings: Settings, tmp_path: Path, where: str,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    corpus = archive(tmp_path / "a", 30)
    embedder = SlowEmbedding(fail_at=3 if where == "embed" else None)
    # batches of 4 texts: 30 articles make at least 8 calls however the stages' timing fills the batches (with
    # full batches of 16 the embedder was called twice, and the third call never came)
    embedder.passage_batch = 4
    if where == "read":
        real_build = read_stage.build_article

        def build(raw: RawDoc) -> Article | Skipped:
            if raw.source == "a010.txt":
                raise RuntimeError("reader died")
            return real_build(raw)

        monkeypatch.setattr(read_stage, "build_article", build)
    if where == "write":
        real_put = Store.put_articles

        def put(self: Store, items: Sequence[StoredArticle]) -> None:
            if any(x.article.source == "a005.txt" for x in items):
                raise RuntimeError("writer died")
            return real_put(self, items)

        monkeypatch.setattr(Store, "put_articles", put)
    store = build_store(settings, embedder)
    before = threading.active_count()
    with pytest.raises(RuntimeError, match={"read": "reader", "embed": "embedder", "write": "writer"}[where]):
        ingest([corpus], store, embedder)
    time.sleep(0.5)
    assert threading.active_count() <= before  # no stage left running


def test_an_interrupted_ingest_resumes_without_embedding_what_it_stored(settings: Settings,
                                                                        tmp_path: Path) -> None:
    corpus = archive(tmp_path / "a", 40)
    store = build_store(settings, HashEmbedding())
    dying = SlowEmbedding(fail_at=6)
    dying.passage_batch = 4  # 40 articles make well over 6 calls however the stages fill the batches
    with pytest.raises(RuntimeError, match="embedder died"):
        ingest([corpus], store, dying)
    stored_docs = {d.doc_id for d in store.documents()}
    stored = store.count_chunks()
    assert 0 < len(stored_docs) < 40
    again = SlowEmbedding()
    summary = ingest([corpus], store, again)
    assert (summary.unchanged, summary.new) == (len(stored_docs), 40 - len(stored_docs))
    assert len(again.texts) == store.count_chunks() - stored  # nothing stored is embedded again
    assert summary.orphans_removed == 0


def test_a_half_written_article_is_found_from_the_writing_note(settings: Settings, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Killed between an article's chunks and its registry record: the next ingest removes those chunks from the
    note the writer left, without reading every chunk's metadata (minutes at millions of chunks)."""
    corpus = archive(tmp_path / "a", 10)
    store = build_store(settings, HashEmbedding())
    real_docs_add = store.docs.add

    def killed(**kw: Any) -> None:
        if any(m["source"] == "a004.txt" for m in kw["metadatas"]):
            raise KeyboardInterrupt
        return real_docs_add(**kw)

    monkeypatch.setattr(store.docs, "add", killed)
    with pytest.raises(KeyboardInterrupt):
        ingest([corpus], store, HashEmbedding())
    monkeypatch.setattr(store.docs, "add", real_docs_add)
    registered = sum(d.chunks for d in store.documents())
    before = len(store.documents())
    assert store.count_chunks() > registered  # a004's chunks (and those written with them) without a record

    scans: list[int] = []
    real_get = store.chunks.get

    def get(**kw: Any) -> GetResult:  # records the offset of every read of chunks
        scans.append(kw.get("offset", -1))
        return real_get(**kw)

    monkeypatch.setattr(store.chunks, "get", get)
    summary = ingest([corpus], store, HashEmbedding())
    assert summary.orphans_removed > 0 and summary.new == 10 - before
    assert not [o for o in scans if o >= 0], "every chunk was read to find the orphans"
    assert store.count_chunks() == sum(d.chunks for d in store.documents())
