"""A gold question (one line of a gold file, eval/FORMAT.md) as a pydantic model whose validators are its rules."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from assistant.models import Turn

QuestionType = Literal["fact", "number", "date", "list", "why", "multi", "unanswerable", "followup"]
Language = Literal["de", "en"]
Split = Literal["dev", "test"]
TYPES: tuple[str, ...] = get_args(QuestionType)
LANGUAGES: tuple[str, ...] = get_args(Language)
SPLITS: tuple[str, ...] = get_args(Split)
PASSAGE_MIN_CHARS = 30
PASSAGE_MAX_CHARS = 250


def shorten(text: str) -> str:
    """A long passage cut to 70 characters, for messages."""
    return text if len(text) <= 70 else text[:67] + "..."


def _fail(problems: list[str]) -> None:
    """Raise every problem found at once, one per line (``describe`` splits them again)."""
    if problems:
        raise ValueError("\n".join(problems))


def _non_empty(text: str) -> str:
    _fail(["must be a non-empty string"] if not text.strip() else [])
    return text


def _passage(text: str) -> str:
    problems = []
    if text != text.strip():
        problems.append(f"has leading or trailing whitespace: {shorten(text)!r}")
    if not PASSAGE_MIN_CHARS <= len(text) <= PASSAGE_MAX_CHARS:
        problems.append(
            f"is {len(text)} characters long; it must be {PASSAGE_MIN_CHARS}-{PASSAGE_MAX_CHARS}: {shorten(text)!r}"
        )
    _fail(problems)
    return text


def _alternative(text: str) -> str:
    _fail(["must be a non-empty string without surrounding whitespace"] if not text.strip() or text != text.strip()
          else [])
    return text


def _some(alternatives: list[str]) -> list[str]:
    _fail(["must be a non-empty list of alternative strings"] if not alternatives else [])
    return alternatives


NonEmpty = Annotated[str, AfterValidator(_non_empty)]
# a verbatim quote from an expected source (that it is one, check_gold checks against the corpus)
Passage = Annotated[str, AfterValidator(_passage)]
# a fact the answer must contain: any one of its alternative spellings (case-insensitive substring)
KeyFact = Annotated[list[Annotated[str, AfterValidator(_alternative)]], AfterValidator(_some)]


class GoldTurn(BaseModel):
    """An earlier turn of a follow-up's conversation."""

    model_config = ConfigDict(strict=True, frozen=True)

    role: Literal["user", "assistant"]
    content: NonEmpty

    @model_validator(mode="before")
    @classmethod
    def _exactly_role_and_content(cls, data: Any) -> Any:
        if not isinstance(data, GoldTurn) and (not isinstance(data, dict) or set(data) != {"role", "content"}):
            raise ValueError("must be an object with exactly 'role' and 'content'")
        return data


class Question(BaseModel):
    """One gold question. Strict: a field must have its JSON type (no "true" for true); fields that are not
    declared here are ignored (check_gold warns about them)."""

    model_config = ConfigDict(strict=True, frozen=True)

    id: NonEmpty
    question: NonEmpty
    language: Language
    history: list[GoldTurn]
    answerable: bool
    type: QuestionType
    expected_sources: list[NonEmpty]
    supporting_passages: list[Passage]
    key_facts: list[KeyFact]
    notes: str = ""
    split: Split = "dev"
    # drafts from eval/feedback_to_gold.py carry it until a person has checked them
    needs_review: bool = Field(default=False, exclude=True)

    @field_validator("needs_review")
    @classmethod
    def _reviewed(cls, value: bool) -> bool:
        _fail(["is true: a draft that still needs review; check it, then remove the field"] if value else [])
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        _fail(list(self._broken_rules()))
        return self

    def _broken_rules(self) -> Iterator[str]:
        """The rules between fields, each broken one as a message."""
        qtype = self.type
        if (qtype == "unanswerable") == self.answerable:
            yield (
                f"'answerable' is {str(self.answerable).lower()} but 'type' is {qtype!r} "
                "(type 'unanswerable' <=> answerable false)"
            )
        roles = [t.role for t in self.history]
        if qtype != "followup":
            if roles:
                yield f"'history' must be empty unless type is 'followup' (type is {qtype!r})"
        elif not roles:
            yield "a 'followup' question needs a non-empty 'history'"
        elif "user" not in roles or "assistant" not in roles:
            yield "a follow-up 'history' needs at least one user and one assistant turn"
        elif roles[-1] != "assistant":
            yield "a follow-up 'history' must end with the assistant's answer"

        support = {
            "expected_sources": self.expected_sources,
            "supporting_passages": self.supporting_passages,
            "key_facts": self.key_facts,
        }
        if not self.answerable:
            yield from (f"unanswerable question must have an empty {name!r}" for name, v in support.items() if v)
            return
        yield from (f"answerable question needs at least one entry in {name!r}" for name, v in support.items() if not v)
        sources, passages = self.expected_sources, self.supporting_passages
        yield from (f"duplicate source {s!r}" for i, s in enumerate(sources) if sources.index(s) != i)
        if qtype == "multi" and len(set(sources)) < 2:
            yield "a 'multi' question needs at least two different expected_sources"
        yield from (
            f"supporting_passages[{i}] is a duplicate" for i, p in enumerate(passages) if passages.index(p) != i
        )

    @property
    def turns(self) -> list[Turn]:
        return [Turn(role=t.role, content=t.content) for t in self.history]

    @property
    def retrieval_query(self) -> str:
        """What retrieval-only evaluation searches for: the question, or for a follow-up the last user turn
        followed by the question (the LLM path rewrites follow-ups with the condense prompt instead)."""
        if not self.history:
            return self.question
        last_user = next((t.content for t in reversed(self.history) if t.role == "user"), "")
        return f"{last_user} {self.question}".strip()

    @property
    def content_hash(self) -> str:
        """Changes when anything about the question changes (results for an old version are not reused)."""
        blob = json.dumps(self.model_dump(), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


_JSON_TYPES = {"string_type": "string", "bool_type": "boolean", "list_type": "list"}


def _where(loc: tuple[int | str, ...]) -> str:
    """'language' for a field, history[0].role or key_facts[2][0] inside one; '' for the whole question."""
    if len(loc) == 1:
        return f"'{loc[0]}'"
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" if i else str(p) for i, p in enumerate(loc))


def describe(error: ValidationError) -> list[str]:
    """One message per broken rule of a gold question, each naming the field it is about."""
    out: list[str] = []
    for e in error.errors(include_url=False):
        loc, kind, where = e["loc"], e["type"], _where(e["loc"])
        if kind == "missing" and len(loc) == 1:
            messages = [f"missing required field {where}"]
        elif kind in _JSON_TYPES:
            field = "field " if len(loc) == 1 else ""
            messages = [f"{field}{where} must be a {_JSON_TYPES[kind]}, got {type(e['input']).__name__}"]
        elif kind == "literal_error":
            messages = [f"{where} must be {e['ctx']['expected']}, got {e['input']!r}"]
        elif kind == "value_error":
            messages = [f"{where} {line}".strip() for line in str(e["ctx"]["error"]).splitlines()]
        else:
            messages = [f"{where}: {e['msg']}" if where else e["msg"]]
        out += [m for m in messages if m not in out]
    return out
