"""Sentence vectors kept at ingest: the evidence picker reads them and embeds only the question."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from assistant.sentence_vectors import FILE_NAME, SentenceVectors
from tests.fakes import CountingEmbedding, HashEmbedding

GHOSN = "000_cf3a5fd77fe47193.txt"
QUESTION = "Wann wurde Carlos Ghosn verhaftet?"


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


def test_embed_embeds_only_what_is_not_kept(tmp_path: Path) -> None:
    e = CountingEmbedding()
    store = SentenceVectors(tmp_path / FILE_NAME, e.model_name, e.dim)
    store.put_many(["a b c"], e.passages(["a b c"]))
    e.encoded.clear()
    out = store.embed(["a b c", "d e f", "a b c"], e)
    assert e.encoded == [("d e f", False)]
    assert np.array_equal(out, e.passages(["a b c", "d e f", "a b c"]))
    assert store.known(["d e f"]) == {"d e f"}  # kept for next time
