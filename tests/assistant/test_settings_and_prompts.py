"""Settings tree vs .env.example, validators, and every prompt file rendering."""

import re

import pytest
from pydantic import ValidationError

from assistant.errors import ConfigError
from assistant.prompts import PromptLibrary
from assistant.settings import BRANCHES, FLAT, PROJECT_ROOT, Settings, env_example


def test_env_example_lists_every_setting() -> None:
    text = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^(?:# )?ASSISTANT_([A-Z0-9_]+)=", text, re.M))
    assert documented == {name.upper() for name in FLAT}
    # the flat era's 82, evidence_article_chunks, _window, _dictionary, llm_mmap, _flash_attn +2,
    # quote_several_sentences, llm_state_dir
    assert len(FLAT) == 91
    assert text == env_example(), "regenerate .env.example (see its first lines): a default or description changed"


def test_every_setting_is_described() -> None:
    assert all(f.description for model in BRANCHES.values() for f in model.model_fields.values())
    assert all(model.__doc__ for model in BRANCHES.values())


def test_the_tree_reads_flat_variables_from_the_environment_and_the_env_file(
        monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    env_file = tmp_path / "settings.env"
    env_file.write_text("ASSISTANT_LLM_THREADS=3\nASSISTANT_TOP_K=9\nASSISTANT_CORS_ORIGINS=[\"http://a\"]\n"
                        "UNRELATED=1\n", encoding="utf-8")
    monkeypatch.setenv("ASSISTANT_TOP_K", "7")  # the environment wins over the file
    s = Settings(_env_file=env_file)
    assert (s.retrieval.top_k, s.llm.threads, s.server.cors_origins) == (7, 3, ["http://a"])
    assert Settings(_env_file=env_file, top_k=2).retrieval.top_k == 2  # arguments win over both
    monkeypatch.setenv("ASSISTANT_CORS_ORIGINS", "http://a,http://b")
    with pytest.raises(ValueError, match="JSON list"):
        Settings(_env_file=None)


def test_flat_names_and_replace(tmp_path) -> None:
    s = Settings(index_dir=tmp_path, top_k=3, llm_threads=1)
    assert (s.storage.index_dir, s.retrieval.top_k, s.llm.threads) == (tmp_path.resolve(), 3, 1)
    t = s.replace(top_k=4, verify_min_similarity=0.5)
    assert (t.retrieval.top_k, t.verify.min_similarity, t.llm.threads, t.storage.index_dir) == (
        4, 0.5, 1, tmp_path.resolve())
    assert s.retrieval.top_k == 3  # the original is untouched
    assert t.flat()["top_k"] == 4 and t.shaping()["verify_min_similarity"] == "0.5"
    assert "index_dir" not in t.shaping()  # operational: does not shape results
    with pytest.raises(ValueError, match="no setting is called 'topk'"):
        Settings(topk=3)
    with pytest.raises(ValueError, match="top_k"):
        s.replace(top_k=0)  # validated like the original
    # what was set stays set: the openai embedder still needs its served model name after a replace
    with pytest.raises(ValueError, match="ASSISTANT_EMBED_MODEL"):
        s.replace(embed_backend="openai", embed_base_url="http://127.0.0.1:9/v1")


def test_environment_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("ASSISTANT_TOP_K", "7")
    monkeypatch.setenv("ASSISTANT_API_KEY", "k1, k2")
    s = Settings()
    assert s.retrieval.top_k == 7 and s.server.api_keys == ["k1", "k2"]
    assert s.storage.index_dir == (tmp_path / "index").resolve()


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"ASSISTANT_LLM_BACKEND": "openai"}, "ASSISTANT_LLM_BASE_URL"),
        ({"ASSISTANT_EMBED_BACKEND": "sentence-transformers", "ASSISTANT_EMBED_MODEL": "/nope"}, "model folder"),
        ({"ASSISTANT_TOP_K": "0"}, r"top_k \(ASSISTANT_TOP_K\)"),
        ({"ASSISTANT_PORT": "70000"}, r"port \(ASSISTANT_PORT\)"),
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


def test_the_example_names_of_the_answer_prompts_are_their_examples_names() -> None:
    """The verifier drops an answer that repeats a made-up name of the examples (assistant/non_answers.py): each
    listed name is in that prompt's examples, and the examples' company is among them."""
    for lang in ("de", "en"):
        p = PromptLibrary(PROJECT_ROOT / "prompts").get("answer", lang)
        examples = " ".join(e["user"] + e["assistant"] for e in p.examples)
        assert "Muster AG" in p.listed("example_names")
        assert all(name in examples for name in p.listed("example_names")), lang
    assert PromptLibrary(PROJECT_ROOT / "prompts").get("condense", "de").listed("example_names") == []


def test_missing_prompt_file_is_a_clear_error(tmp_path) -> None:
    with pytest.raises(ConfigError, match="missing"):
        PromptLibrary(tmp_path).get("answer", "de")


def test_an_empty_dictionary_setting_turns_the_dictionary_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ASSISTANT_EVIDENCE_DICTIONARY", "")
    assert Settings(_env_file=None).evidence.dictionary is None
    monkeypatch.setenv("ASSISTANT_EVIDENCE_DICTIONARY", "/srv/dict/de-en")
    assert str(Settings(_env_file=None).evidence.dictionary) == "/srv/dict/de-en"
