"""Typed records that flow through the assistant: articles, chunks, passages, citations, answers."""

from __future__ import annotations

import calendar
import hashlib
import re
from collections.abc import Sequence
from typing import Annotated, Literal, TypeGuard

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

Language = Literal["de", "en"]
# where the reference date of relative date words came from: the request, or the newest article
DateReference = Literal["request", "newest_article"]


def is_language(value: str | None) -> TypeGuard[Language]:
    """Whether ``value`` is one of the two languages the assistant answers in."""
    return value in ("de", "en")


def sha256_text(text: str) -> str:
    """Hex sha256 of a UTF-8 string (content hashes, stable ids)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Article(BaseModel):
    """One cleaned article, ready to chunk. ``text`` is what chunk offsets point into."""

    doc_id: str
    source: str = Field(description="Path relative to the ingested folder ('file.jsonl#3' for JSONL lines).")
    title: str
    text: str
    outlet: str | None = None
    date: str | None = Field(default=None, description="ISO date, possibly partial: 2018, 2018-06, 2018-06-01.")
    url: str | None = None
    language: str = "de"
    dropped: list[str] = Field(default_factory=list, description="Page furniture removed by cleaning.")
    page_starts: list[int] | None = Field(
        default=None, description="Paged formats (PDF): where page n + 1 starts in ``text``; None elsewhere.")

    @property
    def content_hash(self) -> str:
        """Hash of everything that ends up in the index for this article."""
        meta = "\x1f".join(str(v) for v in (self.title, self.outlet, self.date, self.url, self.language))
        pages = "" if self.page_starts is None else "\x1d" + ",".join(map(str, self.page_starts))
        return sha256_text(meta + pages + "\x1e" + self.text)


class Chunk(BaseModel):
    """A passage of an article with character offsets into ``Article.text``."""

    chunk_id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int
    page: int | None = None  # paged formats: the page the chunk starts on
    page_end: int | None = None  # the page it ends on, when that is another one


# The schema states what _iso_date checks (the check itself keeps its readable message).
ISO_DATE = r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$"
# A list of strings; a single string is accepted too (Filters turns it into a list): the schema says both.
OneOrMany = Annotated[list[str] | None, WithJsonSchema({"anyOf": [
    {"type": "array", "items": {"type": "string"}}, {"type": "string"}, {"type": "null"}]})]


class Filters(BaseModel):
    """Restrict retrieval to some articles. Every field is optional; all given fields must match."""

    model_config = ConfigDict(extra="forbid")

    outlet: OneOrMany = Field(default=None, description="Outlets to keep (case-insensitive).")
    date_from: str | None = Field(default=None, json_schema_extra={"pattern": ISO_DATE},
                                  description="Earliest date, ISO (2018 or 2018-06 or 2018-06-01).")
    date_to: str | None = Field(default=None, json_schema_extra={"pattern": ISO_DATE},
                                description="Latest date, ISO, inclusive.")
    source: OneOrMany = Field(default=None, description="Source paths to keep.")
    language: OneOrMany = Field(default=None, description="Article languages to keep.")

    @field_validator("outlet", "source", "language", mode="before")
    @classmethod
    def _one_or_many(cls, v: object) -> object:
        return [v] if isinstance(v, str) else v

    @field_validator("date_from", "date_to")
    @classmethod
    def _iso_date(cls, v: str | None) -> str | None:
        if v is not None and not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", v):
            raise ValueError("dates are ISO: YYYY, YYYY-MM or YYYY-MM-DD")
        if v is not None and len(v) > 4:  # a real month (and day): "2018-13" would bound nothing
            y, m, *d = (int(x) for x in v.split("-"))
            if not 1 <= m <= 12 or d and not 1 <= d[0] <= calendar.monthrange(max(y, 1), m)[1]:
                raise ValueError(f"{v} is not a date; dates are ISO: YYYY, YYYY-MM or YYYY-MM-DD")
        return v

    def is_empty(self) -> bool:
        return not any((self.outlet, self.date_from, self.date_to, self.source, self.language))


_PAGE = "PDF page the passage starts on (1-based); null for other formats."
_PAGE_END = "PDF page the passage ends on, when it is not the one it starts on; else null."


# --- copies of one story (issue 12.1) -----------------------------------------------------------
class AlsoIn(BaseModel):
    """Another printing of the same story: an agency copy in another outlet, or an older version."""

    doc_id: str
    source: str
    title: str
    outlet: str | None = None
    date: str | None = None


_STORY = "Copies of one story share this id (agency copies, updated versions); null for an article on its own."
_ALSO_IN = "The story's other printings (outlet, source, date), newest first; the passage is from the one shown."


class Passage(BaseModel):
    """A retrieved chunk with the metadata of its article and its retrieval score."""

    doc_id: str
    source: str
    title: str
    outlet: str | None = None
    date: str | None = None
    language: str = "de"
    chunk_id: str
    text: str
    start: int
    end: int
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None
    page: int | None = Field(default=None, description=_PAGE)
    page_end: int | None = Field(default=None, description=_PAGE_END)
    story_id: str | None = Field(default=None, description=_STORY)
    also_in: list[AlsoIn] = Field(default_factory=list, description=_ALSO_IN)


class Citation(BaseModel):
    """A source numbered ``n`` in the answer's context; ``[n]`` in the answer refers to it."""

    n: int
    doc_id: str
    source: str
    title: str
    outlet: str | None = None
    date: str | None = None
    chunk_id: str
    text: str
    start: int
    end: int
    score: float
    page: int | None = Field(default=None, description=_PAGE)
    page_end: int | None = Field(default=None, description=_PAGE_END)
    also_in: list[AlsoIn] = Field(default_factory=list, description=_ALSO_IN)

    @classmethod
    def from_passage(cls, n: int, p: Passage) -> Citation:
        return cls(n=n, **p.model_dump(include=set(cls.model_fields) - {"n"}))


