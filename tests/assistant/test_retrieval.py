"""Filtered dense search: filtered here from the nearest chunks when many pass; when few do, Chroma searches among
the passing ids the BM25 index names (or filters itself while that index lags the store); the same passages every
way."""

from __future__ import annotations

import numpy as np
import pytest

import assistant.retrieval as retrieval
from assistant.bm25 import View
from assistant.factory import build_assistant
from assistant.filters import matches
from assistant.models import Filters
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT, Settings
from tests.fakes import HashEmbedding, ScriptedLLM

QUESTIONS = ["Übernahme Elbtor Baltrans Aktionäre", "Streik Hafen Verdi Löhne", "Renault Nissan Allianz",
             "Haushalt Schulden Stadt", "Wahl Landtag Koalition"]
FILTERS = [Filters(outlet=["Reuters"]), Filters(date_from="2019", date_to="2023"), Filters(language=["de"]),
           Filters(source=["a03_streik-hafen.md"]), Filters(outlet=["nobody"])]


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory) -> Assistant:
    index = tmp_path_factory.mktemp("retrieval") / "index"
    a = build_assistant(Settings(index_dir=index, rate_limit_per_minute=0), embedder=HashEmbedding(),
                        llm=ScriptedLLM("x"))
    from ingest.factory import build_ingester

    build_ingester(a.settings, a.retriever.embedder, a.store, a.retriever.bm25).ingest(
        [PROJECT_ROOT / "corpus", PROJECT_ROOT / "eval" / "corpus"])
    return a


@pytest.mark.parametrize("max_fetch", [2000, 100])  # 100: more filters count as keeping few chunks
@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f.model_dump_json(exclude_defaults=True))
def test_filtered_dense_search_equals_chromas_own_filtering(assistant: Assistant, f: Filters, max_fetch: int,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(retrieval, "MAX_FETCH", max_fetch)
    store, retriever = assistant.store, assistant.retriever
    fetched: list[int] = []
    real_nearest = store.nearest

    def nearest(vector: np.ndarray, n: int) -> list[tuple[str, float]]:  # records every unfiltered fetch
        fetched.append(n)
        return real_nearest(vector, n)

    monkeypatch.setattr(store, "nearest", nearest)
    among: list[list[str] | None] = []
    real_dense = store.dense

    def dense(vector: np.ndarray, k: int, filters: Filters | None, ids: list[str] | None = None) -> list:
        among.append(ids)
        return real_dense(vector, k, filters, ids)

    monkeypatch.setattr(store, "dense", dense)
    share = retriever.bm25_index().selectivity(f)
    for q in QUESTIONS:
        got = retriever.search(q, "de", 30, f, mode="dense")
        want = real_dense(retriever.embedder.query_vector(q), 30, f)
        assert [p.chunk_id for p in got] == [p.chunk_id for p in want], q
        assert [p.dense_score for p in got] == pytest.approx([p.dense_score for p in want], abs=1e-5)
        metas = store.metadatas([p.chunk_id for p in got])
        assert all(matches(metas[p.chunk_id], f) for p in got)
    # many chunks pass: filtered here from the nearest ones; few or none: Chroma searches among the passing ids
    assert bool(fetched) == (share * max_fetch >= 60), (share, fetched)
    if not fetched:
        assert among and all(ids is not None and len(ids) == round(share * retriever.bm25_index().n) for ids in among)


def test_few_passing_chunks_are_searched_by_id_without_a_where(assistant: Assistant,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    f = Filters(outlet=["Reuters"], date_from="2019", date_to="2023")
    monkeypatch.setattr(retrieval, "MAX_FETCH", 200)  # 200 of this small index's 189 chunks: "few" pass
    view = assistant.retriever.bm25_index()
    assert 0 < view.selectivity(f) * retrieval.MAX_FETCH < 60
    want = [p.chunk_id for p in assistant.store.dense(assistant.retriever.embedder.query_vector(QUESTIONS[0]), 30, f)]
    queries: list[dict] = []
    real_query = assistant.store.chunks.query

    def query(**kw: object) -> object:
        queries.append(kw)
        return real_query(**kw)

    monkeypatch.setattr(assistant.store.chunks, "query", query)
    got = [p.chunk_id for p in assistant.retriever.search(QUESTIONS[0], "de", 30, f, mode="dense")]
    assert got == want and want
    assert queries[-1]["where"] is None and set(queries[-1]["ids"]) == set(view.passing_ids(f))
    metas = assistant.store.metadatas(list(queries[-1]["ids"]))
    assert all(matches(m, f) for m in metas.values())


def test_while_the_index_lags_the_store_chroma_filters_itself(assistant: Assistant,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    f = Filters(outlet=["Reuters"], date_from="2019", date_to="2023")
    monkeypatch.setattr(retrieval, "MAX_FETCH", 200)
    want = [p.chunk_id for p in assistant.store.dense(assistant.retriever.embedder.query_vector(QUESTIONS[0]), 10, f)]
    monkeypatch.setattr(View, "passing_ids", lambda self, filters: [])  # would find nothing if it were used
    view = assistant.retriever.bm25_index()
    monkeypatch.setattr(assistant.retriever, "bm25_index", lambda: View(view.segments, view.alive, "older"))
    assert [p.chunk_id for p in assistant.retriever.search(QUESTIONS[0], "de", 10, f, mode="dense")] == want


def test_chunks_the_bm25_index_does_not_know_yet_are_checked_in_the_store(assistant: Assistant,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    f = Filters(outlet=["Reuters"])
    want = [p.chunk_id for p in assistant.retriever.search(QUESTIONS[0], "de", 20, f, mode="dense")]
    monkeypatch.setattr(View, "matching", lambda self, ids, filters: [None] * len(ids))
    assert [p.chunk_id for p in assistant.retriever.search(QUESTIONS[0], "de", 20, f, mode="dense")] == want


def test_too_few_passing_among_the_nearest_falls_back_to_chroma(assistant, monkeypatch: pytest.MonkeyPatch) -> None:
    f = Filters(date_from="2019", date_to="2023")
    want = [p.chunk_id for p in assistant.store.dense(assistant.retriever.embedder.query_vector(QUESTIONS[1]), 30, f)]
    monkeypatch.setattr(View, "selectivity", lambda self, filters: 0.9)  # a wrong estimate: fetches too few
    assert [p.chunk_id for p in assistant.retriever.search(QUESTIONS[1], "de", 30, f, mode="dense")] == want


def test_hybrid_search_with_filters_keeps_to_them(assistant) -> None:
    for f in FILTERS:
        hits = assistant.retriever.search("Elbtor Übernahme Aktie", "de", 10, f)
        metas = assistant.store.metadatas([p.chunk_id for p in hits])
        assert all(matches(metas[p.chunk_id], f) for p in hits)
        assert all(p.dense_score is not None for p in hits)


def test_bm25_only_hits_get_their_true_dense_similarity(assistant) -> None:
    retriever = assistant.retriever
    q = "Elbtor Übernahme Aktie"
    vector = retriever.embedder.query_vector(q)
    for p in retriever.search(q, "de", 10, mode="bm25"):
        sims = assistant.store.scored_passages(vector, [p.chunk_id])
        assert p.dense_score == pytest.approx(sims[p.chunk_id].dense_score)
