"""BM25 segments: exact Okapi scores over alive chunks, filters equal to ``assistant.filters.matches``, merges."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant.bm25 import Segment, View
from assistant.bm25_write import DocTokens, merge_segments, tokenize, write_segment
from assistant.filters import matches
from assistant.models import Article, Filters
from assistant.settings import PROJECT_ROOT
from assistant.store_rows import chunk_rows
from ingest.chunking import chunk_article
from ingest.hashes import index_hash
from ingest.metadata import build_article
from ingest.readers import RawDoc, iter_documents

QUERIES = [("Welche Technologien will Nissan schützen?", "de"), ("When was Ghosn arrested?", "en"),
           ("Streik im Hamburger Hafen Verdi", "de"), ("Elbtor Übernahme Baltrans Preis je Aktie", "de"),
           ("fuel cell partnership BMW Toyota", "en"), ("Haushalt Flensburg Schulden", "de")]


def corpus_docs() -> list[tuple[DocTokens, list[dict]]]:
    """The bundled and the eval corpus as BM25 input, with each chunk's stored metadata."""
    out = []
    for folder in (PROJECT_ROOT / "corpus", PROJECT_ROOT / "eval" / "corpus"):
        for raw in iter_documents([folder]):
            if isinstance(raw, RawDoc) and isinstance(a := build_article(raw), Article):
                ids, texts, metas = chunk_rows(a, chunk_article(a))
                out.append((tokenize(a.doc_id, index_hash(a, 90, 1), ids, texts, metas), metas))
    return out


@pytest.fixture(scope="module")
def docs() -> list[tuple[DocTokens, list[dict]]]:
    return corpus_docs()


def reference(docs: list[DocTokens], terms: list[str], k: int) -> list[tuple[str, float]]:
    """Okapi BM25 written out plainly, as the previous scipy index computed it."""
    chunks = [c for d in docs for c in d.chunks]
    n = len(chunks)
    avg = max(sum(len(c.tokens) for c in chunks) / n, 1.0)
    df = Counter(t for c in chunks for t in set(c.tokens))
    out = []
    for c in chunks:
        tf = Counter(c.tokens)
        s = sum(math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5)) * tf[t] * 2.2 /
                (tf[t] + 1.2 * (0.25 + 0.75 * len(c.tokens) / avg)) for t in terms if tf[t])
        if s > 0:
            out.append((c.chunk_id, s))
    out.sort(key=lambda h: (-h[1], h[0]))
    return out[:k]


def same(got: list[tuple[str, float]], want: list[tuple[str, float]], note: str = "") -> None:
    assert [c for c, _ in got] == [c for c, _ in want], note
    assert [x for _, x in got] == pytest.approx([x for _, x in want], rel=1e-9), note


def test_scores_are_okapi_bm25_over_the_chunks(tmp_path: Path, docs) -> None:
    plain = [d for d, _ in docs]
    write_segment(tmp_path / "s", plain)
    view = View([Segment(tmp_path / "s")], [None])
    assert view.n == sum(len(d.chunks) for d in plain) > 100
    for q, lang in QUERIES:
        same(view.search(q, lang, 10), reference(plain, view.query_terms(q, lang), 10), q)


def test_statistics_count_only_alive_chunks_in_every_segment(tmp_path: Path, docs) -> None:
    plain = [d for d, _ in docs]
    write_segment(tmp_path / "a", plain[:10])
    write_segment(tmp_path / "b", plain[10:])
    a, b = Segment(tmp_path / "a"), Segment(tmp_path / "b")
    dead_doc = int(np.flatnonzero(a.doc_ids == plain[3].doc_id.encode())[0])
    alive_a = a.chunk_doc != dead_doc
    view = View([a, b], [alive_a, None])
    alive_docs = plain[:3] + plain[4:]
    for q, lang in QUERIES:
        same(view.search(q, lang, 8), reference(alive_docs, view.query_terms(q, lang), 8), q)


def test_english_chunks_add_english_stems_to_a_german_question(tmp_path: Path) -> None:
    de = tokenize("d1", "h", ["d1-0000"], ["Die Autos fahren elektrisch."], [{"language": "de"}])
    en = tokenize("d2", "h", ["d2-0000"], ["The cars are driving electric."], [{"language": "en"}])
    write_segment(tmp_path / "s", [de, en])
    view = View([Segment(tmp_path / "s")], [None])
    assert view.languages == {"de", "en"}
    assert {c for c, _ in view.search("driving cars", "de", 5)} == {"d2-0000"}


def test_an_english_question_searches_the_german_words_of_the_glossary(tmp_path: Path) -> None:
    de = tokenize("d1", "h", ["d1-0000"], ["Toyota entwickelt Brennstoffzellen."], [{"language": "de"}])
    other = tokenize("d2", "h", ["d2-0000"], ["Die Werft meldet Kurzarbeit."], [{"language": "de"}])
    write_segment(tmp_path / "s", [de, other])
    view = View([Segment(tmp_path / "s")], [None])
    assert "brennstoffzell" in view.query_terms("Who works on fuel cells?", "en")
    assert [c for c, _ in view.search("Who works on fuel cells?", "en", 5)] == ["d1-0000"]
    assert "brennstoffzell" not in view.query_terms("Wer arbeitet an fuel cells?", "de")  # German: no glossary



