"""The LLM's own pick of the answering source: asked over the draft's prompt, kept in the trace, quoted first."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.factory import build_assistant
from assistant.llm import LlamaCppLLM
from assistant.modelfiles import ensure_bundled_gguf
from assistant.settings import PROJECT_ROOT, Settings
from ingest.pipeline import ingest
from tests.fakes import HashEmbedding, ScriptedLLM, source_texts


class PickingLLM(ScriptedLLM):
    """A scripted LLM that, asked which source answers, puts most weight on the one about the arrest."""

    def __init__(self, reply: str) -> None:
        super().__init__(reply)
        self.picks: list[tuple[list[dict[str, str]], str, list[str]]] = []

    def choice_probs(self, messages: list[dict[str, str]], reply_start: str, options: list[str]) -> list[float]:
        self.picks.append((messages, reply_start, options))
        texts = source_texts(messages)
        weights = [5.0 if "verhaftet" in texts.get(int(o), "") else 1.0 for o in options]
        return [w / sum(weights) for w in weights]


def _assistant(settings: Settings, corpus_copy: Path, llm: ScriptedLLM, **overrides: object):
    s = settings.replace(**{"min_relevance": 0.2, "min_relevance_cross": 0.0, "verify_min_similarity": 0.2,
                            "verify_min_similarity_cross": 0.0, "quote_min_relevance": 0.3,
                            "quote_min_relevance_cross": 0.0, **overrides})
    a = build_assistant(s, embedder=HashEmbedding(), llm=llm)
    ingest([corpus_copy], a.store, a.retriever.embedder)
    return a


def test_the_pick_is_asked_over_the_drafts_prompt_and_kept_in_the_trace(settings: Settings,
                                                                       corpus_copy: Path) -> None:
    llm = PickingLLM("Carlos Ghosn wurde 2019 in Tokio verhaftet [1].")  # a wrong year: the draft fails
    question = "Wann wurde der frühere Nissan-Chef Ghosn verhaftet und welche Allianz führte er?"
    answer = _assistant(settings, corpus_copy, llm).ask(question)
    assert len(llm.picks) == 1 and len(llm.calls) == 1
    messages, reply_start, options = llm.picks[0]
    assert messages == llm.calls[0]  # the same prompt as the draft's: the draft reuses its processed tokens
    assert reply_start == "Die Frage beantwortet Quelle [" and options[0] == "1"
    probs = answer.trace.source_probs
    assert len(probs) == len(answer.trace.evidence) >= 2 and abs(sum(probs) - 1) < 1e-9
    picked = 1 + probs.index(max(probs))
    assert "verhaftet" in answer.trace.evidence[picked - 1].text
    assert answer.trace.mode == "quoted" and "2018" in answer.answer and "pick_ms" in answer.timings


def test_no_pick_when_the_setting_is_off_or_the_llm_cannot_tell(settings: Settings, corpus_copy: Path) -> None:
    llm = PickingLLM("Carlos Ghosn wurde 2018 in Tokio verhaftet [1].")
    answer = _assistant(settings, corpus_copy, llm, quote_source_pick=False).ask("Wann wurde Ghosn verhaftet?")
    assert llm.picks == [] and answer.trace.source_probs == []
    plain = ScriptedLLM("Carlos Ghosn wurde 2018 in Tokio verhaftet [1].")  # e.g. an OpenAI-compatible server
    answer = _assistant(settings, corpus_copy, plain).ask("Wann wurde Ghosn verhaftet?")
    assert answer.trace.source_probs == [] and answer.answerable


SOURCES = ("Quelle [1] (Beispielzeitung, 2020-03): Die Muster AG verkauft Fahrräder in Leipzig.\n"
           "Quelle [2]: Die Muster AG wurde 1987 in Dresden gegründet.\n"
           "Quelle [3] (Tageblatt, 2021-01): Der Umsatz der Beispiel GmbH stieg um vier Prozent.")


@pytest.mark.integration
def test_llama_cpp_picks_the_answering_source_over_the_prompt_the_draft_left_processed() -> None:
    """With the bundled 1.5B model: the pick is a distribution over the source numbers with the founding year's
    source on top; asked after the draft, it processes only its reply start's few tokens, and it equals the
    pick over a freshly processed prompt."""
    model = ensure_bundled_gguf("qwen2.5-1.5b", PROJECT_ROOT / ".cache" / "models")
    messages = [{"role": "system", "content": "Beantworte Fragen nur aus den Quellen und zitiere sie mit [n]."},
                {"role": "user", "content": f"<sources>\n{SOURCES}\n</sources>\nFrage: Wann wurde die Muster AG "
                                            "gegründet?"}]
    llm = LlamaCppLLM(model, n_ctx=1024, threads=2)
    assert "1987" in "".join(llm.stream(messages, 24, 120))
    llama = llm._model()
    evaluated: list[int] = []
    real_eval = llama.eval

    def counting_eval(tokens):  # counts the tokens the pick has to process
        evaluated.append(len(tokens))
        return real_eval(tokens)

    llama.eval = counting_eval
    options = ["1", "2", "3"]
    probs = llm.choice_probs(messages, "Die Frage beantwortet Quelle [", options)
    assert len(probs) == 3 and abs(sum(probs) - 1) < 1e-6
    assert probs.index(max(probs)) == 1, probs
    assert 0 < sum(evaluated) <= 12, evaluated  # "Die Frage beantwortet Quelle [" and at most one more
    llama.reset()  # nothing processed: the whole prompt again
    fresh = llm.choice_probs(messages, "Die Frage beantwortet Quelle [", options)
    assert sum(evaluated) > 60
    assert max(abs(a - b) for a, b in zip(probs, fresh, strict=True)) < 0.05, (probs, fresh)
