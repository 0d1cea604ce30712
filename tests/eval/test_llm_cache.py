"""The eval's LLM reply cache: replays what it has seen, and never replays a reply of another model variant."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from assistant.llm import LlamaCppLLM, Message
from eval.llm_cache import CachedLLM


class _Counting:
    def __init__(self, name: str = "m", variant: str = "") -> None:
        self.name, self.variant, self.calls = name, variant, 0

    def stream(self, messages: list[Message], max_tokens: int, timeout_s: float,
               temperature: float = 0.0) -> Iterator[str]:
        self.calls += 1
        yield from [f"{self.variant or 'plain'} ", messages[-1]["content"]]


def _ask(llm: CachedLLM, text: str) -> str:
    return "".join(llm.stream([{"role": "user", "content": text}], 16, 10))


def test_replies_are_replayed_from_the_file_and_new_prompts_recorded(tmp_path: Path) -> None:
    path = tmp_path / "cache.jsonl"
    inner = _Counting()
    assert _ask(CachedLLM(inner, path), "a") == "plain a"
    again = CachedLLM(inner, path)
    assert _ask(again, "a") == "plain a" and _ask(again, "b") == "plain b"
    assert inner.calls == 2 and (again.replayed, again.generated) == (1, 1)


def test_a_reply_cut_off_by_the_time_limit_is_not_recorded(tmp_path: Path) -> None:
    """On an overloaded machine the time limit cuts a reply short: replayed, it would pass for the whole reply."""

    class _Slow(_Counting):
        def stream(self, messages: list[Message], max_tokens: int, timeout_s: float,
                   temperature: float = 0.0) -> Iterator[str]:
            self.calls += 1
            yield "cut "
            time.sleep(timeout_s)  # the LLM stops at its deadline

    path = tmp_path / "cache.jsonl"
    slow = _Slow()
    cached = CachedLLM(slow, path)
    assert "".join(cached.stream([{"role": "user", "content": "a"}], 16, 0.05)) == "cut "
    assert cached.generated == 1 and not path.exists()
    assert _ask(CachedLLM(_Counting(), path), "a") == "plain a"  # asked again, not replayed


def test_a_variant_of_the_model_gets_its_own_replies(tmp_path: Path) -> None:
    path = tmp_path / "cache.jsonl"
    _ask(CachedLLM(_Counting(), path), "a")
    fast = _Counting(variant="flash_attn")
    assert _ask(CachedLLM(fast, path), "a") == "flash_attn a"  # not the plain model's reply
    assert fast.calls == 1
    assert _ask(CachedLLM(_Counting(), path), "a") == "plain a"  # keys without a variant are unchanged


def test_saved_prompt_states_are_kept_apart_by_attention_kind(tmp_path: Path) -> None:
    """A state computed without flash attention has another KV layout: never restored into a model with it."""
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    messages: list[Message] = [{"role": "system", "content": "Antworte kurz."}]
    paths = {fa: LlamaCppLLM(model, state_dir=tmp_path, flash_attn=fa)._state_path(messages) for fa in (True, False)}
    assert paths[True] != paths[False]
    assert LlamaCppLLM(model, flash_attn=True).variant == "flash_attn"
    assert LlamaCppLLM(model, flash_attn=False).variant == ""