def test_earliest_with_finds_the_earliest_dated_alive_chunk_holding_every_term(tmp_path: Path) -> None:
    def doc(doc_id: str, text: str, lo: int | None, hi: int | None) -> DocTokens:
        return tokenize(doc_id, "h", [f"{doc_id}-0000"], [text],
                        [{"language": "de", "source": f"{doc_id}.md", "date_lo": lo, "date_hi": hi}])

    write_segment(tmp_path / "a", [
        doc("undated", "Übernahme von Elbtor durch die Werft", None, None),  # earliest of all, had it a date
        doc("gone", "Übernahme von Elbtor angekündigt", 20200101, 20201231),  # deleted below
        doc("half", "Die Übernahme scheitert", 20190101, 20190101),  # one term only
        doc("later", "Elbtor: Übernahme abgeschlossen", 20220601, 20220630),
    ])
    write_segment(tmp_path / "b", [doc("first", "Elbtor bestätigt die Übernahme", 20220512, 20220512),
                                   doc("same-day", "Übernahme von Elbtor", 20220512, 20220513)])
    a, b = Segment(tmp_path / "a"), Segment(tmp_path / "b")
    alive_a = a.chunk_doc != int(np.flatnonzero(a.doc_ids == b"gone")[0])
    terms = sorted({*tokenize("q", "h", ["q-0000"], ["Übernahme Elbtor"], [{"language": "de"}]).chunks[0].tokens})
    view = View([a, b], [alive_a, None])
    assert view.earliest_with(terms) == (20220512, 20220512, "first.md")  # on a tie, the narrower date
    assert View([a, b], [None, None]).earliest_with(terms) == (20200101, 20201231, "gone.md")
    assert View([a], [alive_a]).earliest_with(terms) == (20220601, 20220630, "later.md")
    assert view.earliest_with([*terms, "nirgends"]) is None
    assert view.earliest_with([]) is None


FILTERS = [
    Filters(outlet=["Reuters"]), Filters(outlet=["reuters", "dpa"]), Filters(outlet=["nobody"]),
    Filters(date_from="2019"), Filters(date_to="2018-06"), Filters(date_from="2018-01-15", date_to="2022-05"),
    Filters(language=["en"]), Filters(source=["a03_streik-hafen.md", "000_cf3a5fd77fe47193.txt"]),
    Filters(outlet=["Reuters"], date_from="2020", language=["de"]), Filters(),
]


@pytest.mark.parametrize("f", FILTERS, ids=lambda f: f.model_dump_json(exclude_defaults=True))
def test_filters_select_what_matches_selects(tmp_path: Path, docs, f: Filters) -> None:
    write_segment(tmp_path / "s", [d for d, _ in docs])
    seg = Segment(tmp_path / "s")
    metas = {m["doc_id"] + f"-{m['chunk_index']:04d}": m for _, ms in docs for m in ms}
    rows = np.arange(seg.n)
    got = seg.filter_mask(rows, f)
    want = [matches(metas[c.decode()], f) for c in seg.chunk_ids]
    assert got.tolist() == want
    view = View([seg], [None])
    assert view.selectivity(f) == pytest.approx(sum(want) / len(want))
    ids = list(metas)[:40] + ["not-indexed-0000"]
    assert view.matching(ids, f) == [matches(metas[i], f) for i in ids[:-1]] + [None]
    query = "Unternehmen Prozent Euro Millionen"
    ranked = reference([d for d, _ in docs], view.query_terms(query, "de"), 100_000)
    same(view.search(query, "de", 50, f), [h for h in ranked if matches(metas[h[0]], f)][:50])


def test_a_merged_segment_equals_one_written_from_the_alive_articles(tmp_path: Path, docs) -> None:
    plain = [d for d, _ in docs]
    write_segment(tmp_path / "a", plain[:12])
    write_segment(tmp_path / "b", plain[12:])
    a, b = Segment(tmp_path / "a"), Segment(tmp_path / "b")
    gone = {plain[0].doc_id, plain[5].doc_id, plain[20].doc_id}
    alive_a = ~np.isin(a.chunk_doc, np.flatnonzero(np.isin(a.doc_ids, [g.encode() for g in gone])))
    alive_b = ~np.isin(b.chunk_doc, np.flatnonzero(np.isin(b.doc_ids, [g.encode() for g in gone])))
    merge_segments(tmp_path / "m", [(a, alive_a), (b, alive_b)])
    write_segment(tmp_path / "w", [d for d in plain if d.doc_id not in gone])
    merged, written = Segment(tmp_path / "m"), Segment(tmp_path / "w")
    for name in ("chunk_ids", "chunk_doc", "lengths", "lang", "outlet", "date_lo", "date_hi", "doc_ids",
                 "doc_hash", "doc_source", "terms", "term_ptr", "post_chunk", "post_tf"):
        assert np.array_equal(np.asarray(getattr(merged, name)), np.asarray(getattr(written, name))), name
    assert (merged.languages, merged.outlets) == (written.languages, written.outlets)
