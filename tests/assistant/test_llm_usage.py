"""Token usage: the service adds up what the LLM counted for one answer (fake LLM); llama.cpp's count in a stream
equals the usage it reports for the same completion without streaming (real model)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.factory import build_assistant
from assistant.llm import LlamaCppLLM
from assistant.modelfiles import ensure_bundled_gguf
from assistant.models import TokenUsage, Turn
from assistant.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import CountingLLM, HashEmbedding, ScriptedLLM
from tests.ui.conftest import newsroom_reply

GHOSN = "Wann wurde Carlos Ghosn verhaftet?"


@pytest.fixture
def make(settings: Settings, corpus_copy: Path):
    def _make(llm: ScriptedLLM, min_relevance: float = 0.05):
        a = build_assistant(settings.replace(min_relevance=min_relevance, verify_min_similarity=0.1),
                            embedder=HashEmbedding(), llm=llm)
        ingest([corpus_copy], a.store, a.retriever.embedder)
        return a

    return _make


def test_an_answer_carries_the_tokens_of_every_llm_call_it_made(make) -> None:
    llm = CountingLLM(newsroom_reply)
    assistant = make(llm)
    answer = assistant.ask(GHOSN)
    assert answer.answerable and len(llm.calls) == 1
    assert answer.usage == llm.counted[0] and answer.usage.completion_tokens == len(re.findall(r"\S+\s*",
                                                                                                answer.answer))
    follow_up = assistant.ask("Und wohin floh er?", history=[Turn(role="user", content=GHOSN),
                                                              Turn(role="assistant", content=answer.answer)])
    assert len(llm.counted) == 3  # the rewrite of the follow-up, then its answer
    assert follow_up.usage == TokenUsage(prompt_tokens=llm.counted[1].prompt_tokens + llm.counted[2].prompt_tokens,
                                         completion_tokens=llm.counted[1].completion_tokens
                                         + llm.counted[2].completion_tokens)
    assert follow_up.usage.total_tokens == follow_up.usage.prompt_tokens + follow_up.usage.completion_tokens


def test_no_llm_call_is_zero_tokens_and_an_uncounting_backend_is_unknown(make) -> None:
    llm = CountingLLM(newsroom_reply)
    refused = make(llm, min_relevance=0.99).ask("Wie wird das Wetter morgen in Hamburg?")
    assert refused.trace is not None and refused.trace.refusal_cause == "no_relevant_passage" and not llm.calls
    assert refused.usage == TokenUsage(prompt_tokens=0, completion_tokens=0)
    assert make(ScriptedLLM(newsroom_reply)).ask(GHOSN).usage is None  # it says nothing: not made up


@pytest.mark.integration
def test_a_llama_cpp_stream_counts_what_its_usage_says_without_streaming() -> None:
    """Each completion on a fresh model (a context that already holds the prompt may choose other rare tokens);
    a stream whose prompt state comes from the cache still counts the whole prompt."""
    model = ensure_bundled_gguf("qwen2.5-0.5b", Settings().llm.model_dir)
    stop = ["<|im_end|>", "<|endoftext|>"]
    for question, max_tokens in (("Wer war Carlos Ghosn? Antworte in einem Satz.", 48), ("Wann?", 3)):
        messages = [{"role": "system", "content": "Du beantwortest Fragen kurz auf Deutsch."},
                    {"role": "user", "content": question}]
        llm = LlamaCppLLM(model, n_ctx=2048, threads=2, prefix_cache_mb=64)
        text = "".join(llm.stream(messages, max_tokens=max_tokens, timeout_s=120))
        streamed = llm.last_usage
        fresh = LlamaCppLLM(model, n_ctx=2048, threads=2)._model()
        whole = fresh.create_chat_completion(messages=messages, max_tokens=max_tokens, temperature=0.0, stop=stop)
        assert whole["choices"][0]["message"]["content"] == text
        assert streamed == TokenUsage(prompt_tokens=whole["usage"]["prompt_tokens"],
                                      completion_tokens=whole["usage"]["completion_tokens"])
        again = "".join(llm.stream(messages, max_tokens=max_tokens, timeout_s=120))
        assert llm.last_usage is not None and llm.last_usage.prompt_tokens == streamed.prompt_tokens
        assert 0 < llm.last_usage.completion_tokens <= max_tokens and again
    assert streamed is not None and streamed.completion_tokens == 3 and streamed.prompt_tokens > 20
