"""The events of an answer stream: the numbered sources, the LLM's tokens, then the verified answer."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

from assistant.models import Answer, Citation


@dataclass(frozen=True)
class Sources:
    """The numbered evidence the answer will be written from; sent before any token."""

    citations: list[Citation]


@dataclass(frozen=True)
class Token:
    """A piece of the answer as the LLM writes it (before verification)."""

    text: str


@dataclass(frozen=True)
class Final:
    """The verified answer; always the last event of a stream."""

    answer: Answer


Event = Sources | Token | Final
# what ask_stream returns: a generator, so that a caller that stops reading can close it (releasing the LLM)
EventStream = Generator[Event, None, None]
