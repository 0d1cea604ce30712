"""Copies of one story at query time: the shown copy, one printing per story, ``also_in``, outlet filters."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assistant.copies import also_in, canonical, collapse
from assistant.factory import build_assistant
from assistant.models import Citation, Filters, Passage
from assistant.settings import Settings
from eval.planted import ADDED, edit_text
from ingest.copies import CopyDetector
from ingest.pipeline import ingest
from tests.fakes import HashEmbedding, ScriptedLLM, source_texts
from tests.ingest.test_copies import article
from tests.ingest.test_minhash import ELBTOR, EU


@pytest.mark.parametrize(("members", "shown"), [
    # a print copy of the next day, about as long: the newest full version
    ([{"doc_id": "a", "date": "2022-05-12", "words": 300}, {"doc_id": "b", "date": "2022-05-13", "words": 290}], "b"),
    # a later, longer update beats a print of the first version dated the next day
    ([{"doc_id": "a", "date": "2022-05-12", "words": 420}, {"doc_id": "b", "date": "2022-05-13", "words": 300}], "a"),
    ([{"doc_id": "a", "date": "2022-05-12", "words": 300}, {"doc_id": "b", "date": "2022-05-12", "words": 200}], "a"),
    ([{"doc_id": "b", "date": "2022-05-12", "words": 300}, {"doc_id": "a", "date": "2022-05-12", "words": 300}], "a"),
    ([{"doc_id": "a", "date": None, "words": 300}, {"doc_id": "b", "date": "2015", "words": 300}], "b"),
    ([{"doc_id": "a", "date": "2022-05", "words": 100}, {"doc_id": "b", "date": "2022-05-02", "words": 100}], "b"),
])
def test_the_shown_copy_is_the_newest_full_version(members: list[dict], shown: str) -> None:
    assert canonical(members) == shown


def passage(doc: str, chunk: int, score: float, story: str | None = "s1", outlet: str = "X") -> Passage:
    return Passage(doc_id=doc, source=f"{doc}.md", title=doc, outlet=outlet, chunk_id=f"{doc}-{chunk:04d}",
                   text=f"text {doc} {chunk}", start=0, end=1, score=score, dense_score=score, story_id=story)


MEMBERS = {"s1": [{"doc_id": "a", "source": "a.md", "title": "A", "outlet": "Reuters", "date": "2022-05-12",
                   "words": 400},
                  {"doc_id": "b", "source": "b.md", "title": "B", "outlet": "Weser-Kurier", "date": "2022-05-12",
                   "words": 380},
                  {"doc_id": "c", "source": "c.md", "title": "C", "outlet": "Nordkurier", "date": "2022-05-11",
                   "words": 420}]}


def lookup(calls: list[list[str]]):
    def members_of(ids: list[str]) -> dict:
        calls.append(ids)
        return {i: MEMBERS[i] for i in ids if i in MEMBERS}

    return members_of


def test_a_story_is_shown_once_from_its_canonical_copy_with_the_others_listed() -> None:
    calls: list[list[str]] = []
    ranked = [passage("b", 2, 0.91), passage("a", 2, 0.90), passage("z", 0, 0.85, story=None),
              passage("c", 2, 0.84), passage("a", 5, 0.70)]
    out = collapse(ranked, lookup(calls))
    assert [p.chunk_id for p in out] == ["a-0002", "z-0000", "a-0005"]
    assert [x.outlet for x in out[0].also_in] == ["Weser-Kurier", "Nordkurier"]  # newest first
    assert out[1].also_in == []
    assert calls == [["s1"]]


def test_the_best_copy_is_kept_when_the_canonical_one_scores_much_lower() -> None:
    out = collapse([passage("b", 1, 0.92), passage("a", 4, 0.80)], lookup([]), margin=0.03)
    assert [p.doc_id for p in out] == ["b"]
    assert {x.doc_id for x in out[0].also_in} == {"a", "c"}


def test_passages_of_articles_on_their_own_cost_no_lookup() -> None:
    calls: list[list[str]] = []
    ranked = [passage("z", 0, 0.9, story=None), passage("y", 0, 0.8, story=None)]
    assert collapse(ranked, lookup(calls)) == ranked and calls == []


def test_a_story_with_one_member_left_passes_unchanged() -> None:
    out = collapse([passage("q", 0, 0.9, story="gone")], lookup([]))
    assert [p.doc_id for p in out] == ["q"] and out[0].also_in == []


def test_also_in_lists_everybody_but_the_shown_copy_newest_first() -> None:
    assert [x.doc_id for x in also_in(MEMBERS["s1"], "c")] == ["a", "b"]  # same date: by source
    assert [x.doc_id for x in also_in(MEMBERS["s1"], "a")] == ["b", "c"]


# --- through the service: ingest with the copy check, then search and ask ------------------------------
@pytest.fixture
def newsroom(tmp_path: Path, settings: Settings):
    folder = tmp_path / "articles"
    folder.mkdir()
    article(folder, "reuters.md", ELBTOR, "Reuters", "2022-05-12", "Baltrans will Elbtor übernehmen")
    copy = edit_text(ELBTOR, 0.08, random.Random(11), ADDED)[0]
    article(folder, "abendblatt.md", copy, "Hamburger Abendblatt", "2022-05-13", "Dänen greifen nach Elbtor")
    article(folder, "eu.md", EU, "Handelsblatt", "2022-11-03", "EU genehmigt Elbtor-Übernahme nur unter Auflagen")

    def reply(messages: list[dict[str, str]]) -> str:
        n = next((n for n, t in source_texts(messages).items() if "38,50" in t), None)
        return f"Baltrans bietet 38,50 Euro je Aktie [{n}]." if n else "Dazu enthalten die Quellen nichts."

    # the hash embedder scores an edited copy's passages further apart than a real model: any margin shows
    # the canonical copy whenever it was retrieved at all (the margin itself is tested above)
    s = settings.replace(min_relevance=0.2, min_relevance_cross=0.0, verify_min_similarity=0.2,
                         verify_min_similarity_cross=0.0, copies_passage_margin=1.0)
    assistant = build_assistant(s, embedder=HashEmbedding(), llm=ScriptedLLM(reply))
    ingest([folder], assistant.store, assistant.retriever.embedder, copies=CopyDetector())
    return assistant


def test_search_shows_the_story_once_with_also_in(newsroom) -> None:
    hits = newsroom.search("Baltrans Angebot 38,50 Euro je Aktie Elbtor", top_k=10)
    sources = [h.source for h in hits]
    assert "abendblatt.md" in sources and "reuters.md" not in sources  # the newer print is shown
    shown = next(h for h in hits if h.source == "abendblatt.md")
    assert [(x.source, x.outlet, x.date) for x in shown.also_in] == [("reuters.md", "Reuters", "2022-05-12")]
    assert all(h.also_in == [] for h in hits if h.source == "eu.md")


def test_an_outlet_filter_still_finds_its_own_copy(newsroom) -> None:
    hits = newsroom.search("Baltrans Angebot 38,50 Euro je Aktie Elbtor", top_k=5,
                           filters=Filters(outlet=["Reuters"]))
    assert hits and {h.source for h in hits} == {"reuters.md"}
    assert [x.outlet for x in hits[0].also_in] == ["Hamburger Abendblatt"]


def test_the_llm_context_and_the_citations_carry_the_story_once(newsroom) -> None:
    answer = newsroom.ask("Wie viel bietet Baltrans je Elbtor-Aktie?")
    assert answer.answerable
    evidence: list[Citation] = answer.trace.evidence if answer.trace else []
    assert len({c.source for c in evidence} & {"reuters.md", "abendblatt.md"}) == 1
    [cited] = answer.citations
    assert cited.also_in and cited.also_in[0].source in {"reuters.md", "abendblatt.md"} - {cited.source}
