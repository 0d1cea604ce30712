"""Reliability test fixtures: a fake-model index built once, apps over it, a real server in a thread."""

from __future__ import annotations

import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from assistant.factory import build_assistant, build_store
from assistant.service import Assistant
from assistant.settings import Settings
from ingest.pipeline import ingest
from tests.conftest import CORPUS
from tests.fakes import HashEmbedding, fake_settings, source_texts
from tests.live import ThreadServer
from ui.server import create_app

DATA = Path(__file__).resolve().parent / "data"
INJECTION = DATA / "injection"
KEY = "test-key-8c1f0b6e2d"  # the API key the protected apps are built with
OTHER_KEY = "second-key-51a9e3"
QUESTION = (
    "Was plant der Autohersteller Nissan mit seinen Partnern?"  # German, like the sources: no translation
)
QUESTION_EN = "What does the carmaker Nissan plan with its partners?"  # answered in German, then translated


@dataclass
class Built:
    """An app and the assistant behind it."""

    app: FastAPI
    assistant: Assistant
    settings: Settings


def copy_first_source(messages: list[dict[str, str]]) -> str:
    """A well-behaved fake answer: the first sentence of source [1], cited; to a translation prompt (no
    sources), the text it was given, unchanged."""
    sources = source_texts(messages)
    if not sources:
        return messages[-1]["content"].strip().strip('"')
    first = sources[1]
    sentence = re.split(r"(?<=[.!?])\s", first, maxsplit=1)[0]
    return f"{sentence} [1]"


class SlowLLM:
    """A fake LLM that streams ``reply`` padded to ``n_tokens`` pieces, ``delay_s`` apart; records how far
    each generation got, the limits it was given and how many generations ran at once."""

    name = "slow-fake"

    def __init__(
        self,
        n_tokens: int = 200,
        delay_s: float = 0.02,
        reply: Callable[[list[dict[str, str]]], str] = copy_first_source,
    ) -> None:
        self.n_tokens = n_tokens
        self.delay_s = delay_s
        self.reply = reply
        self.consumed = 0  # tokens handed out, all generations together
        self.generations = 0
        self.answer_generations = 0  # generations of an answer prompt (with sources), not translations
        self.finished = threading.Event()  # set when a generation ends (exhausted, stopped or closed)
        self.closed_early = 0  # generations that were closed before their last token
        self.limits: list[tuple[int, float]] = []  # (max_tokens, timeout_s) of every call
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Nothing to load."""

    def stream(
        self, messages: list[dict[str, str]], max_tokens: int, timeout_s: float, temperature: float = 0.0
    ) -> Iterator[str]:
        with self._lock:
            self.generations += 1
            self.answer_generations += bool(source_texts(messages))
            self.limits.append((max_tokens, timeout_s))
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        self.finished.clear()
        text = self.reply(messages)
        words = re.findall(r"\S+\s*", text)
        # the reply, then empty pieces up to n_tokens (time passes, the text stays), at most max_tokens
        pieces = [*words, *([""] * max(0, self.n_tokens - len(words)))][:max_tokens]
        done = 0
        try:
            for piece in pieces:
                time.sleep(self.delay_s)
                with self._lock:
                    self.consumed += 1
                done += 1
                yield piece
        finally:
            with self._lock:
                self.active -= 1
                if done < len(pieces):
                    self.closed_early += 1
            self.finished.set()


# What the apps over the fake index change in fake_settings (tests/fakes.py), and why:
APP_SETTINGS: dict[str, Any] = {
    # The tests ask about the injected articles with vague questions ("Was ist passiert?", "Was berichtet der
    # Artikel?") and filter to one of them: what is under test is what reaches the LLM and what verification
    # lets through, so every passage found counts as relevant, whatever the bag-of-words vectors make of it.
    "min_relevance": 0.0,
    "min_relevance_cross": 0.0,
    # QUESTION_EN is answered from German sources: across languages bag-of-words vectors share only names
    # and numbers
    "verify_min_similarity_cross": 0.0,
    # bag-of-words vectors cannot tell which sentence a vague question is about, so the locality check would
    # decide at random
    "verify_locality_margin": 1.0,
}


@pytest.fixture(scope="session")
def fake_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled corpus plus the prompt-injection articles, ingested once with the hash embedder.

    Tests only read it; a test that writes must build its own index."""
    root = tmp_path_factory.mktemp("fake-index")
    articles = root / "articles"
    shutil.copytree(CORPUS, articles)
    shutil.copytree(INJECTION, articles / "injection")
    index_dir = root / "index"
    settings = fake_settings(index_dir, **APP_SETTINGS)
    embedder = HashEmbedding()
    summary = ingest([articles], build_store(settings, embedder), embedder)
    assert not summary.skipped, summary.report()
    return index_dir


@pytest.fixture
def make_app(fake_index: Path) -> Callable[..., Built]:
    """``make_app(llm, **settings)``: the real app (``with_ui=True`` adds the chat) over the fake index."""

    def make(llm: Any = None, with_ui: bool = False, **overrides: Any) -> Built:
        settings = fake_settings(fake_index, **{**APP_SETTINGS, **overrides})
        assistant = build_assistant(settings, embedder=HashEmbedding(), llm=llm or SlowLLM(delay_s=0))
        return Built(create_app(assistant, settings, with_ui=with_ui), assistant, settings)

    return make


@pytest.fixture
def serve() -> Callable[[FastAPI], ThreadServer]:
    """``with serve(app) as server: httpx.get(server.url + ...)``."""
    return ThreadServer
