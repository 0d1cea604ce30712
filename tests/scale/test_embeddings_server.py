"""Ingest and answer with the embeddings computed by a real server on loopback (ASSISTANT_EMBED_BACKEND=openai).

The server is llama-cpp-python's, serving the bundled Qwen2.5 0.5B GGUF as an embedding model (896 dimensions,
mean-pooled): every passage, question and verification vector crosses the wire. The answer comes from a scripted
LLM that quotes the first source, so that what is checked is the embeddings path, not the 0.5B model's prose.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.errors import EmbeddingModelMismatch
from assistant.factory import build_assistant, build_embedder, build_store
from assistant.openai_embeddings import OpenAIEmbedding
from assistant.settings import Settings
from ingest.factory import build_ingester
from tests.fakes import ScriptedLLM, source_texts

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _quote_first_source(messages: list[dict[str, str]]) -> str:
    sources = source_texts(messages)
    if not sources:
        return "Dazu enthalten die Quellen keine Angaben."
    first = sources[min(sources)].split(". ")[0].rstrip(".")
    return f"{first}. [{min(sources)}]"


def _requests(log: Path) -> int:
    return log.read_text(errors="replace").count('"POST /v1/embeddings HTTP/1.1" 200')


def test_ingest_and_answer_through_a_real_embeddings_server(embeddings_server, corpus_copy: Path,
                                                            tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index", rate_limit_per_minute=0, embed_backend="openai",
                        embed_base_url=f"http://{embeddings_server.host}:{embeddings_server.port}/v1",
                        embed_model="qwen2.5-0.5b-embed", embed_batch=4, embed_in_flight=2, embed_timeout_s=600)
    embedder = build_embedder(settings)
    assert isinstance(embedder, OpenAIEmbedding) and (embedder.query_prefix, embedder.passage_prefix) == ("", "")
    summary = build_ingester(settings, embedder).ingest([corpus_copy])
    assert (summary.new, len(summary.skipped)) == (5, 0)
    after_ingest = _requests(embeddings_server.log)
    assert after_ingest >= summary.chunks_added / 4  # batches of at most four passages

    assistant = build_assistant(settings, embedder=embedder, llm=ScriptedLLM(_quote_first_source))
    assert assistant.health()["embedding_model"] == "openai:qwen2.5-0.5b-embed"
    assert assistant.store.chunks.metadata["dim"] == 896

    hits = assistant.search("BMW und Toyota: Partnerschaft bei Brennstoffzellen", top_k=3)
    assert hits[0].source == "004_575870f288329a95.txt"
    answer = assistant.ask("Wobei arbeiten BMW und Toyota zusammen?")
    assert answer.answerable, answer.unsupported
    assert answer.citations and answer.citations[0].source == "004_575870f288329a95.txt"
    assert _requests(embeddings_server.log) > after_ingest  # the question and the verification went remote too

    again = build_ingester(settings, embedder).ingest([corpus_copy])
    assert (again.unchanged, again.chunks_added) == (5, 0)

    # the index knows it was built by another model: the default embedder is refused
    with pytest.raises(EmbeddingModelMismatch, match="openai:qwen2.5-0.5b-embed.*896"):
        build_store(Settings(index_dir=tmp_path / "index"), build_embedder(Settings(index_dir=tmp_path / "index")))
