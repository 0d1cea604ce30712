"""The llama.cpp prompt-state cache keeps states small: no per-token logits copies (~300 MB each)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from assistant.llm import LlamaCppLLM
from assistant.modelfiles import ensure_bundled_gguf
from assistant.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from llama_cpp import LlamaState

pytestmark = pytest.mark.integration


def test_saved_prompt_states_keep_only_the_last_logits_row() -> None:
    model = ensure_bundled_gguf("qwen2.5-0.5b", PROJECT_ROOT / ".cache" / "models")
    llm = LlamaCppLLM(model, n_ctx=2048, threads=2, prefix_cache_mb=64)
    for question in ("Wer?", "Wann?"):
        messages = [{"role": "system", "content": "Antworte kurz. " * 60},
                    {"role": "user", "content": question}]
        list(llm.stream(messages, max_tokens=2, timeout_s=120))
    states = list(llm._model().cache.cache_state.values())
    assert len(states) == 2
    assert [s.scores.shape[0] for s in states] == [1, 1]  # the stock cache keeps min(tokens, n_batch) rows


def test_an_answer_from_a_restored_prefix_state_equals_one_computed_afresh() -> None:
    """The lean save_state must save a state that restores exactly: same greedy answer as without the cache."""
    model = ensure_bundled_gguf("qwen2.5-0.5b", PROJECT_ROOT / ".cache" / "models")
    prefix_de = "Du beantwortest Fragen zu Nachrichtenartikeln. Antworte kurz auf Deutsch. " * 12
    prefix_en = "You answer questions about news articles. Answer briefly in English. " * 12

    def ask(llm: LlamaCppLLM, prefix: str, question: str) -> str:
        messages = [{"role": "system", "content": prefix}, {"role": "user", "content": question}]
        return "".join(llm.stream(messages, max_tokens=12, timeout_s=120))

    cached = LlamaCppLLM(model, n_ctx=2048, threads=2, prefix_cache_mb=64)
    restored: list[int] = []
    llama = cached._model()
    real_load = llama.load_state

    def load_state(state: LlamaState) -> None:  # counts the states taken from the cache
        restored.append(state.n_tokens)
        real_load(state)

    llama.load_state = load_state
    ask(cached, prefix_de, "Wer ist Carlos Ghosn?")
    ask(cached, prefix_en, "Who is Carlos Ghosn?")
    again = ask(cached, prefix_de, "Wann wurde Carlos Ghosn verhaftet?")  # German prefix from the cache
    assert restored, "the German prefix state was not taken from the cache"
    fresh = ask(LlamaCppLLM(model, n_ctx=2048, threads=2, prefix_cache_mb=0), prefix_de,
                "Wann wurde Carlos Ghosn verhaftet?")
    assert again == fresh


def test_static_prompts_saved_at_one_start_are_restored_at_the_next_and_answer_the_same(tmp_path) -> None:
    """Start-up processes the static prompt prefixes once and keeps them on disk; the next start restores
    them (no prompt processing) and every answer equals one computed without any cache."""
    model = ensure_bundled_gguf("qwen2.5-0.5b", PROJECT_ROOT / ".cache" / "models")
    static = [[{"role": "system", "content": "Du beantwortest Fragen zu Nachrichtenartikeln. " * 15},
               {"role": "user", "content": "Frage: "}]]

    def ask(llm: LlamaCppLLM) -> str:
        messages = [static[0][0], {"role": "user", "content": "Frage: Wann wurde Carlos Ghosn verhaftet?"}]
        return "".join(llm.stream(messages, max_tokens=12, timeout_s=120))

    first = LlamaCppLLM(model, n_ctx=2048, threads=2, prefix_cache_mb=64, state_dir=tmp_path)
    assert first.prime(static) == ["computed"]
    assert len(list(tmp_path.glob("prompt-*.state"))) == 1
    second = LlamaCppLLM(model, n_ctx=2048, threads=2, prefix_cache_mb=64, state_dir=tmp_path)
    assert second.prime(static) == ["restored"]
    restored: list[int] = []
    llama = second._model()
    real_load = llama.load_state

    def load_state(state: LlamaState) -> None:  # counts the states taken from the cache
        restored.append(state.n_tokens)
        real_load(state)

    llama.load_state = load_state
    answer = ask(second)
    assert restored, "the restored static prefix was not used"
    assert answer == ask(LlamaCppLLM(model, n_ctx=2048, threads=2, prefix_cache_mb=0))
    assert list(second._model().cache.pinned) and not any(  # pinned, not in the evictable LRU part
        k in second._model().cache.cache_state for k in second._model().cache.pinned)



def test_the_model_file_is_mapped_only_when_asked() -> None:
    """By default the GGUF is read into RAM, not mapped: llama.cpp's CPU repack copies most weights into its own
    buffer anyway, and the mapped file's pages stayed resident beside the copies (~600 MB more RSS with the 1.5B
    model). The same greedy answer either way."""
    model = ensure_bundled_gguf("qwen2.5-0.5b", PROJECT_ROOT / ".cache" / "models")
    answers = []
    for mmap in (False, True):
        llm = LlamaCppLLM(model, n_ctx=1024, threads=2, mmap=mmap)
        answers.append("".join(llm.stream([{"role": "user", "content": "Wie heißt die Hauptstadt von Frankreich?"}],
                                          max_tokens=8, timeout_s=120)))
        assert (str(model.resolve()) in Path("/proc/self/maps").read_text()) is mmap
        llm._llama.close()
    assert answers[0] == answers[1] and answers[0]