class Turn(BaseModel):
    """One message of the conversation so far."""

    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: str = Field(max_length=8000)


class SentenceCheck(BaseModel):
    """The verifier's decision on one sentence the LLM wrote."""

    sentence: str = Field(description="The sentence without its [n] markers.")
    cited: list[int] = Field(default_factory=list, description="The sources it cites (after any repair).")
    accepted: bool
    reason: str | None = Field(default=None, description="Why it was dropped; None when accepted.")
    similarity: float | None = Field(default=None, description="Meaning similarity to the cited evidence.")
    repaired: bool = Field(default=False, description="The verifier added or corrected its citation.")
    items: list[str] = Field(default_factory=list, description="What it states that answers the question.")
    source_sentence: str | None = Field(default=None, description="The cited sentence it comes from: of a kept "
                                                                "sentence, or of one dropped as off the question.")
    nearest_source: int | None = Field(default=None, description="A dropped sentence: the source whose sentence "
                                                                 "it is closest to in meaning, among those it "
                                                                 "cites.")
    nearest_sentence: str | None = Field(default=None, description="A dropped sentence: that source sentence.")
    off_question: bool = Field(default=False, description="Dropped because the source sentence it comes from is "
                                                          "not about the question (a neighbouring fact).")


AnswerMode = Literal["generated", "quoted", "refused", "timeline"]
RefusalCause = Literal["no_relevant_passage", "llm_refused", "verifier_rejected", "no_evidence_sentence"]


class AnswerTrace(BaseModel):
    """How an answer came about: read by the eval, the UI and the API instead of parsing strings."""

    question_kind: str = Field(description="What the question asks for: date, number, name, place, list, "
                                           "reason or fact.")
    evidence: list[Citation] = Field(default_factory=list,
                                     description="The evidence sentences given to the LLM, numbered [n].")
    draft: str | None = Field(default=None, description="What the LLM wrote, before verification.")
    draft_language: Language | None = None
    cut_off: bool = Field(default=False, description="The draft stopped at the token or time limit.")
    checks: list[SentenceCheck] = Field(default_factory=list, description="One decision per draft sentence.")
    mode: AnswerMode = Field(description="generated: verified LLM sentences; quoted: the evidence sentence "
                                         "itself, because the draft failed verification; refused; timeline: "
                                         "dated event sentences quoted from the articles (a timeline question).")
    refusal_cause: RefusalCause | None = None
    quote_reason: str | None = Field(default=None, description="Why a quoted answer replaced the draft.")


# --- filters taken from the question's own words (assistant/date_filters.py) --------------------------
DerivedKind = Literal["date_range", "newest_first"]
DerivedStatus = Literal["applied", "overridden", "no_match", "unresolved", "ignored"]


