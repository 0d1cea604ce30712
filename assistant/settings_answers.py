"""The branches of the settings tree that shape answers: chunking, retrieval, evidence, copies, timelines,
the verifier and quoting. Each field's environment variable is ASSISTANT_ + the branch's ``env_prefix`` + its
name."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, field_validator

from assistant.settings_runtime import _Group


class ChunkSettings(_Group):
    """How articles are cut into passages."""

    env_prefix: ClassVar[str] = "chunk_"

    words: int = Field(default=90, ge=20, le=400, description="Target words per chunk.")
    overlap_sentences: int = Field(default=1, ge=0, le=3, description="Sentences shared by neighbours.")


class RetrievalSettings(_Group):
    """Hybrid search, the relevance floors, and what the question's words filter."""

    env_prefix: ClassVar[str] = ""

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


class EvidenceSettings(_Group):
    """Which source sentences the LLM is given."""

    env_prefix: ClassVar[str] = "evidence_"

    sentences: int = Field(default=4, ge=1, le=10, description="Most evidence sentences for the LLM.")
    dictionary: Path | None = Field(
        default=Path("/usr/share/trans/de-en"),
        description="German-English dictionary in the Ding format (Debian package trans-de-en, installed by make "
                    "setup): the German words an English question word may stand for, when the picker weighs "
                    "the question's words in German sentences; empty = the built-in glossary only.",
    )
    sentences_list: int = Field(
        default=5, ge=1, le=12, description="Most evidence sentences when the question asks for several items."
    )
    chars: int = Field(
        default=600, ge=100, le=20000,
        description="Prompt budget for evidence in the question's language (characters; ~4 per token). Every "
                    "token costs ~25 ms before the first answer token on two cores.",
    )
    chars_cross: int = Field(
        default=900, ge=100, le=20000, description="The same budget when the evidence is in another language.",
    )
    margin: float = Field(
        default=0.12, ge=0, le=1, description="Sentences scoring this far below the best one are not evidence."
    )
    lexical_weight: float = Field(
        default=0.1, ge=0, le=2,
        description="Weight of the share of question words a sentence contains, added to its dense similarity.",
    )
    window: float = Field(
        default=0.0, ge=0, le=5,
        description="Widen each chosen sentence by the sentence after it, then the one before it (same paragraph), "
                    "while the evidence stays within this multiple of the budget; 0 = single sentences. Off by "
                    "default: 1.5 gave dev 70 -> 75 of 148 right but test 43 -> 41 of 125, ~2.8 s slower "
                    "(eval/HISTORY.md, eighth session).",
    )
    article_chunks: int = Field(
        default=0, ge=0, le=200,
        description="The best article's other chunks nearest the question whose sentences are candidates too "
                    "(the answering sentence may stand in a chunk the search did not bring up); 0 = only the "
                    "retrieved passages. Off by default: more of the gold passages reach the evidence, but the "
                    "1.5B model answered no better with them (eval/HISTORY.md, sixth session).",
    )

    @field_validator("dictionary", mode="before")
    @classmethod
    def _no_dictionary(cls, v: object) -> object:
        return None if isinstance(v, str) and not v.strip() else v


class CopySettings(_Group):
    """Copies of one story (agency texts, later versions)."""

    env_prefix: ClassVar[str] = "copies_"

    detect: bool = Field(
        default=True,
        description="Recognise copies of one story at ingest (an agency text printed by several outlets, a later, "
                    "longer version): search and answers show the story once, with the other printings as "
                    "'also in'.",
    )
    min_containment: float = Field(
        default=0.5, ge=0.05, le=1,
        description="Least share of the shorter article's word trigrams (MinHash estimate) that the other one "
                    "must hold for the two to be copies.",
    )
    window_days: int | None = Field(
        default=3, ge=0, le=3650,
        description="Copies are at most this many days apart (when both are dated); unset: dates are not compared.",
    )
    passage_margin: float = Field(
        default=0.03, ge=0, le=1,
        description="A story is shown from its newest, longest copy when that copy's passage scores within this "
                    "margin of the story's best passage; else from the copy with the best passage.",
    )


class TimelineSettings(_Group):
    """Timelines of a story."""

    env_prefix: ClassVar[str] = "timeline_"

    passages: int = Field(
        default=30, ge=5, le=200, description="Passages retrieved for a timeline question (across articles).",
    )
    max_events: int = Field(default=10, ge=1, le=50, description="Most events in a timeline.")
    in_ask: bool = Field(
        default=True,
        description="Answer a timeline question in /api/ask and the chat with the timeline (dated, cited events); "
                    "off: such questions take the usual answer path (POST /api/timeline still works).",
    )


class VerifySettings(_Group):
    """How answer sentences are checked against their evidence."""

    env_prefix: ClassVar[str] = "verify_"

    min_similarity: float = Field(
        default=0.82, ge=0, le=1,
        description="Least embedding similarity between an answer sentence and its cited evidence "
                    "(same language).",
    )
    min_similarity_cross: float = Field(
        default=0.80, ge=0, le=1, description="The same across languages (English answer, German evidence).",
    )
    locality_margin: float = Field(
        default=0.08, ge=0, le=1,
        description="An answer's items must come from evidence scoring at most this far below the best sentence.",
    )
    locality_evidence_margin: float = Field(
        default=0.06, ge=0, le=1,
        description="A sentence below the locality margin still counts as about the question when the evidence "
                    "picker scored it at most this far below its best one (half the picker's own margin).",
    )
    coverage_margin: float = Field(
        default=0.4, ge=0, le=1,
        description="An answer's sentence may share at most this much less of the question's words than the "
                    "evidence sentence sharing the most (0.4 = 40 percentage points).",
    )


class QuoteSettings(_Group):
    """When a source sentence is quoted instead of a rejected draft."""

    env_prefix: ClassVar[str] = "quote_"

    min_relevance: float = Field(
        default=0.90, ge=0, le=2,
        description="Least evidence score (dense + lexical) for quoting the evidence sentence as the answer "
                    "when the draft fails verification (same language).",
    )
    min_relevance_cross: float = Field(
        default=0.84, ge=0, le=2, description="The same across languages.",
    )
    several_sentences: int = Field(
        default=3, ge=1, le=6,
        description="Most sentences quoted, each from its own source, for a question about several things "
                    "(1 = one sentence, as for any other question).",
    )
    on_refusal: bool = Field(
        default=False,
        description="Also quote the evidence when the LLM itself said the sources hold no answer (only for a "
                    "question that asks for a date, number, name, place, reason or list).",
    )
    on_refusal_across_languages: bool = Field(
        default=True,
        description="The same, only when no evidence sentence is in the question's language: the small model "
                    "often does not see that a German sentence answers an English question.",
    )

    def on_refusal_for(self, language: str, evidence_languages: list[str]) -> bool:
        """Whether the LLM's refusal of a question in ``language`` is checked against the evidence for a quote."""
        return self.on_refusal or (self.on_refusal_across_languages and bool(evidence_languages)
                                   and language not in evidence_languages)
