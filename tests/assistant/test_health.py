"""The service's health record names the model that actually answers, not a settings key."""

from pathlib import Path
from typing import Any

import pytest

from assistant.factory import build_assistant
from assistant.settings import Settings
from tests.fakes import HashEmbedding, ScriptedLLM


@pytest.mark.parametrize(("overrides", "llm", "bundled"), [
    ({}, "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "qwen2.5-1.5b"),
    ({"llm_bundled": "qwen2.5-0.5b"}, "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "qwen2.5-0.5b"),
    ({"llm_model_path": "/models/mistral-7b-instruct.Q4_K_M.gguf"}, "mistral-7b-instruct.Q4_K_M.gguf", None),
    ({"llm_backend": "openai", "llm_base_url": "http://127.0.0.1:9/v1", "llm_model": "llama3.1:8b"},
     "llama3.1:8b", None),
])
def test_health_names_the_served_model(tmp_path: Path, overrides: dict[str, Any], llm: str,
                                       bundled: str | None) -> None:
    settings = Settings(index_dir=tmp_path / "index", **overrides)
    health = build_assistant(settings, embedder=HashEmbedding(), llm=ScriptedLLM("x")).health()
    assert (health["llm"], health["llm_bundled"]) == (llm, bundled)
    assert health["llm_backend"] == settings.llm.backend
