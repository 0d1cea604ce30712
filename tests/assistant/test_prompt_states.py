"""The static prompts' processed states are kept per machine and model, not per index (assistant/prime.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.factory import build_llm
from assistant.llm import LlamaCppLLM
from assistant.prime import STATIC_PROMPTS, static_prompts
from assistant.prompts import PromptLibrary
from assistant.settings import PROJECT_ROOT, Settings


def test_the_states_live_beside_the_models_whatever_the_index(tmp_path: Path) -> None:
    a = Settings(index_dir=tmp_path / "a", llm_model_dir=tmp_path / "models")
    b = Settings(index_dir=tmp_path / "b", llm_model_dir=tmp_path / "models")
    assert a.llm.prompt_states == b.llm.prompt_states == (tmp_path / "models" / "prompt-states").resolve()
    assert Settings(llm_state_dir=tmp_path / "states").llm.prompt_states == (tmp_path / "states").resolve()


def test_every_static_prompt_is_the_fixed_beginning_of_its_real_prompts() -> None:
    """What a start primes is, token for token, what every request of that prompt begins with up to its first
    variable: the system prompt, the examples and the fixed head of the user message (llama.cpp reuses the longest
    common prefix of a pinned state)."""
    library = PromptLibrary(PROJECT_ROOT / "prompts")
    static = static_prompts(library)
    assert len(static) == len(STATIC_PROMPTS) == 4
    assert len({json.dumps(m) for m in static}) == 4
    for (name, language), messages in zip(STATIC_PROMPTS, static, strict=True):
        prompt = library.get(name, language)
        filled = _text(prompt.messages(**{v: "\x00" for v in prompt.variables}))
        head = filled[: filled.index("\x00")]
        assert _text(messages).startswith(head)
        assert len(head) > len(_text(messages[:-1]))  # every message before the last one is in the shared head


def _text(messages: list[dict[str, str]]) -> str:
    return "".join(f"<{m['role']}>{m['content']}</{m['role']}>" for m in messages)


def _llm(tmp_path: Path, keep: int = 12) -> LlamaCppLLM:
    model = tmp_path / "model.gguf"  # only its name, size and time enter the state's key: never loaded here
    model.write_bytes(b"GGUF")
    return LlamaCppLLM(model, state_dir=tmp_path / "states", keep_states=keep)


def test_primed_says_whether_every_state_is_on_disk_without_loading_the_model(tmp_path: Path) -> None:
    llm = _llm(tmp_path)
    prompts = [[{"role": "system", "content": "Antworte kurz."}], [{"role": "system", "content": "Answer briefly."}]]
    assert not llm.primed(prompts)
    first = llm._state_path(prompts[0])
    assert first is not None
    llm._save_state(first, b"state")
    assert not llm.primed(prompts)
    second = llm._state_path(prompts[1])
    assert second is not None and second != first
    llm._save_state(second, b"state")
    assert llm.primed(prompts)
    assert llm._model is not None and llm._llama is None  # nothing was loaded
    # another context makes other states (their KV layout differs): not primed
    other = LlamaCppLLM(llm.model_path, n_ctx=4096, state_dir=llm.state_dir)
    assert not other.primed(prompts)


def test_saving_keeps_only_the_most_recently_used_states_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    llm = _llm(tmp_path, keep=3)
    paths = []
    for i in range(5):
        path = llm._state_path([{"role": "system", "content": f"prompt {i}"}])
        assert path is not None
        llm._save_state(path, f"state {i}".encode())
        os.utime(path, (1000 + i, 1000 + i))  # saved one after another
        paths.append(path)
    kept = sorted(p.name for p in llm.state_dir.iterdir())  # type: ignore[union-attr]
    assert kept == sorted(p.name for p in paths[2:])  # the two oldest went
    assert paths[4].read_bytes() == b"state 4"
    os.utime(paths[2], (5000, 5000))  # restored by a start: recently used again
    newest = llm._state_path([{"role": "system", "content": "prompt 5"}])
    assert newest is not None
    llm._save_state(newest, b"state 5")
    assert sorted(p.name for p in llm.state_dir.iterdir()) == sorted(  # type: ignore[union-attr]
        p.name for p in (paths[2], paths[4], newest))


def test_a_state_that_cannot_be_written_is_a_warning_not_an_error(tmp_path: Path, caplog) -> None:
    llm = _llm(tmp_path)
    blocker = tmp_path / "states"
    blocker.write_text("a file where the folder should be")
    path = llm._state_path([{"role": "system", "content": "x"}])
    assert path is not None
    llm._save_state(path, b"state")
    assert "cannot save the prompt state" in caplog.text
    assert blocker.read_text() == "a file where the folder should be"


@pytest.mark.integration
def test_a_new_index_restores_the_states_another_index_computed(tmp_path: Path) -> None:
    """Two installations' settings with different index folders and one model folder: the second start restores
    what the first computed (no prompt processed) and answers as one without any saved state."""
    models = PROJECT_ROOT / ".cache" / "models"
    static = [[{"role": "system", "content": "Du beantwortest Fragen zu Nachrichtenartikeln. " * 15},
               {"role": "user", "content": "Frage: "}]]
    llms = []
    for index in ("first", "second"):
        settings = Settings(index_dir=tmp_path / index, llm_model_dir=models, llm_state_dir=tmp_path / "states",
                            llm_bundled="qwen2.5-0.5b", llm_threads=2)
        llm = build_llm(settings)
        assert isinstance(llm, LlamaCppLLM)
        llms.append(llm)
    assert llms[0].prime(static) == ["computed"]
    assert llms[1].primed(static)
    assert llms[1].prime(static) == ["restored"]
    assert not (tmp_path / "first").exists() and not (tmp_path / "second").exists()
    question = [static[0][0], {"role": "user", "content": "Frage: Wann wurde Carlos Ghosn verhaftet?"}]
    fresh = LlamaCppLLM(llms[1].model_path, threads=2, prefix_cache_mb=0)
    assert "".join(llms[1].stream(question, 12, 120)) == "".join(fresh.stream(question, 12, 120))
