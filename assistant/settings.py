"""One typed settings tree, nested by concern, read from ASSISTANT_* environment variables and a .env file."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, get_origin

from pydantic import BaseModel, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from assistant.settings_answers import (
    ChunkSettings,
    CopySettings,
    EvidenceSettings,
    QuoteSettings,
    RetrievalSettings,
    TimelineSettings,
    VerifySettings,
)
from assistant.settings_runtime import (
    PROJECT_ROOT,
    EmbedSettings,
    LLMSettings,
    ServerSettings,
    StorageSettings,
    UploadSettings,
)

__all__ = ["OPERATIONAL", "PROJECT_ROOT", "RETRIEVAL", "Settings", "env_example"]

# Settings that decide where and how the assistant runs, not what it answers: every other setting shapes
# results (the eval fingerprints and reports exactly those). Flat names, as in the environment.
OPERATIONAL = frozenset({
    "index_dir", "collection", "chroma_host", "chroma_port", "embed_threads", "embed_base_url", "embed_api_key",
    "embed_batch", "embed_in_flight", "embed_timeout_s", "embed_max_retries", "llm_model_dir", "llm_api_key",
    "llm_threads", "llm_prefix_cache_mb", "llm_max_waiting", "llm_timeout_s", "host", "port", "api_key",
    "cors_origins", "rate_limit_per_minute", "rate_cost_ask", "rate_cost_upload", "max_body_bytes",
    "upload_max_file_bytes", "upload_max_request_bytes", "upload_max_files", "upload_zip_max_bytes",
    "upload_zip_max_ratio", "upload_jobs_kept", "feedback_file", "log_level", "prompts_dir",
    "sentence_vectors",  # the same vectors, computed at ingest or at question time
})
# The subset that shapes search results (retrieval-only evaluation).
RETRIEVAL = ("embed_backend", "embed_model", "embed_query_prefix", "embed_passage_prefix", "chunk_words",
             "chunk_overlap_sentences", "dense_candidates",
             "bm25_candidates", "retrieval_mode", "bm25_weight_same_language", "bm25_weight_cross_language")


class Settings(BaseSettings):
    """Every knob of the assistant, one branch per concern (``settings.llm.threads``). Built once
    (``Settings()``) and passed in; nothing reads it globally. Each field's environment variable is its flat
    name: ASSISTANT_ + the branch's prefix + the field (ASSISTANT_LLM_THREADS); ``Settings(top_k=3)`` and
    ``settings.replace(top_k=3)`` take flat names too."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", env_file_encoding="utf-8")

    storage: StorageSettings = Field(default_factory=StorageSettings, description="Where things live.")
    embed: EmbedSettings = Field(default_factory=EmbedSettings, description="The embedding model.")
    chunk: ChunkSettings = Field(default_factory=ChunkSettings, description="Chunking.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Search.")
    evidence: EvidenceSettings = Field(default_factory=EvidenceSettings, description="Evidence sentences.")
    copies: CopySettings = Field(default_factory=CopySettings, description="Copies of one story.")
    timeline: TimelineSettings = Field(default_factory=TimelineSettings, description="Timelines.")
    llm: LLMSettings = Field(default_factory=LLMSettings, description="The generator LLM.")
    verify: VerifySettings = Field(default_factory=VerifySettings, description="The verifier.")
    quote: QuoteSettings = Field(default_factory=QuoteSettings, description="Quoted answers.")
    server: ServerSettings = Field(default_factory=ServerSettings, description="The HTTP server.")
    upload: UploadSettings = Field(default_factory=UploadSettings, description="Uploads.")

    def __init__(self, **values: Any) -> None:
        """Flat names (``top_k=3``) or whole branches; besides them pydantic-settings' ``_env_file``. An invalid
        value is reported by its flat name and variable (``top_k (ASSISTANT_TOP_K)``), not its place in the tree."""
        try:
            super().__init__(**values)
        except ValidationError as e:
            raise ValidationError.from_exception_data(e.title, [_by_flat_name(err) for err in e.errors()]) from None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Arguments first, then ASSISTANT_* variables of the environment, then those of the .env file."""
        return (init_settings, _FlatSource(settings_cls, env_settings), _FlatSource(settings_cls, dotenv_settings))

    @model_validator(mode="before")
    @classmethod
    def _nest(cls, data: Any) -> Any:
        """Flat names (``top_k``) go to their branch; a name of no setting is an error, not ignored."""
        if not isinstance(data, Mapping):
            return data
        return _nested(data)

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        if self.llm.backend == "openai" and not self.llm.base_url:
            raise ValueError("llm_backend=openai needs ASSISTANT_LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1)")
        if self.embed.backend == "openai" and not self.embed.base_url:
            raise ValueError("embed_backend=openai needs ASSISTANT_EMBED_BASE_URL (e.g. http://127.0.0.1:8080/v1)")
        if self.embed.backend == "openai" and "model" not in self.embed.model_fields_set:
            raise ValueError("embed_backend=openai needs ASSISTANT_EMBED_MODEL: the model name the server serves")
        if self.embed.backend == "sentence-transformers" and not Path(self.embed.model).is_dir():
            raise ValueError(
                "embed_backend=sentence-transformers needs ASSISTANT_EMBED_MODEL set to a local model folder"
            )
        return self

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (flat names or whole branches), validated like the original; what was set
        explicitly stays so (the consistency checks see the same)."""
        kept = {name: getattr(self, name).model_dump(exclude_unset=True) for name in BRANCHES}
        return type(self).model_validate(_nested({**kept, **changes}))

    def flat(self) -> dict[str, Any]:
        """Every setting by its flat name, in tree order."""
        return {flat: getattr(getattr(self, branch), field) for flat, (branch, field) in FLAT.items()}

    def shaping(self, names: tuple[str, ...] | None = None) -> dict[str, str]:
        """The settings that shape results (or just ``names``), as strings, by flat name."""
        values = self.flat()
        chosen = names or tuple(n for n in values if n not in OPERATIONAL)
        return {n: str(values[n]) for n in chosen}


