"""Request and response bodies of the JSON API."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, field_validator
from pydantic.config import JsonDict

from assistant.models import AlsoIn, Answer, DerivedFilter, DocumentInfo, Filters, Turn
from assistant.service import MAX_QUESTION_CHARS

# The schema states what _not_blank checks: at least one character that is not white space.
NOT_BLANK: JsonDict = {"pattern": r"\S"}


def _not_blank(v: str) -> str:
    if not v.strip():
        raise ValueError("must not be empty or blank")
    return v


def _iso_day(v: object) -> object:
    """Only "YYYY-MM-DD" (pydantic would also take a number as a Unix time)."""
    if v is None or isinstance(v, date):
        return v
    if not isinstance(v, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
        raise ValueError("reference_date is an ISO date: YYYY-MM-DD")
    return v


def _whole_number(v: object) -> object:
    """A JSON number that is whole (5 or 5.0, as the schema's "integer" allows); pydantic would also take true
    for 1 and "5" for 5."""
    if isinstance(v, bool | str):
        raise ValueError("must be a whole number, e.g. 5")
    return v


TopK = Annotated[int | None, BeforeValidator(_whole_number)]


# --- dates from the question's words (assistant/date_filters.py) ---------------------------------------
IsoDay = Annotated[date | None, BeforeValidator(_iso_day)]
DERIVE_DATES = ("Take date filters and a newest-first order from the question's words ('2018', 'im Dezember 2018', "
                "'seit 2019', 'letztes Jahr', 'neueste'); what was taken is reported in applied_filters. False: "
                "search as the words say nothing about dates (the UI's ✕ on a date chip).")
REFERENCE_DATE = ("The date relative words ('letztes Jahr', 'vor zwei Monaten') count from, YYYY-MM-DD; default: "
                  "the newest article's date.")


class AskRequest(BaseModel):
    """POST /api/ask."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, json_schema_extra=NOT_BLANK,
                          description="The question, German or English (not blank).")
    history: list[Turn] = Field(default_factory=list, max_length=50, description="Earlier turns, oldest first.")
    language: Literal["de", "en"] | None = Field(default=None, description="Answer language; default: the question's.")
    top_k: TopK = Field(default=None, ge=1, le=50, description="Passages to retrieve.")
    filters: Filters | None = None
    derive_dates: StrictBool = Field(default=True, description=DERIVE_DATES)
    reference_date: IsoDay = Field(default=None, description=REFERENCE_DATE)
    stream: StrictBool = Field(
        default=False,
        description="Server-sent events: `sources` (the numbered evidence, as soon as retrieval is done), "
                    "`token` (the draft as the LLM writes it), then `final` (the verified answer).",
    )

    _blank = field_validator("question")(_not_blank)


class SearchRequest(BaseModel):
    """POST /api/search."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, json_schema_extra=NOT_BLANK,
                       description="Not blank.")
    top_k: TopK = Field(default=None, ge=1, le=50)
    filters: Filters | None = None
    mode: Literal["hybrid", "dense", "bm25"] | None = Field(default=None, description="Retriever; default hybrid.")
    derive_dates: StrictBool = Field(default=True, description=DERIVE_DATES)
    reference_date: IsoDay = Field(default=None, description=REFERENCE_DATE)

    _blank = field_validator("query")(_not_blank)


class TimelineRequest(BaseModel):
    """POST /api/timeline."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, json_schema_extra=NOT_BLANK,
                          description="A timeline question ('Wie hat sich … entwickelt?', 'What happened between "
                                      "… and …?') or just the story's subject.")
    language: Literal["de", "en"] | None = Field(default=None, description="Default: the question's.")
    top_k: TopK = Field(default=None, ge=1, le=50,
                              description="Passages to search at least (default ASSISTANT_TIMELINE_PASSAGES).")
    filters: Filters | None = None

    _blank = field_validator("question")(_not_blank)


class SearchResult(BaseModel):
    doc_id: str
    source: str
    title: str
    outlet: str | None
    date: str | None
    chunk_id: str
    text: str
    start: int
    end: int
    score: float
    page: int | None = None
    page_end: int | None = None
    also_in: list[AlsoIn] = Field(default_factory=list,
                                  description="The story's other printings; this passage is from its newest, "
                                              "longest one that matched.")


class SearchResponse(BaseModel):
    results: list[SearchResult]
    timings: dict[str, float] = Field(default_factory=dict)
    applied_filters: list[DerivedFilter] = Field(
        default_factory=list, description="Filters taken from the query's words (dates, newest first) and what "
                                          "became of each; empty when none or with derive_dates=false.")


class DocumentsResponse(BaseModel):
    documents: list[DocumentInfo]


class DocumentResponse(BaseModel):
    document: DocumentInfo
    text: str


class HealthResponse(BaseModel):
    status: str
    documents: int
    chunks: int
    embedding_model: str
    llm: str = Field(description="The model that answers: the GGUF file llama.cpp runs (e.g. "
                                 "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf), or the model name asked of the "
                                 "OpenAI-compatible server (llm_backend openai).")
    llm_bundled: str | None = Field(default=None, description="The bundled model's key (e.g. qwen2.5-1.5b) when "
                                                              "the GGUF is a bundled one; null otherwise.")
    llm_backend: str
    llm_waiting: int


class ErrorResponse(BaseModel):
    detail: str


AskResponse = Answer
