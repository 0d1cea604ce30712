"""Fakes for fast unit tests that still discriminate: a bag-of-words embedder, a scripted LLM, their settings."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import PrivateAttr

from assistant.embeddings import VectorEmbedding
from assistant.models import TokenUsage
from assistant.settings import Settings


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


class CountingEmbedding(HashEmbedding):
    """HashEmbedding that records every text it encodes, and whether as a query: tests count model calls."""

    _encoded: list[tuple[str, bool]] = PrivateAttr(default_factory=list)

    @classmethod
    def class_name(cls) -> str:
        return "CountingEmbedding"

    @property
    def encoded(self) -> list[tuple[str, bool]]:
        return self._encoded

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        self._encoded.extend((t, is_query) for t in texts)
        return super()._encode(texts, is_query)


def fake_settings(index_dir: Path, **overrides: Any) -> Settings:
    """Settings for an assistant with HashEmbedding and a fake LLM: no rate limit, and the relevance and
    verification floors scaled to bag-of-words similarities. These run far below a real model's (a sentence
    sharing some of the question's words scores a few tenths, one sharing none 0), so the defaults (~0.8) would
    find nothing relevant and verify nothing; the floors here keep the relevance gate on and still leave an
    unrelated passage below it. Across languages the vectors share only names and numbers: those floors keep
    their defaults unless a test lowers them. A test that needs other thresholds passes them as ``overrides``
    and says why. No German-English dictionary: the hash vectors decide, and nothing reads the 25 MB file."""
    values: dict[str, Any] = {"index_dir": index_dir, "rate_limit_per_minute": 0, "min_relevance": 0.05,
                              "verify_min_similarity": 0.1, "evidence_dictionary": None}
    return Settings(**{**values, **overrides})


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


class CountingLLM(ScriptedLLM):
    """A scripted LLM that reports usage as a backend does: prompt words and pieces streamed, per call."""

    def __init__(self, reply: Callable[[list[dict[str, str]]], str] | str) -> None:
        super().__init__(reply)
        self.last_usage: TokenUsage | None = None
        self.counted: list[TokenUsage] = []

    def stream(self, messages: list[dict[str, str]], max_tokens: int, timeout_s: float,
               temperature: float = 0.0) -> Iterator[str]:
        self.last_usage = None
        pieces = 0
        for piece in super().stream(messages, max_tokens, timeout_s, temperature):
            pieces += 1
            yield piece
        self.last_usage = TokenUsage(prompt_tokens=sum(len(m["content"].split()) for m in messages),
                                     completion_tokens=pieces)
        self.counted.append(self.last_usage)


def question_of(messages: list[dict[str, str]]) -> str:
    """The question in the last user turn of an answer prompt."""
    last = messages[-1]["content"]
    m = re.search(r"(?:Frage|Question): (.*?)(?: Answer in English\.)?$", last, re.S)
    return m.group(1).strip() if m else last


def source_texts(messages: list[dict[str, str]]) -> dict[int, str]:
    """The numbered sources in the last user turn: {n: text}."""
    return {int(n): t for n, t in re.findall(r"(?:Quelle|Source) \[(\d+)\][^:]*: (.*)", messages[-1]["content"])}


class FakeEmbeddingsServer:
    """An OpenAI ``/v1/embeddings`` endpoint for ``httpx.MockTransport``: bag-of-words hash vectors (so rankings
    mean something), a script of failures to send first, and a record of every request and of concurrency."""

    def __init__(self, dim: int = 64, failures: list[Any] | None = None, delay_s: float = 0.0,
                 encodings: tuple[str, ...] = ("float", "base64"), strict: bool = False) -> None:
        import threading

        self.encodings = encodings  # the encoding_format values it knows (others are answered with numbers)
        self.strict = strict  # refuse a request with a field it does not know (422), as a strict server does
        self.embedder = HashEmbedding(dim)
        self.failures = list(failures or [])  # each: an int status, an exception to raise, or a callable
        self.delay_s = delay_s
        self.requests: list[dict[str, Any]] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def transport(self) -> Any:
        import httpx

        return httpx.MockTransport(self.handle)

    def handle(self, request: Any) -> Any:
        import json
        import time

        import httpx

        body = json.loads(request.content)
        with self._lock:
            self.requests.append(body)
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            failure = self.failures.pop(0) if self.failures else None
        try:
            if self.delay_s:
                time.sleep(self.delay_s)
            if isinstance(failure, Exception):
                raise failure
            if callable(failure):
                return failure(body)
            if isinstance(failure, int):
                return httpx.Response(failure, headers={"Retry-After": "0"}, text=f"scripted {failure}")
            encoding = body.get("encoding_format", "float")
            if self.strict and encoding not in self.encodings:
                refusal = {"type": "extra_forbidden", "loc": ["body", "encoding_format"]}
                return httpx.Response(422, json={"detail": [refusal]})
            vectors = self.embedder._encode(list(body["input"]), is_query=False)
            data = [{"object": "embedding", "index": i,
                     "embedding": _base64(v) if encoding == "base64" and "base64" in self.encodings else v.tolist()}
                    for i, v in enumerate(vectors)]
            data.reverse()  # servers may answer in any order; ``index`` says which text a vector belongs to
            return httpx.Response(200, json={"object": "list", "model": body["model"], "data": data})
        finally:
            with self._lock:
                self.active -= 1

    @property
    def texts(self) -> list[str]:
        return [t for r in self.requests for t in r["input"]]


def _base64(vector: Any) -> str:
    import base64

    import numpy as np

    return base64.b64encode(np.asarray(vector, dtype="<f4").tobytes()).decode("ascii")
