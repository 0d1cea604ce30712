"""Sentence vectors kept at ingest: the evidence picker reads them and embeds only the question."""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from pathlib import Path

import numpy as np
import pytest

from assistant.evidence import EvidencePicker, sentence_text
from assistant.factory import build_assistant
from assistant.questions import analyse
from assistant.sentence_vectors import FILE_NAME, SentenceVectors
from assistant.settings import Settings
from ingest.factory import build_ingester
from tests.fakes import CountingEmbedding, HashEmbedding, ScriptedLLM

GHOSN = "000_cf3a5fd77fe47193.txt"
QUESTION = "Wann wurde Carlos Ghosn verhaftet?"


@pytest.fixture
def built(settings: Settings, corpus_copy: Path):
    """An assistant (counting hash embedder, scripted LLM) and its ingester over a copy of the bundled corpus."""
    def _built(**overrides):
        s = settings.replace(**{"min_relevance": 0.05, "verify_min_similarity": 0.1, **overrides})
        embedder = CountingEmbedding()
        assistant = build_assistant(s, embedder=embedder, llm=ScriptedLLM("Dazu steht nichts in den Quellen."))
        ingester = build_ingester(s, embedder=embedder, store=assistant.store, bm25=assistant.retriever.bm25)
        return assistant, ingester, embedder

    return _built


def pick(assistant, embedder: CountingEmbedding, question: str = QUESTION):
    """The evidence for ``question`` and the texts the embedder encoded while picking it."""
    info = analyse(question, "de")
    passages = assistant.relevant(assistant.retriever.search(question, "de", 5), "de")
    assert passages
    embedder.encoded.clear()
    units = assistant.evidence.pick(info, passages, assistant._article_text)
    return units, list(embedder.encoded)


# --- the store --------------------------------------------------------------------------------------------

def test_vectors_come_back_exactly_and_only_for_their_model(tmp_path: Path) -> None:
    e = HashEmbedding()
    texts = ["Titel: Ghosn wurde 2018 verhaftet.", "Titel: Nissan trennte sich von ihm."]
    vectors = e.passages(texts)
    store = SentenceVectors(tmp_path / FILE_NAME, e.model_name, e.dim)
    assert store.put_many(texts, vectors)
    got = store.get_many([*texts, "not kept"])
    assert set(got) == set(texts)
    assert all(np.array_equal(got[t], v) for t, v in zip(texts, vectors, strict=True))
    assert store.known([*texts, "not kept"]) == set(texts)
    assert SentenceVectors(tmp_path / FILE_NAME, "another-model", e.dim).get_many(texts) == {}
    store.clear()
    assert store.get_many(texts) == {} and store.count() == 0


