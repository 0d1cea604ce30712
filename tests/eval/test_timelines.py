"""The timeline gold set and its scorer; the planted-copy generator."""

from __future__ import annotations

from collections import Counter

import pytest

from assistant.models import Article, Citation, TimelineEvent
from eval.planted import MAX_EDIT, plant
from eval.timelines import CORPORA, GoldEvent, load, match, order_pairs, repeats, summarise


def event(n: int, date: str, text: str, doc: str = "d") -> TimelineEvent:
    c = Citation(n=n, doc_id=doc, source=f"{doc}.md", title="t", chunk_id=f"{doc}-0000", text=text, start=0,
                 end=len(text), score=1.0)
    return TimelineEvent(date=date, date_source="sentence", text=text, citation=c)


def test_gold_has_enough_story_questions_in_every_split() -> None:
    questions = load()
    assert len(questions) >= 15
    splits = Counter(q.split for q in questions)
    assert splits["dev"] >= 5 and splits["test"] >= 10 and splits["holdout"] >= 5
    assert {q.language for q in questions} == {"de", "en"}
    assert all(q.events and all(e.phrases for e in q.events) for q in questions)


def test_every_gold_phrase_is_in_an_article() -> None:
    from ingest.metadata import build_article
    from ingest.readers import RawDoc, iter_documents

    def article_text(raw: RawDoc) -> str:
        article = build_article(raw)
        assert isinstance(article, Article), article  # none of the corpora's files is skipped
        return " ".join(article.text.split()).casefold()

    texts = [article_text(r) for r in iter_documents(list(CORPORA)) if isinstance(r, RawDoc)]
    for q in load():
        for e in q.events:
            assert any(any(" ".join(p.split()).casefold() in t for t in texts) for p in e.phrases), (q.id, e)


def test_matching_order_and_repeats() -> None:
    gold = (GoldEvent("2021", ("Klage eingereicht",)), GoldEvent("2023-09", ("Vergleich",)),
            GoldEvent("2024", ("nicht da",)))
    events = [event(1, "2021-11-17", "Der Nabu hat Klage eingereicht."),
              event(2, "2023-09-26", "Beide einigten sich auf einen Vergleich."),
              event(3, "2023-09-27", "Beide einigten sich auf einen Vergleich vor Gericht.", "copy")]
    found = match(gold, events)
    assert found == [0, 1, None]
    assert order_pairs(gold, found) == (1, 1)
    assert order_pairs(gold, [1, 0, None]) == (0, 1)
    assert repeats(events) == 1  # the same sentence from another printing


def test_summary_sums_over_questions() -> None:
    rows = [{"found": 2, "gold_events": 4, "order_right": 1, "order_pairs": 1, "cited": 3, "events": 3, "repeats": 0,
             "copies_mixed": 0, "dates_agree": 2, "events_on_gold": 2, "ms": 10.0},
            {"found": 4, "gold_events": 4, "order_right": 6, "order_pairs": 6, "cited": 5, "events": 5, "repeats": 1,
             "copies_mixed": 0, "dates_agree": 3, "events_on_gold": 4, "ms": 30.0}]
    s = summarise(rows)
    assert (s["event_recall"], s["order_accuracy"], s["citation_coverage"], s["repeats"]) == (0.75, 1.0, 1.0, 1)


@pytest.mark.parametrize("split", ["dev", "test"])
def test_the_planted_corpus_is_fixed_by_its_seed_and_edits_at_most_15_percent(split: str) -> None:
    a, b = plant(split), plant(split)
    assert [(p.source, p.text) for p in a] == [(p.source, p.text) for p in b]
    kinds = Counter(p.kind for p in a)
    assert kinds["original"] >= 10 and kinds["copy"] >= 20 and kinds["update"] >= 5 and kinds["near_miss"] >= 10
    assert all(p.edit <= MAX_EDIT + 0.03 for p in a if p.kind == "copy")
    assert all(p.outlet != next(o.outlet for o in a if o.source.startswith(p.story.rsplit(".", 1)[0]))
               for p in a if p.kind == "copy")
