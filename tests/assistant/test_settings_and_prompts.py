"""Settings tree vs .env.example, validators, and every prompt file rendering."""

import re

import pytest
from pydantic import ValidationError

from assistant.errors import ConfigError
from assistant.prompts import PromptLibrary
from assistant.settings import PROJECT_ROOT, Settings, env_example


def test_env_example_lists_every_setting() -> None:
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^(?:# )?ASSISTANT_([A-Z0-9_]+)=", text, re.M))
    assert documented == {name.upper() for name in Settings.model_fields}
    assert text == env_example(), "regenerate .env.example (see its first lines): a default or description changed"


def test_every_setting_is_described() -> None:
    assert all(f.description for f in Settings.model_fields.values())


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("ASSISTANT_TOP_K", "7")
    monkeypatch.setenv("ASSISTANT_API_KEY", "k1, k2")
    s = Settings()
    assert s.top_k == 7 and s.api_keys == ["k1", "k2"]
    assert s.index_dir == (tmp_path / "index").resolve()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ASSISTANT_LLM_BACKEND": "openai"}, "ASSISTANT_LLM_BASE_URL"),
        ({"ASSISTANT_EMBED_BACKEND": "sentence-transformers", "ASSISTANT_EMBED_MODEL": "/nope"}, "model folder"),
        ({"ASSISTANT_TOP_K": "0"}, "top_k"),
        ({"ASSISTANT_PORT": "70000"}, "port"),
    ],
)
def test_unsafe_values_are_refused(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], message: str) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_every_prompt_renders() -> None:
    library = PromptLibrary(PROJECT_ROOT / "prompts")
    prompts = library.all()
    assert {(p.name, p.language) for p in prompts} >= {("answer", "de"), ("answer", "en"),
                                                       ("condense", "de"), ("condense", "en")}
    for p in prompts:
        values = {v: f"<{v}>" for v in p.variables}
        messages = p.messages(**values)
        assert messages[0]["role"] == "system" and messages[-1]["role"] == "user"
        assert all(f"<{v}>" in messages[-1]["content"] for v in p.variables)
        with pytest.raises(ConfigError, match="needs"):
            p.render_user()
    for lang in ("de", "en"):
        answer = library.get("answer", lang)
        assert answer.extra("refusal") and answer.extra("source_label")
        assert {"sources", "question"} == answer.variables


def test_static_prefix_is_identical_across_questions() -> None:
    """llama.cpp reuses its KV cache only if everything before the sources is byte-identical."""
    p = PromptLibrary(PROJECT_ROOT / "prompts").get("answer", "de")
    a = p.messages(sources="A", question="eins")
    b = p.messages(sources="B", question="zwei")
    assert a[:-1] == b[:-1]


def test_missing_prompt_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="missing"):
        PromptLibrary(tmp_path).get("answer", "de")
