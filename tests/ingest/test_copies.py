"""Stories of copies at ingest: joining, leaving, re-pointing on delete, updates, date window, old indexes."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assistant.copies import canonical
from assistant.factory import build_assistant, build_store
from assistant.models import Article, Filters
from assistant.settings import Settings
from eval.planted import ADDED, edit_text
from ingest.copies import CopyDetector, CopyIndex, CopyPolicy, within_window
from ingest.factory import build_ingester
from ingest.pipeline import ingest
from tests.fakes import HashEmbedding
from tests.ingest.test_minhash import ELBTOR, EU

EMBEDDER = HashEmbedding()


def article(folder: Path, name: str, text: str, outlet: str, date: str | None, title: str = "Titel") -> Path:
    head = f'title: "{title}"\noutlet: "{outlet}"\n' + (f"date: {date}\n" if date else "")
    path = folder / name
    path.write_text(f"---\n{head}---\n{text.strip()}\n", encoding="utf-8")
    return path


@pytest.fixture
def env(tmp_path: Path, settings: Settings):
    folder = tmp_path / "articles"
    folder.mkdir()
    store = build_store(settings, EMBEDDER)
    return folder, store


def run(folder: Path, store, **kw):
    return ingest([folder], store, EMBEDDER, copies=CopyDetector(), **kw)


def stories(store) -> dict[str, str | None]:
    """file name -> story id."""
    return {m["source"]: m.get("story_id") for m in store.registered().values()}


def chunk_stories(store, source: str) -> set[str | None]:
    return {m.get("story_id") for _, _, metas in store.all_chunks() for m in metas if m["source"] == source}


def copy_of(text: str, seed: int, rate: float = 0.1) -> str:
    return edit_text(text, rate, random.Random(seed), ADDED)[0]


def test_copies_share_a_story_and_a_near_miss_stays_alone(env) -> None:
    folder, store = env
    article(folder, "reuters.md", ELBTOR, "Reuters", "2022-05-12")
    article(folder, "abendblatt.md", copy_of(ELBTOR, 1), "Hamburger Abendblatt", "2022-05-13", "Baltrans greift zu")
    article(folder, "sz.md", copy_of(ELBTOR, 2, 0.15), "Süddeutsche Zeitung", "2022-05-12", "Elbtor wird dänisch")
    article(folder, "eu.md", EU, "Handelsblatt", "2022-05-13")  # same names, another story
    summary = run(folder, store)
    s = stories(store)
    assert s["reuters.md"] and s["reuters.md"] == s["abendblatt.md"] == s["sz.md"]
    assert s["eu.md"] is None
    assert summary.copies == 2  # the joiners; the first printing is labelled when the second one matches it
    assert "recognised as copies" in summary.report()
    for source in ("reuters.md", "abendblatt.md", "sz.md"):
        assert chunk_stories(store, source) == {s["reuters.md"]}  # retrieval sees the story on every chunk
    assert chunk_stories(store, "eu.md") == {None}


def test_an_updated_version_is_the_one_shown(env) -> None:
    folder, store = env
    article(folder, "a.md", ELBTOR, "Reuters", "2022-05-12")
    later = ELBTOR + "\n\nAm Abend bestätigte ein Sprecher von Baltrans die Pläne. Die Gewerkschaft kündigte " \
                     "Widerstand an und verlangte Gespräche über Standortgarantien bis 2030."
    article(folder, "b.md", later, "Reuters", "2022-05-13", "Baltrans will Elbtor (aktualisiert)")
    run(folder, store)
    registered = store.registered()
    sid = stories(store)["a.md"]
    members = store.story_members([sid])[sid]
    assert {m["source"] for m in members} == {"a.md", "b.md"}
    shown = canonical(members)
    assert registered[shown]["source"] == "b.md"  # the newest (and longest) version


def test_reingest_unchanged_keeps_stories_and_a_changed_copy_leaves(env) -> None:
    folder, store = env
    article(folder, "a.md", ELBTOR, "Reuters", "2022-05-12")
    copy = article(folder, "b.md", copy_of(ELBTOR, 4), "Weser-Kurier", "2022-05-12")
    run(folder, store)
    before = stories(store)
    again = run(folder, store)
    assert (again.new, again.changed, again.copies) == (0, 0, 0)
    assert stories(store) == before
    copy.write_text(copy.read_text(encoding="utf-8").split("---\n")[0] + "---\n" + EU, encoding="utf-8")
    changed = run(folder, store)
    assert changed.changed == 1
    assert stories(store) == {"a.md": None, "b.md": None}  # a story of one is no story
    assert chunk_stories(store, "a.md") == {None}


def test_deleting_the_shown_copy_repoints_the_story(env, settings: Settings) -> None:
    folder, store = env
    article(folder, "a.md", ELBTOR, "Reuters", "2022-05-12")
    article(folder, "b.md", copy_of(ELBTOR, 5), "Weser-Kurier", "2022-05-13")
    article(folder, "c.md", copy_of(ELBTOR, 6) + " Ein Satz mehr am Ende, damit diese Fassung die längste ist.",
            "Nordkurier", "2022-05-14")
    run(folder, store)
    ids = {m["source"]: d for d, m in store.registered().items()}
    sid = stories(store)["a.md"]
    assert canonical(store.story_members([sid])[sid]) == ids["c.md"]  # newest
    ingester = build_ingester(settings, EMBEDDER, store, with_bm25=False)
    ingester.delete(ids["c.md"])
    assert canonical(store.story_members([sid])[sid]) == ids["b.md"]  # the next newest one
    ingester.delete(ids["b.md"])
    assert stories(store) == {"a.md": None}  # alone again, on its chunks too
    assert chunk_stories(store, "a.md") == {None}


def test_a_new_copy_joins_an_existing_story_in_a_later_run(env) -> None:
    folder, store = env
    article(folder, "a.md", ELBTOR, "Reuters", "2022-05-12")
    article(folder, "b.md", copy_of(ELBTOR, 7), "Weser-Kurier", "2022-05-12")
    run(folder, store)
    sid = stories(store)["a.md"]
    article(folder, "c.md", copy_of(ELBTOR, 8), "Nordkurier", "2022-05-13")
    summary = run(folder, store)
    assert (summary.new, summary.copies) == (1, 1)
    assert stories(store)["c.md"] == sid


@pytest.mark.parametrize(("days", "window", "joined"), [(2, 3, True), (29, 3, False), (29, None, True)])
def test_dates_outside_the_window_are_not_copies(env, days: int, window: int | None, joined: bool) -> None:
    folder, store = env
    article(folder, "a.md", ELBTOR, "Reuters", "2022-05-01")
    article(folder, "b.md", copy_of(ELBTOR, 9), "Weser-Kurier", f"2022-05-{1 + days:02d}")
    ingest([folder], store, EMBEDDER, copies=CopyDetector(policy=CopyPolicy(window_days=window)))
    s = stories(store)
    assert (s["a.md"] is not None and s["a.md"] == s["b.md"]) is joined


def test_an_index_built_without_the_check_gets_its_stories_on_the_next_ingest(env) -> None:
    folder, store = env
    article(folder, "a.md", ELBTOR, "Reuters", "2022-05-12")
    article(folder, "b.md", copy_of(ELBTOR, 10), "Weser-Kurier", "2022-05-12")
    ingest([folder], store, EMBEDDER)  # no copy check
    assert stories(store) == {"a.md": None, "b.md": None}
    gen = store.generation()
    summary = run(folder, store)
    assert summary.unchanged == 2
    s = stories(store)
    assert s["a.md"] and s["a.md"] == s["b.md"]
    assert store.generation() != gen  # the server reopens the index and sees the stories
    assert store.changes_since(gen, store.generation()) == set()  # labels only: BM25 followers read the log


def test_a_label_lost_in_an_interrupted_ingest_is_written_by_the_next_one(env, monkeypatch) -> None:
    folder, store = env
    article(folder, "a.md", ELBTOR, "Reuters", "2022-05-12")
    article(folder, "b.md", copy_of(ELBTOR, 12), "Weser-Kurier", "2022-05-12")
    monkeypatch.setattr(CopyDetector, "flush", staticmethod(lambda store, index: None))  # killed before flush
    run(folder, store)
    s = stories(store)
    assert [v is None for v in s.values()].count(True) == 1  # the first printing has no label
    monkeypatch.undo()
    summary = run(folder, store)
    assert summary.unchanged == 2
    s = stories(store)
    assert s["a.md"] and s["a.md"] == s["b.md"]
    assert chunk_stories(store, "a.md") == chunk_stories(store, "b.md") == {s["a.md"]}


@pytest.mark.parametrize(("a", "b", "days", "expected"), [
    ("2022-05-12", "2022-05-15", 3, True), ("2022-05-12", "2022-05-16", 3, False),
    ("2022-05", "2022-05-31", 0, True), ("2022-05", "2022-06-04", 3, False), ("2022-05-12", None, 0, True),
    ("2021", "2022-01-02", 3, True), ("2022-05-12", "2023-05-12", None, True),
])
def test_date_window(a: str, b: str | None, days: int | None, expected: bool) -> None:
    assert within_window(a, b, days) is expected


def test_the_ingester_of_the_settings_checks_for_copies_and_lists_the_story(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    article(folder, "a.md", ELBTOR, "Reuters", "2022-05-12")
    article(folder, "b.md", copy_of(ELBTOR, 31), "Weser-Kurier", "2022-05-12")
    ingester = build_ingester(settings, EMBEDDER, with_bm25=False)
    assert ingester.copies is not None
    summary = ingester.ingest([folder])
    assert summary.copies == 1 and [o.story_id is not None for o in summary.outcomes].count(True) == 1
    docs = {d.source: d.story_id for d in ingester.store.documents()}
    assert docs["a.md"] and docs["a.md"] == docs["b.md"]
    off = build_ingester(settings.replace(copies_detect=False), EMBEDDER, with_bm25=False)
    assert off.copies is None


def test_a_copy_in_the_same_write_joins_the_article_before_it() -> None:
    """The store stage decides a batch of articles before writing them: each one is in the copy index at once."""
    detector = CopyDetector()
    index = CopyIndex(detector.hasher, detector.policy)  # an empty index
    first = Article(doc_id="a", source="a.md", title="A", text=ELBTOR, date="2022-05-12", outlet="Reuters")
    copy = Article(doc_id="b", source="b.md", title="B", text=copy_of(ELBTOR, 21), date="2022-05-12", outlet="WK")
    a = detector.assign(index, first, detector.sign(first))
    b = detector.assign(index, copy, detector.sign(copy))
    assert a["story_id"] is None and b["story_id"] and b["copy_of"] == "a"
    assert index.pending == {"a": b["story_id"]}  # the first printing's label, written after the batch


def test_stories_with_the_on_disk_bm25_outlet_filter_and_delete(tmp_path: Path, settings: Settings) -> None:
    """The settings' ingester feeds the on-disk BM25 index as it stores; stories come from the store, so a
    search on that index shows a story once, an outlet filter finds its own copy, and a delete re-points it."""
    folder = tmp_path / "in"
    folder.mkdir()
    article(folder, "a.md", ELBTOR, "Reuters", "2022-05-12")
    article(folder, "b.md", copy_of(ELBTOR, 41), "Weser-Kurier", "2022-05-13")
    article(folder, "eu.md", EU, "Handelsblatt", "2022-11-03")
    # any margin shows the canonical copy whenever it was retrieved (as in tests/assistant/test_copies.py)
    s = settings.replace(copies_passage_margin=1.0)
    assistant = build_assistant(s, embedder=EMBEDDER)
    ingester = build_ingester(s, EMBEDDER, assistant.store, assistant.retriever.bm25)
    assert ingester.bm25 is not None and ingester.copies is not None
    assert ingester.ingest([folder]).copies == 1
    assert assistant.retriever.bm25.view().n > 0  # written by the ingest, not by a first search
    ids = {m["source"]: d for d, m in assistant.store.registered().items()}
    query = "Baltrans Angebot Euro je Aktie Elbtor"
    hits = assistant.retriever.search(query, "de", 10)
    assert {h.source for h in hits} & {"a.md", "b.md"} == {"b.md"}  # the newer print, once
    assert [x.source for x in next(h for h in hits if h.source == "b.md").also_in] == ["a.md"]
    own = assistant.retriever.search(query, "de", 10, Filters(outlet=["Reuters"]))
    assert own and {h.source for h in own} == {"a.md"} and [x.source for x in own[0].also_in] == ["b.md"]
    ingester.delete(ids["b.md"])
    after = assistant.retriever.search(query, "de", 10)
    assert "b.md" not in {h.source for h in after}
    assert next(h for h in after if h.source == "a.md").also_in == []  # alone again
    assert stories(assistant.store) == {"a.md": None, "eu.md": None}
