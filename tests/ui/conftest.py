"""UI fixtures: an assistant over the bundled corpus with fakes at the seams, and the real `assistant serve`
(real embedder, Chroma and LLM) shared by the slow tests of a session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.factory import build_assistant
from assistant.service import Assistant
from assistant.settings import PROJECT_ROOT
from ingest.pipeline import ingest
from tests.conftest import CORPUS
from tests.fakes import HashEmbedding, ScriptedLLM, fake_settings, question_of, source_texts
from tests.live import RealServer


def newsroom_reply(messages: list[dict[str, str]]) -> str:
    """A scripted LLM that answers three corpus questions from the sources it is given, rewrites the Ghosn
    follow-up, and otherwise refuses. It cites the source number under which the fact actually appears."""
    last = messages[-1]["content"]
    if "Letzte Frage:" in last or "Last question:" in last:  # the condense prompt
        return "Wohin floh Carlos Ghosn?" if "floh" in last else last.rsplit(":", 1)[-1].strip()
    q, sources = question_of(messages), source_texts(messages)

    def cite(needle: str) -> int | None:
        return next((n for n, t in sources.items() if needle in t), None)

    if "verhaftet" in q and (n := cite("verhaftet")):
        return f"Carlos Ghosn wurde 2018 in Tokio verhaftet [{n}]."
    if "floh" in q and (n := cite("Libanon")):
        return f"Er floh Ende 2019 in den Libanon [{n}]."
    if "markets" in q and (n := cite("asiatischen")):
        return f"The strategy is for the North American and Asian markets [{n}]."
    return "The sources do not contain this information." if "Question:" in last else \
        "Dazu enthalten die Quellen keine Informationen."


def fake_assistant(index_dir: Path, reply: Callable[[list[dict[str, str]]], str] | None = None,
                   corpus: Path | None = CORPUS, **overrides: Any) -> Assistant:
    """An assistant over ``index_dir`` with HashEmbedding and a ScriptedLLM; ``corpus`` is ingested first
    (None: use the index as it is, e.g. empty or built before)."""
    settings = fake_settings(index_dir, **overrides)
    embedder = HashEmbedding()
    assistant = build_assistant(settings, embedder=embedder, llm=ScriptedLLM(reply or newsroom_reply))
    if corpus is not None:
        ingest([corpus], assistant.store, embedder)
    return assistant


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the bundled corpus built once with the hash embedder; tests only read it."""
    index = tmp_path_factory.mktemp("ui-corpus") / "index"
    fake_assistant(index)
    return index


@pytest.fixture
def newsroom(corpus_index: Path) -> Assistant:
    """A fresh assistant (new scripted LLM, no calls yet) over the shared corpus index."""
    return fake_assistant(corpus_index, corpus=None)


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
SHOTS = PROJECT_ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's chromium driven by Playwright (no browser downloads), shared by the browser tests."""
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make browser-deps`"
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def page(browser: Any, real_server: RealServer) -> Iterator[Any]:
    """One desktop chat page on the real server, shared by a module's tests (which run in file order)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.goto(real_server.url)
    p.wait_for_selector("#question textarea")
    yield p
    context.close()
