"""Re-ingest of unchanged files costs reading and hashing: no cleaning, language detection or embedding."""

from pathlib import Path
from typing import Any, NoReturn

import numpy as np
import pytest

import ingest.hashes as hashes
import ingest.read_stage as read_stage
from assistant.bm25_store import BM25Writer
from assistant.factory import build_bm25, build_store
from assistant.models import Article
from assistant.settings import Settings
from ingest.pipeline import ingest
from ingest.records import RawDoc, Skipped
from tests.fakes import HashEmbedding


def _no_cleaning(raw: RawDoc) -> NoReturn:
    raise AssertionError(f"{raw.source} was cleaned again although its file did not change")


def test_unchanged_files_are_not_cleaned_again(settings: Settings, corpus_copy: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store = build_store(settings, HashEmbedding())
    ingest([corpus_copy], store, HashEmbedding())
    target = corpus_copy / "002_c6212945af6057c2.txt"
    extra = "\nFord und Xiaomi vereinbarten ein Zebra-Projekt.\n"
    target.write_text(target.read_text(encoding="utf-8") + extra, encoding="utf-8")
    real_build = read_stage.build_article
    monkeypatch.setattr(read_stage, "build_article",
                        lambda raw: real_build(raw) if raw.source == target.name else _no_cleaning(raw))
    summary = ingest([corpus_copy], store, HashEmbedding())
    assert (summary.new, summary.changed, summary.unchanged) == (0, 1, 4)


def test_a_code_change_cleans_again_but_embeds_only_what_changed(settings: Settings, corpus_copy: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store = build_store(settings, HashEmbedding())
    ingest([corpus_copy], store, HashEmbedding())
    monkeypatch.setattr(hashes, "code_fingerprint", lambda: "another version of the cleaning code")
    cleaned: list[str] = []
    real_build = read_stage.build_article

    def build(raw: RawDoc) -> Article | Skipped:  # records every file that is cleaned
        cleaned.append(raw.source)
        return real_build(raw)

    monkeypatch.setattr(read_stage, "build_article", build)
    summary = ingest([corpus_copy], store, HashEmbedding())
    assert len(cleaned) == 5  # every file is read with the new code...
    assert (summary.unchanged, summary.chunks_added) == (5, 0)  # ...and nothing is embedded again
    cleaned.clear()
    again = ingest([corpus_copy], store, HashEmbedding())
    assert (cleaned, again.unchanged) == ([], 5)  # the new raw hashes were recorded


def test_prune_still_keeps_unchanged_articles(settings: Settings, corpus_copy: Path) -> None:
    store = build_store(settings, HashEmbedding())
    ingest([corpus_copy], store, HashEmbedding())
    (corpus_copy / "001_3ad74785a6077ba1.txt").unlink()
    summary = ingest([corpus_copy], store, HashEmbedding(), prune=True)
    assert (summary.removed, summary.unchanged) == (1, 4)
    assert len(store.documents()) == 4


class FailsOnSecondArticle(HashEmbedding):
    """Embeds the first article, then fails like a process killed halfway through an ingest."""

    def __init__(self) -> None:
        super().__init__()
        self._calls = 0

    def passages(self, texts: list[str]) -> np.ndarray:
        self._calls += 1
        if self._calls == 2:
            raise RuntimeError("interrupted")
        return super().passages(texts)


def test_an_interrupted_ingest_still_invalidates_caches(settings: Settings, corpus_copy: Path) -> None:
    """BM25 is cached per index generation: an ingest that wrote some articles and then died must leave a new
    generation behind, or searches keep using a BM25 index that lacks the written articles."""
    store = build_store(settings, HashEmbedding())
    before = store.generation()
    with pytest.raises(RuntimeError, match="interrupted"):
        ingest([corpus_copy], store, FailsOnSecondArticle())
    assert store.count_chunks() > 0
    assert store.generation() != before


def test_ingest_leaves_the_bm25_index_of_the_new_generation_for_the_server(settings: Settings, corpus_copy: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A server next to `assistant ingest` reads the BM25 index the ingest wrote instead of building it."""
    store = build_store(settings, HashEmbedding())
    ingest([corpus_copy], store, HashEmbedding(), bm25=build_bm25(settings))
    (corpus_copy / "009_new.txt").write_text("Ford und Xiaomi vereinbarten ein Zebra-Projekt in Köln.\n" * 3,
                                            encoding="utf-8")
    ingest([corpus_copy], store, HashEmbedding(), bm25=build_bm25(settings))

    def must_not_sync(*_a: Any, **_k: Any) -> NoReturn:
        raise AssertionError("the server process had to bring BM25 in line itself")

    monkeypatch.setattr(BM25Writer, "sync", must_not_sync)
    server_side = build_bm25(settings)  # a fresh object, as in another process
    view = server_side.current(store)
    assert view.generation == store.generation()
    assert view.search("Zebra-Projekt", "de", 3)  # the article of the second ingest is in it


def test_an_unchanged_ingest_into_another_index_dir_writes_its_bm25_index(settings: Settings, corpus_copy: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers with their own ASSISTANT_INDEX_DIR over one Chroma: re-running the ingest for a worker's
    directory embeds nothing and leaves that directory's BM25 index."""
    store = build_store(settings, HashEmbedding())
    ingest([corpus_copy], store, HashEmbedding())
    worker = settings.model_copy(update={"index_dir": settings.storage.index_dir / "worker-2"})
    summary = ingest([corpus_copy], store, HashEmbedding(), bm25=build_bm25(worker))
    assert summary.chunks_added == 0

    def must_not_sync(*_a: Any, **_k: Any) -> NoReturn:
        raise AssertionError("the worker had to bring BM25 in line itself")

    monkeypatch.setattr(BM25Writer, "sync", must_not_sync)
    assert build_bm25(worker).current(store).search("Ghosn", "de", 1)
