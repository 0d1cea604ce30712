"""The embeddings client for OpenAI-compatible servers, against a fake server at the HTTP transport."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from pydantic import ValidationError

from assistant.errors import EmbeddingModelMismatch, EmbeddingServerError
from assistant.factory import build_assistant, build_embedder, build_store
from assistant.openai_embeddings import OpenAIEmbedding
from assistant.settings import Settings
from ingest.pipeline import ingest
from tests.fakes import FakeEmbeddingsServer, HashEmbedding, ScriptedLLM

URL = "http://embed.test/v1"


def client(server: FakeEmbeddingsServer, model: str = "e5-small", **kw: Any) -> OpenAIEmbedding:
    return OpenAIEmbedding(URL, model, "secret", transport=server.transport(), backoff_s=0.0, **kw)


@pytest.mark.parametrize(("model", "given", "sent", "name"), [
    ("intfloat/multilingual-e5-small", {}, ("query: ", "passage: "),
     "openai:intfloat/multilingual-e5-small (prefixes 'query: ' / 'passage: ')"),
    ("e5-large-v2", {"query_prefix": "", "passage_prefix": ""}, ("", ""), "openai:e5-large-v2"),
    ("BAAI/bge-m3", {}, ("", ""), "openai:BAAI/bge-m3"),
    ("nomic-embed-text", {"query_prefix": "search_query: ", "passage_prefix": "search_document: "},
     ("search_query: ", "search_document: "),
     "openai:nomic-embed-text (prefixes 'search_query: ' / 'search_document: ')"),
])
def test_prefixes_default_to_e5_for_e5_models_and_are_part_of_the_recorded_name(model, given, sent, name) -> None:
    server = FakeEmbeddingsServer()
    e = client(server, model, **given)
    e.query_vector("Wer kauft Elbtor?")
    e.passages(["Baltrans kauft Elbtor."])
    assert [r["input"] for r in server.requests] == [[sent[0] + "Wer kauft Elbtor?"],
                                                     [sent[1] + "Baltrans kauft Elbtor."]]
    assert all(r["model"] == model for r in server.requests)
    assert e.model_name == name


def test_batches_go_out_several_at_once_and_come_back_in_order() -> None:
    server = FakeEmbeddingsServer(delay_s=0.05)
    e = client(server, "plain", batch=3, in_flight=3)
    texts = [f"Artikel Nummer {i} über Thema {i % 4}" for i in range(10)]
    got = e.passages(texts)
    assert [len(r["input"]) for r in sorted(server.requests, key=lambda r: r["input"][0])] == [3, 3, 3, 1]
    assert 2 <= server.max_active <= 3
    expected = HashEmbedding(64)._encode(texts, is_query=False)
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    assert np.allclose(got, expected, atol=1e-6)  # each vector belongs to its own text
    assert e.max_in_flight == 3


def test_the_api_key_is_sent_as_a_bearer_token() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json={"data": [{"index": 0, "embedding": [1.0, 0.0]}]})

    OpenAIEmbedding(URL, "m", "k-123", transport=httpx.MockTransport(handler)).query_vector("x")
    OpenAIEmbedding(URL, "m", "none", transport=httpx.MockTransport(handler)).query_vector("x")
    assert seen == ["Bearer k-123", None]


def test_429_and_5xx_are_retried_with_backoff_until_the_server_answers() -> None:
    server = FakeEmbeddingsServer(failures=[429, 503, httpx.ConnectError("refused"), 502])
    e = client(server, "plain", max_retries=5)
    v = e.query_vector("Hafen Streik")
    assert v.shape == (64,)
    assert len(server.requests) == 5


def test_retry_after_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("assistant.openai_embeddings.time.sleep", slept.append)
    server = FakeEmbeddingsServer(failures=[lambda _b: httpx.Response(429, headers={"Retry-After": "7"})])
    client(server, "plain").query_vector("x")
    assert slept and slept[0] >= 7


def test_a_server_that_keeps_failing_gives_up_with_a_clear_error() -> None:
    server = FakeEmbeddingsServer(failures=[503] * 10)
    with pytest.raises(EmbeddingServerError, match=r"failed 3 times \(HTTP 503.*ASSISTANT_EMBED_BASE_URL"):
        client(server, "plain", max_retries=2).query_vector("x")
    assert len(server.requests) == 3


def test_a_server_that_is_down_is_named_in_the_error() -> None:
    import socket

    with socket.socket() as s:  # a loopback port that nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    e = OpenAIEmbedding(f"http://127.0.0.1:{port}/v1", "plain", max_retries=1, backoff_s=0.0)
    with pytest.raises(EmbeddingServerError, match=f"127.0.0.1:{port}/v1/embeddings failed 2 times.*Connect"):
        e.dimension()


@pytest.mark.parametrize("status", [400, 401, 404])
def test_client_errors_are_not_retried(status: int) -> None:
    refusal = lambda _b, s=status: httpx.Response(s, text='{"error": "no such model"}')  # noqa: E731
    server = FakeEmbeddingsServer(failures=[refusal, refusal])
    with pytest.raises(EmbeddingServerError, match=f"refused the request \\(HTTP {status}: .*no such model"):
        client(server, "plain").query_vector("x")
    # a 400 may mean "no encoding_format here": asked once more without it, then reported
    assert [r.get("encoding_format") for r in server.requests] == (["base64", None] if status == 400 else ["base64"])


def test_vectors_come_as_base64_and_read_as_the_numbers_would() -> None:
    texts = ["Hafen Streik", "Werft Bahn Brücke", "Klinik"]
    as_base64, as_numbers = FakeEmbeddingsServer(), FakeEmbeddingsServer(encodings=("float",))  # one ignores it
    got = client(as_base64, "plain").passages(texts)
    assert np.array_equal(got, client(as_numbers, "plain").passages(texts))
    assert np.allclose(got, HashEmbedding(64).passages(texts), atol=1e-6)
    assert [r["encoding_format"] for r in as_base64.requests] == ["base64"]
    assert isinstance(as_base64.handle(httpx.Request("POST", URL, json=as_base64.requests[0])).json()["data"][0][
        "embedding"], str)  # the fake really answered in base64


def test_a_server_that_refuses_encoding_format_is_asked_for_numbers_from_then_on() -> None:
    server = FakeEmbeddingsServer(encodings=("float",), strict=True)
    e = client(server, "plain")
    first = e.passages(["Hafen Streik"])
    assert np.allclose(first, HashEmbedding(64).passages(["Hafen Streik"]), atol=1e-6)
    e.passages(["Werft"])
    assert [r.get("encoding_format") for r in server.requests] == ["base64", None, None]


def test_a_vector_that_is_no_base64_float32_is_a_clear_error() -> None:
    for bad in ("@@not base64@@", "AAAAAAA="):  # the second decodes to 5 bytes
        server = FakeEmbeddingsServer(failures=[lambda _b, v=bad: httpx.Response(200, json={
            "data": [{"index": 0, "embedding": v}]})])
        with pytest.raises(EmbeddingServerError, match="no base64 float32"):
            client(server, "plain").query_vector("x")


@pytest.mark.parametrize(("reply", "message"), [
    ({"data": [{"index": 0, "embedding": [[0.1, 0.2], [0.3, 0.4]]}]}, "one vector per token"),
    ({"data": []}, "returned 0 vectors for 1 texts"),
    ({"error": "oops"}, "no OpenAI embeddings response"),
])
def test_unusable_answers_are_clear_errors(reply: dict, message: str) -> None:
    server = FakeEmbeddingsServer(failures=[lambda _b: httpx.Response(200, json=reply)])
    with pytest.raises(EmbeddingServerError, match=message):
        client(server, "plain").query_vector("x")


def test_a_server_that_changes_its_dimension_is_refused() -> None:
    server = FakeEmbeddingsServer(dim=64)
    e = client(server, "plain")
    assert e.dimension() == 64
    server.embedder = HashEmbedding(32)  # restarted with another model under the same name
    with pytest.raises(EmbeddingServerError, match="now returns 32-dimensional vectors, not 64"):
        e.query_vector("x")


def test_the_index_records_the_served_model_and_dimension_and_refuses_others(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    store = build_store(settings, client(FakeEmbeddingsServer(dim=64), "plain"))
    assert store.chunks.metadata["embedding_model"] == "openai:plain"
    assert store.chunks.metadata["dim"] == 64
    with pytest.raises(EmbeddingModelMismatch, match="'openai:plain' \\(64 dimensions\\).*'hash-bow-64'"):
        build_store(settings, HashEmbedding(64))
    with pytest.raises(EmbeddingModelMismatch, match="32 dimensions"):  # same name, another dimension
        build_store(settings, client(FakeEmbeddingsServer(dim=32), "plain"))


def test_settings_need_a_url_and_a_served_model_name(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="ASSISTANT_EMBED_BASE_URL"):
        Settings(index_dir=tmp_path, embed_backend="openai", embed_model="e5")
    with pytest.raises(ValidationError, match="ASSISTANT_EMBED_MODEL"):
        Settings(index_dir=tmp_path, embed_backend="openai", embed_base_url=URL)
    s = Settings(index_dir=tmp_path, embed_backend="openai", embed_base_url=URL + "/", embed_model="e5-small",
                 embed_batch=8, embed_in_flight=2, embed_query_prefix="")
    e = build_embedder(s)
    assert isinstance(e, OpenAIEmbedding)
    assert (e.base_url, e.passage_batch, e.in_flight, e.query_prefix, e.passage_prefix) == \
        (URL, 8, 2, "", "passage: ")


def test_ingest_and_search_through_the_server(tmp_path: Path, corpus_copy: Path) -> None:
    server = FakeEmbeddingsServer(dim=256)
    embedder = client(server, "plain", batch=4, in_flight=2)
    assistant = build_assistant(Settings(index_dir=tmp_path / "index"), embedder=embedder, llm=ScriptedLLM("x"))
    summary = ingest([corpus_copy], assistant.store, embedder)
    assert summary.new == 5
    assert all(len(r["input"]) <= 4 for r in server.requests)
    hits = assistant.search("BMW Toyota Partnerschaft Brennstoffzellen", top_k=3)
    assert hits[0].source == "004_575870f288329a95.txt"
    assert server.requests[-1]["input"] == ["BMW Toyota Partnerschaft Brennstoffzellen"]
