"""The llama.cpp prompt-state cache keeps states small: no per-token logits copies (~300 MB each)."""

import pytest

from assistant.llm import LlamaCppLLM
from assistant.modelfiles import ensure_bundled_gguf
from assistant.settings import PROJECT_ROOT

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