class DerivedFilter(BaseModel):
    """A filter the question's own words asked for ("2018", "seit 2019", "letztes Jahr", "neueste", "vor der
    Insolvenz von GM"), and what became of it; or the request's own date filter (``origin`` request)."""

    kind: DerivedKind = Field(description="date_range: only articles dated date_from..date_to; newest_first: "
                                          "among the relevant passages, the newest article's answer.")
    origin: Literal["question", "request"] = Field(
        default="question", description="question: taken from the question's words; request: the request's own "
                                        "date_from/date_to (text empty, start and end 0), reported for its note.")
    text: str = Field(description="The words of the question it was taken from, e.g. 'im Dezember 2018'.")
    start: int = Field(description="Where the words start in the question (in standalone_question when a "
                                   "follow-up was rewritten).")
    end: int = Field(description="Where the words end (exclusive).")
    date_from: str | None = Field(default=None, description="Earliest article date, ISO (partial allowed).")
    date_to: str | None = Field(default=None, description="Latest article date, ISO, inclusive.")
    relative_to: str | None = Field(
        default=None, description="For relative words ('letztes Jahr'): the date they were counted from.")
    reference: DateReference | None = Field(
        default=None, description="Where relative_to came from: the request's reference_date, or the newest "
                                  "article in the archive.")
    event: str | None = Field(default=None, description="For 'vor der Insolvenz von GM': the event's words.")
    event_date: str | None = Field(
        default=None, description="The event's date: that of the earliest dated article that mentions it.")
    event_source: str | None = Field(default=None, description="That article's source.")
    applied: bool = Field(description="Whether it restricted (or ordered) this search.")
    status: DerivedStatus = Field(
        description="applied; overridden (the request's own date filter wins); no_match (no article, or nothing "
                    "relevant, in that period: all dates were searched); unresolved (an event the archive cannot "
                    "date, or relative words without any dated article); ignored (a date after the reference "
                    "date, read as a target such as 'bis 2030').")
    note: str | None = Field(default=None, description="What happened, in words (English).")
# --- timelines (issue 12.3) -------------------------------------------------------------------------
class TimelineEvent(BaseModel):
    """One dated event of a timeline: a sentence quoted from an article, with its citation."""

    date: str = Field(description="ISO date, as precise as known: 2022-05-12, 2017-12 or 2019.")
    date_source: Literal["article", "sentence"] = Field(
        description="sentence: the date the sentence names (resolved against its article's date); article: the "
                    "article's date, because the sentence names none (or only a plan's date).")
    date_phrase: str | None = Field(default=None, description="The words of the sentence that name the date.")
    text: str = Field(description="The event: the sentence as the article has it.")
    citation: Citation = Field(description="Where the sentence is: its article, chunk and offsets ([n] = n).")


class Timeline(BaseModel):
    """The events of a story in order, each one cited (POST /api/timeline)."""

    question: str
    language: Language
    topic: str = Field(description="What the timeline is about: the question without its timeline wording.")
    events: list[TimelineEvent]
    timings: dict[str, float] = Field(default_factory=dict)


class TokenUsage(BaseModel):
    """Tokens the LLM processed for one answer, over all its calls (a follow-up's rewrite, the answer's draft)."""

    prompt_tokens: int = Field(default=0, description="Prompt tokens, whole prompts (also those cached).")
    completion_tokens: int = Field(default=0, description="Tokens generated (0 when the LLM was not called).")

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @classmethod
    def total(cls, calls: Sequence[TokenUsage | None]) -> TokenUsage | None:
        """The sum over the LLM calls (none: zeros); None when a backend did not report a call's counts."""
        if any(c is None for c in calls):
            return None
        return cls(prompt_tokens=sum(c.prompt_tokens for c in calls if c),
                   completion_tokens=sum(c.completion_tokens for c in calls if c))


class Answer(BaseModel):
    """The assistant's reply: verified text, the sources it cites, and what was dropped."""

    answer: str
    language: Language
    answerable: bool
    citations: list[Citation]
    unsupported: list[str] = Field(default_factory=list)
    timings: dict[str, float] = Field(default_factory=dict)
    standalone_question: str | None = None
    trace: AnswerTrace | None = Field(default=None, description="Evidence, draft and decisions behind it.")
    applied_filters: list[DerivedFilter] = Field(
        default_factory=list, description="Filters taken from the question's words (dates, newest first) and "
                                          "what became of each; empty when none or with derive_dates=false.")
    timeline: list[TimelineEvent] | None = Field(
        default=None, description="For a timeline question: the dated events in order; the answer text lists them "
                                  "with [n] markers, and citations[n-1] is event n's source.")
    usage: TokenUsage | None = Field(
        default=None, description="Tokens the LLM processed for this answer (zeros when it was not called); null "
                                  "when its backend does not report them.")


class DocumentInfo(BaseModel):
    """An ingested article as listed by /api/documents."""

    doc_id: str
    source: str
    title: str
    outlet: str | None = None
    date: str | None = None
    url: str | None = None
    language: str = "de"
    chunks: int = 0
    content_hash: str = ""
    story_id: str | None = Field(default=None, description=_STORY)