def _branches() -> dict[str, type[BaseModel]]:
    out: dict[str, type[BaseModel]] = {}
    for name, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel), f"{name} is no branch"
        out[name] = model
    return out


BRANCHES = _branches()  # branch name -> its model, in tree order


def _flat(branch: str, field: str) -> str:
    return getattr(BRANCHES[branch], "env_prefix", "") + field


# flat name -> (branch, field), in tree order
FLAT: dict[str, tuple[str, str]] = {
    _flat(branch, field): (branch, field) for branch, model in BRANCHES.items() for field in model.model_fields
}
assert len(FLAT) == sum(len(m.model_fields) for m in BRANCHES.values()), "two settings share a flat name"
assert FLAT.keys() >= OPERATIONAL and set(RETRIEVAL) <= FLAT.keys()


def _by_flat_name(error: Any) -> Any:
    loc = tuple(error["loc"])
    for flat, place in FLAT.items():
        if loc[:2] == place:
            loc = (f"{flat} (ASSISTANT_{flat.upper()})", *loc[2:])
            break
    return {k: v for k, v in error.items() if k in ("type", "loc", "input", "ctx")} | {"loc": loc}


def _nested(data: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in BRANCHES:
            out[key] = value.model_dump() if isinstance(value, BaseModel) else dict(value)
        elif key in FLAT:
            flat[key] = value
        else:
            raise ValueError(f"no setting is called {key!r}")
    for key, value in flat.items():  # a flat name wins over its branch given whole
        branch, field = FLAT[key]
        out.setdefault(branch, {})[field] = value
    return out


class _FlatSource(PydanticBaseSettingsSource):
    """The ASSISTANT_<FLAT NAME> variables that pydantic-settings read (environment or .env), as branches."""

    def __init__(self, settings_cls: type[BaseSettings], read: PydanticBaseSettingsSource) -> None:
        super().__init__(settings_cls)
        self.variables: Mapping[str, str | None] = getattr(read, "env_vars", {})

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:  # pragma: no cover - unused
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        out: dict[str, dict[str, Any]] = {}
        for flat, (branch, field) in FLAT.items():
            raw = self.variables.get(f"assistant_{flat}")
            if raw is None:
                continue
            info = BRANCHES[branch].model_fields[field]
            value: Any = raw
            if get_origin(info.annotation) is list:  # lists come as JSON, as pydantic-settings reads them
                try:
                    value = json.loads(raw)
                except json.JSONDecodeError as e:
                    raise ValueError(f"ASSISTANT_{flat.upper()} must be a JSON list, e.g. [\"a\", \"b\"]: {e}") from e
            out.setdefault(branch, {})[field] = value
        return out


_ENV_HEADER = """# Every setting of the assistant, with its default. Copy to .env and change what you need.
# Environment variables ASSISTANT_* override .env. Paths default to folders inside the project.
# Generated from assistant/settings.py: python -c "import assistant.settings as s; print(s.env_example(), end='')"
"""
_MACHINE_DEPENDENT = frozenset({"embed_threads", "llm_threads"})  # defaults read from this machine


def _described() -> Iterator[tuple[str, str, Any, str]]:
    """(branch, flat name, default, description) of every setting, in tree order."""
    for flat, (branch, field) in FLAT.items():
        info = BRANCHES[branch].model_fields[field]
        yield branch, flat, info.get_default(call_default_factory=True), info.description or ""


def env_example() -> str:
    """The text of ``.env.example``: every setting with its description and default, by branch (a test keeps
    the file equal to this)."""
    lines = [_ENV_HEADER]
    branch_now = None
    for branch, name, default, text in _described():
        if branch != branch_now:
            lines.append(f"\n# === {branch}: {BRANCHES[branch].__doc__} ===")
            branch_now = branch
        description = " ".join(text.split())
        while description:  # wrap at 110 characters
            cut = description.rfind(" ", 0, 110) if len(description) > 110 else len(description)
            lines.append(f"# {description[:cut]}")
            description = description[cut:].strip()
        key = f"ASSISTANT_{name.upper()}"
        if default is None or name in _MACHINE_DEPENDENT:
            lines.append(f"# {key}=")
            continue
        if isinstance(default, Path):
            inside = default.is_relative_to(PROJECT_ROOT)
            value = "./" + default.relative_to(PROJECT_ROOT).as_posix() if inside else default.as_posix()
        elif isinstance(default, list):
            value = "[]" if not default else json.dumps(default)
        elif hasattr(default, "get_secret_value"):
            value = default.get_secret_value()
        else:
            value = str(default)
        lines.append(f"{key}={value}")
    return "\n".join(lines) + "\n"