def test_texts_whose_keys_share_a_row_do_not_get_each_others_vector(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    e = HashEmbedding()
    store = SentenceVectors(tmp_path / FILE_NAME, e.model_name, e.dim)
    monkeypatch.setattr(store, "key", lambda t: bytes(8) + hashlib.sha256(t.encode()).digest()[8:])
    store.put_many(["Ghosn wurde verhaftet."], e.passages(["Ghosn wurde verhaftet."]))
    store.put_many(["Nissan trennte sich."], e.passages(["Nissan trennte sich."]))
    assert set(store.get_many(["Ghosn wurde verhaftet.", "Nissan trennte sich."])) == {"Ghosn wurde verhaftet."}
    assert store.known(["Nissan trennte sich."]) == set()


def test_while_another_writer_holds_the_file_reads_go_on_and_a_write_is_left_out_quietly(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    e = HashEmbedding()
    store = SentenceVectors(tmp_path / FILE_NAME, e.model_name, e.dim, timeout_s=0.05)
    store.put_many(["Ghosn wurde verhaftet."], e.passages(["Ghosn wurde verhaftet."]))
    other = sqlite3.connect(tmp_path / FILE_NAME)  # an ingest in another process, in the middle of a write
    other.execute("BEGIN IMMEDIATE")
    try:
        with caplog.at_level(logging.DEBUG, logger="assistant.sentence_vectors"):
            assert set(store.get_many(["Ghosn wurde verhaftet."])) == {"Ghosn wurde verhaftet."}
            assert not store.put_many(["Nissan trennte sich."], e.passages(["Nissan trennte sich."]))
    finally:
        other.rollback()
        other.close()
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert store.put_many(["Nissan trennte sich."], e.passages(["Nissan trennte sich."]))


def test_embed_embeds_only_what_is_not_kept(tmp_path: Path) -> None:
    e = CountingEmbedding()
    store = SentenceVectors(tmp_path / FILE_NAME, e.model_name, e.dim)
    store.put_many(["a b c"], e.passages(["a b c"]))
    e.encoded.clear()
    out = store.embed(["a b c", "d e f", "a b c"], e)
    assert e.encoded == [("d e f", False)]
    assert np.array_equal(out, e.passages(["a b c", "d e f", "a b c"]))
    assert store.known(["d e f"]) == {"d e f"}  # kept for next time


# --- ingest and question time -----------------------------------------------------------------------------

def test_vectors_kept_at_ingest_leave_the_picker_only_the_question_to_embed(built, corpus_copy: Path) -> None:
    assistant, ingester, embedder = built()
    summary = ingester.ingest([corpus_copy])
    assert summary.sentences_added > 50 and f"{summary.sentences_added} sentences" in summary.report()
    units, encoded = pick(assistant, embedder)
    assert units and any("verhaftet" in u.text for u in units)
    assert encoded == []  # no sentence, and the question's vector is the one retrieval asked for a moment ago


def test_scores_are_the_same_with_and_without_kept_vectors(built, corpus_copy: Path) -> None:
    assistant, ingester, embedder = built()
    ingester.ingest([corpus_copy])
    plain = EvidencePicker(embedder, window=assistant.evidence.window)  # no store: embeds every sentence, as before
    assert assistant.evidence.sentence_vectors is not None
    for question in (QUESTION, "Warum kooperieren BMW und Daimler beim Leichtbau?", "Wer leitet Renault?"):
        info = analyse(question, "de")
        passages = assistant.relevant(assistant.retriever.search(question, "de", 5), "de")
        candidates = plain._candidates(passages, assistant._article_text)
        assert assistant.evidence._scores(info, candidates) == plain._scores(info, candidates)
        assert assistant.evidence.pick(info, passages, assistant._article_text) == \
            plain.pick(info, passages, assistant._article_text)


def test_a_changed_article_gets_its_new_sentences_vectors(built, corpus_copy: Path) -> None:
    assistant, ingester, embedder = built()
    ingester.ingest([corpus_copy])
    added = "Ghosn wurde im Dezember 2019 in einer Musikinstrumentenkiste aus Japan geschmuggelt."
    target = corpus_copy / GHOSN
    target.write_text(target.read_text(encoding="utf-8") + f"\n\n{added}\n", encoding="utf-8")
    embedder.encoded.clear()
    summary = ingester.ingest([corpus_copy])
    assert summary.changed == 1
    title = assistant.store.document_text(next(d.doc_id for d in assistant.store.documents()
                                               if d.source == GHOSN))[0].title
    assert any(t == sentence_text(title, added) for t, q in embedder.encoded if not q)
    # only the new sentence was embedded for evidence: the unchanged ones were kept already
    new_texts = [t for t, q in embedder.encoded if not q and t.startswith(f"{title}: ")]
    assert new_texts == [sentence_text(title, added)]
    units, encoded = pick(assistant, embedder, "Wie floh Ghosn aus Japan in einer Musikinstrumentenkiste?")
    assert any("Musikinstrumentenkiste" in u.text for u in units)
    assert encoded == []  # the sentences were kept, the question embedded by retrieval a moment ago


def test_with_the_setting_off_ingest_keeps_none_and_questions_fill_them(built, corpus_copy: Path) -> None:
    assistant, ingester, embedder = built(sentence_vectors=False)
    summary = ingester.ingest([corpus_copy])
    assert summary.sentences_added == 0
    store = assistant.evidence.sentence_vectors
    assert store is not None and store.count() == 0
    assert all("\n" in t for t, q in embedder.encoded if not q)  # "title\nchunk" only, no "title: sentence"
    units, first = pick(assistant, embedder)
    assert len(first) > 5 and store.count() == len(first)  # every sentence embedded, and kept
    again, second = pick(assistant, embedder)
    assert again == units and second == []


def test_a_reset_forgets_the_kept_vectors(built, corpus_copy: Path) -> None:
    assistant, ingester, _ = built()
    first = ingester.ingest([corpus_copy])
    again = ingester.ingest([corpus_copy], reset=True)
    assert again.new == 5 and again.sentences_added == first.sentences_added  # embedded anew, not found
    assert assistant.evidence.sentence_vectors is not None
    assert assistant.evidence.sentence_vectors.count() == first.sentences_added


@pytest.mark.parametrize("damage", ["garbage", "directory"])
def test_an_unreadable_file_means_embedding_as_before(built, corpus_copy: Path, settings: Settings,
                                                      caplog: pytest.LogCaptureFixture, damage: str) -> None:
    path = settings.storage.index_dir / FILE_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    if damage == "garbage":
        path.write_bytes(b"this is not a database" * 100)
    else:
        path.mkdir()
    assistant, ingester, embedder = built()
    with caplog.at_level(logging.WARNING, logger="assistant.sentence_vectors"):
        summary = ingester.ingest([corpus_copy])
        assert summary.new == 5 and summary.sentences_added == 0
        units, encoded = pick(assistant, embedder)
        units_again, encoded_again = pick(assistant, embedder)
    assert units and units == units_again
    assert len(encoded) > 5 and encoded == encoded_again  # every sentence embedded each time, as before
    plain = EvidencePicker(embedder, window=assistant.evidence.window).pick(analyse(QUESTION, "de"), assistant.relevant(
        assistant.retriever.search(QUESTION, "de", 5), "de"), assistant._article_text)
    assert units == plain
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2  # one for the ingester's store, one for the picker's; not one per call
    assert all("embedded at question time" in r.getMessage() for r in warnings)
