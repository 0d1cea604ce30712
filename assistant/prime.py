"""The static prompts whose processed llama.cpp states a start restores, and ``python -m assistant.prime``.

Every answer and condense prompt begins with a fixed part (system prompt and examples, ~450-600 tokens); its
processed state is computed once (~5 s per prompt on 2 cores) and kept on disk beside the models
(``ASSISTANT_LLM_STATE_DIR``): it depends on the model, the context, the batch and the prompt text, not on the
index, so every index and every later start restores it. ``make setup`` runs this module, so that no start of
the assistant, not even the first after setup, pays for the computation.
"""

from __future__ import annotations

import logging
import sys
import time

from assistant.llm import Message
from assistant.prompts import PromptLibrary

# the prompts a start primes, in this order (the answer prompts first: every question needs one)
STATIC_PROMPTS = (("answer", "de"), ("answer", "en"), ("condense", "de"), ("condense", "en"))


def static_prompts(prompts: PromptLibrary) -> list[list[Message]]:
    """Each primed prompt's messages with its variables empty: the fixed part every request of it begins with."""
    out = []
    for name, language in STATIC_PROMPTS:
        prompt = prompts.get(name, language)
        out.append(prompt.messages(**{v: "" for v in prompt.variables}))
    return out


def main() -> int:
    """Compute and keep the static prompts' states for the configured local model, unless all are kept already.
    Nothing to do for an OpenAI-compatible LLM server (it keeps its own caches)."""
    from assistant.factory import build_llm
    from assistant.llm import LlamaCppLLM
    from assistant.settings import Settings

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    settings = Settings()
    if settings.llm.backend != "llama-cpp":
        print("prompt states: not kept for an OpenAI-compatible LLM server")
        return 0
    llm = build_llm(settings)
    assert isinstance(llm, LlamaCppLLM)
    messages = static_prompts(PromptLibrary(settings.storage.prompts_dir))
    if llm.primed(messages):
        print(f"prompt states: all {len(messages)} kept in {llm.state_dir}")
        return 0
    t = time.perf_counter()
    done = llm.prime(messages)
    print(f"prompt states: {', '.join(done)} in {time.perf_counter() - t:.1f} s, kept in {llm.state_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
