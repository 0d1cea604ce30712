"""Fakes for fast unit tests that still discriminate: a bag-of-words hash embedder and a scripted LLM."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from assistant.embeddings import VectorEmbedding


class HashEmbedding(VectorEmbedding):
    """Each lower-cased word (and its 5-letter prefix) adds to a hashed dimension: texts sharing words are
    similar, texts sharing none are orthogonal. Unlike a constant vector, rankings mean something."""

    def __init__(self, dim: int = 256, **kw: Any) -> None:
        super().__init__(model_name=f"hash-bow-{dim}", dim=dim, **kw)

    @classmethod
    def class_name(cls) -> str:
        return "HashEmbedding"

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in re.findall(r"\w+", t.lower()):
                for key in {w, w[:5]}:
                    h = int(hashlib.md5(key.encode()).hexdigest()[:8], 16)
                    out[i, h % self.dim] += 1.0
        return out


class ScriptedLLM:
    """Answers from a script: a function of the chat messages, streamed word by word; records every call."""

    def __init__(self, reply: Callable[[list[dict[str, str]]], str] | str, name: str = "scripted") -> None:
        self.reply = reply if callable(reply) else (lambda _m, r=reply: r)
        self.name = name
        self.calls: list[list[dict[str, str]]] = []

    def warm_up(self) -> None:
        """Nothing to load."""

    def stream(self, messages: list[dict[str, str]], max_tokens: int, timeout_s: float,
               temperature: float = 0.0) -> Iterator[str]:
        self.calls.append(messages)
        text = self.reply(messages)
        yield from re.findall(r"\S+\s*", text)[:max_tokens]


def question_of(messages: list[dict[str, str]]) -> str:
    """The question in the last user turn of an answer prompt."""
    last = messages[-1]["content"]
    m = re.search(r"(?:Frage|Question): (.*?)(?: Answer in English\.)?$", last, re.S)
    return m.group(1).strip() if m else last


def source_texts(messages: list[dict[str, str]]) -> dict[int, str]:
    """The numbered sources in the last user turn: {n: text}."""
    return {int(n): t for n, t in re.findall(r"(?:Quelle|Source) \[(\d+)\][^:]*: (.*)", messages[-1]["content"])}
